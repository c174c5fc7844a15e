"""Data: datasets, the DataLoader, transforms, and dataset functions (PyTorch's names).

``from gradlab.data import DataLoader, TensorDataset, load_iris, transforms``
"""

from gradlab.data import transforms
from gradlab.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from gradlab.data.datasets import (
    Bunch,
    DatasetFormatError,
    DatasetNotFoundError,
    data_home,
    load_breast_cancer,
    load_cifar10,
    load_diabetes,
    load_digits,
    load_fashion_mnist,
    load_iris,
    load_mnist,
    load_movielens_100k,
    load_wine,
    make_classification,
    make_imbalanced_binary,
    make_moons,
    make_regression_with_outliers,
    make_seasonal_series,
    make_spirals,
    sliding_windows,
    train_test_split,
)
from gradlab.data.loader import DataLoader, default_collate, default_convert
from gradlab.data.samplers import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from gradlab.data.synthetic_tasks import make_gaussian_mixture, make_ratings, make_reversal_pairs
from gradlab.data.workers import WorkerInfo, get_worker_info

__all__ = [
    "BatchSampler", "ChainDataset", "IterableDataset", "RandomSampler", "Sampler",
    "SequentialSampler", "SubsetRandomSampler", "WeightedRandomSampler", "WorkerInfo",
    "default_convert", "get_worker_info",
    "Bunch", "ConcatDataset", "DataLoader", "Dataset", "DatasetFormatError",
    "DatasetNotFoundError", "Subset", "TensorDataset", "data_home", "default_collate",
    "load_breast_cancer", "load_cifar10", "load_diabetes", "load_digits", "load_fashion_mnist",
    "load_iris", "load_mnist", "load_movielens_100k", "load_wine", "make_classification",
    "make_gaussian_mixture", "make_imbalanced_binary", "make_moons", "make_ratings",
    "make_reversal_pairs", "make_regression_with_outliers",
    "make_seasonal_series", "make_spirals", "random_split", "sliding_windows", "transforms",
    "train_test_split",
]  # fmt: skip
