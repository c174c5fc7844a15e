"""``keras.datasets.mnist.load_data()``: ``(x_train, y_train), (x_test, y_test)``, uint8
(60000, 28, 28), (60000,), (10000, 28, 28), (10000,), from Keras's ``mnist.npz``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gradlab.keras.datasets.cache import datasets_dir, require

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"


def load_data(path="mnist.npz"):
    file = Path(path) if Path(path).is_absolute() else datasets_dir() / path
    require(
        "mnist", [file], ORIGIN, f"put mnist.npz (keys x_train, y_train, x_test, y_test) at {file}"
    )
    with np.load(file, allow_pickle=False) as f:
        x_train, y_train = f["x_train"], f["y_train"]
        x_test, y_test = f["x_test"], f["y_test"]
    return (x_train, y_train), (x_test, y_test)
