"""Dataset functions in one place: scikit-learn's bundled datasets (offline), a
``train_test_split`` helper, the synthetic generators, and the file loaders (MNIST,
Fashion-MNIST, CIFAR-10 binary, MovieLens-100k) that read from the cache directory.

The bundled loaders return a :class:`Bunch` with X float32 (N, F), y int64 for
classification (float32 for ``load_diabetes``), ``feature_names`` and ``target_names``.
They need scikit-learn (the ``lab`` extra).
"""

from __future__ import annotations

import numpy as np

from gradlab.data.bunch import Bunch
from gradlab.data.cifar import load_cifar10, read_cifar_batch
from gradlab.data.download import (
    DatasetFormatError,
    DatasetNotFoundError,
    DownloadError,
    data_home,
)
from gradlab.data.idx import load_fashion_mnist, load_mnist, read_idx
from gradlab.data.movielens import load_movielens_100k, read_ratings
from gradlab.data.synthetic import (
    make_classification,
    make_imbalanced_binary,
    make_moons,
    make_regression_with_outliers,
    make_seasonal_series,
    make_spirals,
    sliding_windows,
)
from gradlab.tensor import Tensor

__all__ = [
    "Bunch", "DatasetFormatError", "DatasetNotFoundError", "DownloadError", "data_home",
    "load_breast_cancer", "load_cifar10", "load_diabetes", "load_digits", "load_fashion_mnist",
    "load_iris", "load_mnist", "load_movielens_100k", "load_wine", "make_classification",
    "make_imbalanced_binary", "make_moons", "make_regression_with_outliers",
    "make_seasonal_series", "make_spirals", "read_cifar_batch", "read_idx", "read_ratings",
    "sliding_windows", "train_test_split",
]  # fmt: skip


def _sklearn_dataset(name: str, classification: bool) -> Bunch:
    import sklearn.datasets

    raw = getattr(sklearn.datasets, f"load_{name}")()
    target_names = None
    if classification:
        target_names = [str(t) for t in raw.target_names]
    return Bunch(
        X=np.asarray(raw.data, dtype=np.float32),
        y=np.asarray(raw.target, dtype=np.int64 if classification else np.float32),
        feature_names=[str(f) for f in raw.feature_names],
        target_names=target_names,
        description=f"scikit-learn's load_{name}()",
    )


def load_digits() -> Bunch:
    """8x8 digit images, flattened: X (1797, 64) with values 0..16, y 0..9."""
    return _sklearn_dataset("digits", True)


def load_iris() -> Bunch:
    """Iris flowers: X (150, 4), y in 0..2 (setosa, versicolor, virginica)."""
    return _sklearn_dataset("iris", True)


def load_wine() -> Bunch:
    """Wine cultivars: X (178, 13), y in 0..2."""
    return _sklearn_dataset("wine", True)


def load_breast_cancer() -> Bunch:
    """Breast cancer diagnosis: X (569, 30), y in {0: malignant, 1: benign}."""
    return _sklearn_dataset("breast_cancer", True)


def load_diabetes() -> Bunch:
    """Diabetes progression (regression): X (442, 10) standardized by scikit-learn, y
    float32 (442,)."""
    return _sklearn_dataset("diabetes", False)


def _numpy(a):
    return a.numpy() if isinstance(a, Tensor) else np.asarray(a)


def train_test_split(X, y, test_size=0.25, seed=None, stratify=False):
    """Shuffle and split into train and test parts (scikit-learn's ``train_test_split``).

    Args:
        X: (N, ...) array or Tensor; y: (N,) array or Tensor.
        test_size: a fraction in (0, 1) or a number of samples.
        seed: an int for a reproducible split (None: a different split each call).
        stratify: True keeps the class proportions of ``y`` in both parts; an array
            stratifies by that array instead.

    Returns:
        ``X_train, X_test, y_train, y_test`` as NumPy arrays.
    """
    from sklearn.model_selection import train_test_split as sk_split

    X, y = _numpy(X), _numpy(y)
    strata = (y if stratify else None) if isinstance(stratify, bool) else _numpy(stratify)
    return sk_split(X, y, test_size=test_size, random_state=seed, shuffle=True, stratify=strata)
