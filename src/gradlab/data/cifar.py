"""CIFAR-10, binary version: ``data_batch_1.bin`` .. ``data_batch_5.bin`` and ``test_batch.bin``.

Each file is a run of 3073-byte records: one label byte (0..9), then 3072 pixel bytes, the
1024 red values of a 32x32 image in row-major order, then the 1024 green, then the 1024
blue. Only this binary version is read; the "python version" of CIFAR-10 is a pickle and
is never loaded (unpickling runs code).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gradlab.data.bunch import Bunch
from gradlab.data.download import DatasetFormatError, Remote, data_home, require

RECORD_BYTES = 1 + 3 * 32 * 32
CLASSES = [
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
]  # fmt: skip
SUBDIR = "cifar-10-batches-bin"
TRAIN_FILES = [f"data_batch_{i}.bin" for i in range(1, 6)]
TEST_FILES = ["test_batch.bin"]
ARCHIVE = Remote(
    "cifar-10-binary.tar.gz",
    ("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",),
    "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
    170052171,
)


def read_cifar_batch(path) -> tuple[np.ndarray, np.ndarray]:
    """One binary batch file: ``(images uint8 (N, 3, 32, 32), labels int64 (N,))``."""
    path = Path(path)
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size == 0 or raw.size % RECORD_BYTES:
        raise DatasetFormatError(
            f"{path}: {raw.size} bytes is not a whole number of CIFAR-10 records of "
            f"{RECORD_BYTES} bytes (1 label + 3072 pixels); the file is truncated or not a "
            f"CIFAR-10 binary batch"
        )
    records = raw.reshape(-1, RECORD_BYTES)
    labels = records[:, 0].astype(np.int64)
    if labels.max() > 9:
        bad = int(np.argmax(labels > 9))
        raise DatasetFormatError(
            f"{path}: record {bad} has label {int(labels[bad])}, expected 0..9; not a "
            f"CIFAR-10 binary batch"
        )
    return records[:, 1:].reshape(-1, 3, 32, 32), labels


def load_cifar10(root=None, train: bool = True, download: bool = True) -> Bunch:
    """CIFAR-10 from ``<root>/cifar-10-batches-bin/`` (see :func:`data_home` for root).

    Needs the five ``data_batch_*.bin`` files (``test_batch.bin`` when ``train=False``);
    when absent and ``download`` is true, fetches ``cifar-10-binary.tar.gz`` into that
    directory (SHA-256 checked) and extracts only those files.

    Returns:
        Bunch with X float32 (N, 3, 32, 32) in [0, 1], y int64 (N,), target_names the ten
        class names.
    """
    directory = data_home(root) / SUBDIR
    files = TRAIN_FILES if train else TEST_FILES
    members = {f"{SUBDIR}/{name}": name for name in TRAIN_FILES + TEST_FILES}
    require(
        "CIFAR-10",
        directory,
        files,
        [ARCHIVE],
        f"{ARCHIVE.urls[0]} (the binary version; extract it: the files are in {SUBDIR}/)",
        download,
        members={ARCHIVE.filename: members},
    )
    parts = [read_cifar_batch(directory / name) for name in files]
    images = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    split = "training" if train else "test"
    return Bunch(
        X=images.astype(np.float32) / np.float32(255.0),
        y=labels,
        target_names=list(CLASSES),
        description=f"CIFAR-10 {split} set: 32x32 RGB images scaled to [0, 1], NCHW",
    )
