"""Datasets: ``Dataset``, ``TensorDataset``, ``Subset``, ``ConcatDataset`` and ``random_split``.

PyTorch's names and semantics (``torch.utils.data``), with one difference: items are NumPy
arrays (or whatever the dataset stores), not Tensors. The :class:`~gradlab.data.DataLoader`
turns a batch of items into gradlab Tensors; a single item is data, not part of a graph.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

import numpy as np

from gradlab.backend import default_generator
from gradlab.tensor import Tensor


class Dataset:
    """An indexable collection of samples: subclasses define ``__getitem__`` and ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


def _as_array(value) -> np.ndarray:
    if isinstance(value, Tensor):
        return value.numpy()
    return value if isinstance(value, np.ndarray) else np.asarray(value)


class TensorDataset(Dataset):
    """Samples are the rows of arrays that share their first dimension.

    Args:
        *tensors: NumPy arrays, gradlab Tensors or nested lists, each of shape (N, ...).
            Tensors are stored by their data array (no copy), so the dataset is not part
            of any graph.

    ``dataset[i]`` is the tuple ``(tensors[0][i], tensors[1][i], ...)`` of NumPy values.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: expected at least one array, got none")
        arrays = tuple(_as_array(t) for t in tensors)
        for i, a in enumerate(arrays):
            if a.ndim == 0:
                raise ValueError(
                    f"TensorDataset: array {i} is 0-d; expected shape (N, ...) with a first "
                    f"dimension of samples"
                )
        sizes = [a.shape[0] for a in arrays]
        if len(set(sizes)) != 1:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ValueError(
                f"TensorDataset: size mismatch between arrays: first dimensions {sizes} "
                f"(shapes {shapes}); all must have the same number of samples"
            )
        self.tensors = arrays

    def __getitem__(self, index):
        return tuple(a[index] for a in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several datasets one after the other."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int):
        if index < 0:
            if -index > len(self):
                raise IndexError(
                    f"ConcatDataset: index {index} is out of range for length {len(self)}"
                )
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        if which == len(self.datasets):
            raise IndexError(f"ConcatDataset: index {index} is out of range for length {len(self)}")
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][index - start]


def _split_lengths(n: int, lengths: Sequence) -> list[int]:
    """Integer lengths from integers, or from fractions that sum to 1 (PyTorch's rule: floor
    each, then hand the remainder out one by one from the first subset on)."""
    lengths = list(lengths)
    is_fraction = (
        all(isinstance(x, (float, np.floating)) for x in lengths)
        and math.isclose(sum(lengths), 1.0)
        and sum(lengths) <= 1.0 + 1e-9
    )
    if is_fraction:
        for i, frac in enumerate(lengths):
            if not 0.0 <= frac <= 1.0:
                raise ValueError(f"random_split: fraction at index {i} is {frac}; expected [0, 1]")
        counts = [int(math.floor(n * frac)) for frac in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        return counts
    counts = []
    for i, x in enumerate(lengths):
        if isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < 0:
            raise ValueError(
                f"random_split: lengths[{i}] is {x!r}; expected non-negative integers, or "
                f"fractions that sum to 1"
            )
        counts.append(int(x))
    if sum(counts) != n:
        raise ValueError(
            f"random_split: lengths {counts} sum to {sum(counts)}, but the dataset has {n} samples"
        )
    return counts


def random_split(dataset: Dataset, lengths: Sequence, generator: np.random.Generator | None = None):
    """Split ``dataset`` into non-overlapping random :class:`Subset` s.

    Args:
        lengths: the size of each subset, or fractions summing to 1 (``[0.8, 0.2]``).
        generator: the ``numpy.random.Generator`` that draws the permutation;
            ``gradlab.backend.default_generator()`` when None.
    """
    counts = _split_lengths(len(dataset), lengths)
    rng = generator if generator is not None else default_generator()
    perm = rng.permutation(len(dataset)).tolist()
    subsets, start = [], 0
    for count in counts:
        subsets.append(Subset(dataset, perm[start : start + count]))
        start += count
    return subsets
