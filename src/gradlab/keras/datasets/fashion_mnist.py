"""``keras.datasets.fashion_mnist.load_data()``: uint8 (60000, 28, 28) images, uint8 labels,
from the four gzipped IDX files in Keras's ``datasets/fashion-mnist/``."""

from __future__ import annotations

import gzip

import numpy as np

from gradlab.keras.datasets.cache import datasets_dir, require

FILES = [
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
]
ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def _read(path, offset: int) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def load_data():
    folder = datasets_dir() / "fashion-mnist"
    paths = [folder / name for name in FILES]
    require("fashion_mnist", paths, ORIGIN, f"put {', '.join(FILES)} in {folder}")
    y_train = _read(paths[0], 8)
    x_train = _read(paths[1], 16).reshape(len(y_train), 28, 28)
    y_test = _read(paths[2], 8)
    x_test = _read(paths[3], 16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)
