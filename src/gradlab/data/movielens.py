"""MovieLens-100k ratings: ``u.data``, one rating per line, ``user \\t item \\t rating \\t time``.

Users are numbered 1..943 and movies 1..1682 in the file; the loader shifts both to start
at 0 so they index an ``nn.Embedding`` directly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gradlab.data.bunch import Bunch
from gradlab.data.download import DatasetFormatError, Remote, data_home, require

SUBDIR = "ml-100k"
ARCHIVE = Remote(
    "ml-100k.zip",
    ("https://files.grouplens.org/datasets/movielens/ml-100k.zip",),
    "50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
    4924029,
)


def read_ratings(path) -> np.ndarray:
    """Parse a ``u.data`` file into an int64 array (N, 4): user, item, rating, timestamp
    (ids as in the file). Every bad line is an error naming the file and line number."""
    path = Path(path)
    rows = []
    with open(path, encoding="latin-1") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            fields = line.split("\t")
            try:
                if len(fields) != 4:
                    raise ValueError(f"{len(fields)} tab-separated fields, expected 4")
                row = [int(v) for v in fields]
            except ValueError as exc:
                raise DatasetFormatError(
                    f"{path}, line {number}: {line.strip()[:60]!r} is not 'user<TAB>item<TAB>"
                    f"rating<TAB>timestamp' with integers ({exc})"
                ) from None
            if not 1 <= row[2] <= 5 or row[0] < 1 or row[1] < 1:
                raise DatasetFormatError(
                    f"{path}, line {number}: user {row[0]}, item {row[1]}, rating {row[2]}; "
                    f"expected ids >= 1 and a rating in 1..5"
                )
            rows.append(row)
    if not rows:
        raise DatasetFormatError(f"{path}: no ratings (empty file)")
    return np.asarray(rows, dtype=np.int64)


def load_movielens_100k(root=None, download: bool = True) -> Bunch:
    """MovieLens-100k ratings from ``<root>/ml-100k/u.data`` (see :func:`data_home`).

    When absent and ``download`` is true, fetches ``ml-100k.zip`` (SHA-256 checked) into
    that directory and extracts ``u.data`` from it.

    Returns:
        Bunch with X int64 (N, 2) = (user index, item index), both from 0, y float32 (N,)
        ratings 1..5, feature_names ["user", "item"], and extra: ``timestamp`` int64 (N,),
        ``n_users`` and ``n_items`` (largest index + 1: the embedding table sizes).
    """
    directory = data_home(root) / SUBDIR
    require(
        "MovieLens-100k",
        directory,
        ["u.data"],
        [ARCHIVE],
        f"{ARCHIVE.urls[0]} (unzip it: u.data is in {SUBDIR}/)",
        download,
        members={ARCHIVE.filename: {f"{SUBDIR}/u.data": "u.data"}},
    )
    table = read_ratings(directory / "u.data")
    pairs = table[:, :2] - 1
    return Bunch(
        X=pairs,
        y=table[:, 2].astype(np.float32),
        feature_names=["user", "item"],
        description="MovieLens-100k: (user, item) -> rating 1..5; ids shifted to start at 0",
        extra={
            "timestamp": table[:, 3].copy(),
            "n_users": int(pairs[:, 0].max()) + 1,
            "n_items": int(pairs[:, 1].max()) + 1,
        },
    )
