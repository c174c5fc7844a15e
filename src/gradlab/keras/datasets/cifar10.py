"""``keras.datasets.cifar10.load_data()``: uint8 images (50000, 32, 32, 3) and (10000, 32,
32, 3) channels last, uint8 labels (N, 1), from Keras's extracted "python version" files
``cifar-10-batches-py/data_batch_1..5`` and ``test_batch`` (under
``datasets/cifar-10-batches-py-target/`` as Keras 3 lays it out, or directly under
``datasets/`` as older Keras did).

Those files are pickles; they are read with an unpickler that only admits the NumPy array
and the builtin containers a CIFAR batch holds (as Keras's own RestrictedUnpickler), so no
code in the file can run.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from gradlab.keras.datasets.cache import datasets_dir, require

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("_codecs", "encode"),
}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"CIFAR-10 batch refers to {module}.{name}, which a CIFAR batch never holds; "
            f"refusing to load it"
        )


def load_batch(path) -> tuple[np.ndarray, np.ndarray]:
    """One batch file: (uint8 (N, 3, 32, 32), uint8 (N,))."""
    with open(path, "rb") as f:
        d = _Unpickler(f, encoding="bytes").load()
    d = {(k.decode("utf8") if isinstance(k, bytes) else k): v for k, v in d.items()}
    if "data" not in d or "labels" not in d:
        raise ValueError(f"{path}: not a CIFAR-10 batch (keys {sorted(d)})")
    data = np.asarray(d["data"], dtype=np.uint8)
    return data.reshape(data.shape[0], 3, 32, 32), np.asarray(d["labels"], dtype=np.uint8)


def _folder() -> Path:
    base = datasets_dir()
    for candidate in (
        base / "cifar-10-batches-py-target" / "cifar-10-batches-py",
        base / "cifar-10-batches-py",
    ):
        if candidate.exists():
            return candidate
    return base / "cifar-10-batches-py-target" / "cifar-10-batches-py"


def load_data():
    folder = _folder()
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    require(
        "cifar10",
        [folder / n for n in names],
        ORIGIN,
        f"extract cifar-10-python.tar.gz so that its cifar-10-batches-py/ folder is at {folder}",
    )
    parts = [load_batch(folder / n) for n in names[:5]]
    x_train = np.concatenate([p[0] for p in parts])
    y_train = np.concatenate([p[1] for p in parts]).reshape(-1, 1)
    x_test, y_test = load_batch(folder / "test_batch")
    return (
        (x_train.transpose(0, 2, 3, 1), y_train),
        (x_test.transpose(0, 2, 3, 1), y_test.reshape(-1, 1)),
    )
