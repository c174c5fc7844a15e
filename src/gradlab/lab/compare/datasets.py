"""The datasets ``gradlab compare`` trains on, split and scaled the same way for every
variant: scikit-learn's bundled sets and toy problems (offline), and MNIST, Fashion-MNIST
and CIFAR-10 when their files are in the cache directory (``gradlab.data.data_home``).

Tabular sets are standardized with the training part's mean and standard deviation; image
sets are kept as (N, C, H, W) in [0, 1], and flattened by the MLPs that take them.
"""

from __future__ import annotations

import numpy as np

from gradlab.lab.compare.experiment import CompareError, Data

__all__ = ["FLAT", "IMAGES", "load", "cifar10_available", "limit_data"]

FLAT = ("digits", "iris", "wine", "breast_cancer", "moons", "spirals", "mnist", "fashion_mnist")
"""Datasets for the MLP experiments (images are flattened)."""
IMAGES = ("digits", "mnist", "fashion_mnist", "cifar10")
"""Datasets with images, for the CNN experiments."""

TEST_FRACTION = 0.2
SPLIT_SEED = 0  # the split is the same for every seed: runs differ only by init and order


def _standardize(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both parts standardized with the training part's statistics, as float32 (constant
    columns, such as digits' corner pixels, stay 0)."""
    from gradlab.data.transforms import Standardize

    scaler = Standardize().fit(train)
    return scaler.transform(train).astype(np.float32), scaler.transform(test).astype(np.float32)


def _split(x, y, name, description, num_classes, standardize=True) -> Data:
    from gradlab.data import train_test_split

    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=TEST_FRACTION, seed=SPLIT_SEED, stratify=True
    )
    if standardize:
        x_train, x_test = _standardize(x_train, x_test)
    return Data(name, x_train, y_train, x_test, y_test, "classification", description,
                num_classes)  # fmt: skip


def _digits(images: bool) -> Data:
    from gradlab.data import load_digits

    x, y = load_digits()
    if images:  # 0..16 -> [0, 1], as the notes scale pixels by 255
        x = (x / np.float32(16.0)).reshape(-1, 1, 8, 8).astype(np.float32)
        return _split(x, y, "digits", "scikit-learn's 8x8 digits as 1x8x8 images in [0, 1], "
                      "80/20 stratified split", 10, standardize=False)  # fmt: skip
    return _split(x, y, "digits", "scikit-learn's 8x8 digits (64 pixel features, "
                  "standardized), 80/20 stratified split", 10)  # fmt: skip


def _bundled(name: str) -> Data:
    from gradlab import data as D

    bunch = getattr(D, f"load_{name}")()
    return _split(bunch.X, bunch.y, name, f"scikit-learn's {name} ({bunch.X.shape[1]} "
                  "standardized features), 80/20 stratified split",
                  len(bunch.target_names))  # fmt: skip


def _toy(name: str) -> Data:
    from gradlab import data as D

    if name == "moons":
        bunch = D.make_moons(1000, noise=0.2, seed=SPLIT_SEED)
        text = "make_moons(1000, noise=0.2)"
    else:
        bunch = D.make_spirals(1000, n_classes=3, noise=0.2, seed=SPLIT_SEED)
        text = "make_spirals(1000, 3 arms, noise=0.2)"
    classes = int(bunch.y.max()) + 1
    return _split(bunch.X, bunch.y, name, f"{text}, standardized, 80/20 split", classes)


def _files(name: str, images: bool) -> Data:
    from gradlab import data as D

    loader = {"mnist": D.load_mnist, "fashion_mnist": D.load_fashion_mnist,
              "cifar10": D.load_cifar10}[name]  # fmt: skip
    train = loader(train=True, download=False)  # DatasetNotFoundError names the files
    test = loader(train=False, download=False)
    x_train, x_test = train.X, test.X
    if not images:
        x_train = x_train.reshape(len(x_train), -1)
        x_test = x_test.reshape(len(x_test), -1)
    shape = "images" if images else "flattened pixels"
    return Data(name, x_train, train.y, x_test, test.y, "classification",
                f"{name} from the cache directory, {shape} in [0, 1], the official "
                "train/test split", len(train.target_names))  # fmt: skip


def limit_data(data: Data, limit: int | None, seed: int = SPLIT_SEED) -> Data:
    """Keep ``limit`` training samples and ``max(limit // 4, 1)`` test samples (random,
    fixed by ``seed``); None keeps everything."""
    if limit is None:
        return data
    rng = np.random.default_rng(seed)
    n_test = max(limit // 4, 1)
    keep = np.sort(rng.permutation(len(data.x_train))[:limit])
    keep_test = np.sort(rng.permutation(len(data.x_test))[:n_test])
    if len(keep) == len(data.x_train) and len(keep_test) == len(data.x_test):
        return data
    data.x_train, data.y_train = data.x_train[keep], data.y_train[keep]
    data.x_test, data.y_test = data.x_test[keep_test], data.y_test[keep_test]
    data.description += f"; a random subset of {len(keep)} training / {len(keep_test)} test samples"
    return data


def load(name: str, allowed: tuple, *, images: bool = False, limit: int | None = None,
         where: str = "gradlab compare") -> Data:  # fmt: skip
    """The dataset ``name`` (one of ``allowed``) as :class:`Data`; ``images`` keeps image
    sets as (N, C, H, W). CompareError for an unknown name, DatasetNotFoundError when a
    file dataset is not in the cache directory."""
    if name not in allowed:
        raise CompareError(
            f"{where}: unknown dataset {name!r}; this experiment takes: {', '.join(allowed)}"
        )
    if name == "digits":
        data = _digits(images)
    elif name in ("iris", "wine", "breast_cancer"):
        data = _bundled(name)
    elif name in ("moons", "spirals"):
        data = _toy(name)
    else:
        data = _files(name, images)
    return limit_data(data, limit)


def cifar10_available() -> bool:
    """Whether CIFAR-10's binary batches are in the cache directory (nothing downloaded)."""
    from gradlab.data import DatasetNotFoundError, data_home
    from gradlab.data.cifar import SUBDIR, TEST_FILES, TRAIN_FILES

    directory = data_home() / SUBDIR
    try:
        return all((directory / f).is_file() for f in TRAIN_FILES + TEST_FILES)
    except (OSError, DatasetNotFoundError):  # pragma: no cover - unreadable cache dir
        return False
