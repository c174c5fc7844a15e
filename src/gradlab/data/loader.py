"""``DataLoader``: batches of a dataset as gradlab Tensors, in order or shuffled.

Fast path: when the dataset is a :class:`TensorDataset` (or a chain of :class:`Subset` s of
one, as :func:`random_split` makes), a batch is one fancy-index per array,
``array[batch_indices]``, instead of fetching samples one by one and stacking them.
"""

from __future__ import annotations

import collections.abc
import math

import numpy as np

from gradlab.backend import default_generator
from gradlab.data.dataset import Dataset, Subset, TensorDataset
from gradlab.tensor import Tensor


def default_collate(samples: list):
    """Stack a list of samples into a batch, following PyTorch's ``default_collate``.

    Arrays and Tensors of shape S become one Tensor of shape (B, *S); Python ints become an
    int64 Tensor, floats a float64 Tensor, bools a bool Tensor (as in PyTorch); tuples and
    lists of fields become a list of collated fields; dicts a dict; strings stay a list.
    """
    elem = samples[0]
    if isinstance(elem, Tensor):
        return Tensor(np.stack([s.numpy() for s in samples]))
    if isinstance(elem, (np.ndarray, np.generic)):
        return Tensor(np.stack(samples))
    if isinstance(elem, bool):
        return Tensor(np.asarray(samples, dtype=np.bool_))
    if isinstance(elem, int):
        return Tensor(np.asarray(samples, dtype=np.int64))
    if isinstance(elem, float):
        return Tensor(np.asarray(samples, dtype=np.float64))
    if isinstance(elem, str):
        return list(samples)
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([s[key] for s in samples]) for key in elem}
    if isinstance(elem, collections.abc.Sequence):
        sizes = {len(s) for s in samples}
        if len(sizes) != 1:
            raise RuntimeError(
                f"default_collate: samples have different numbers of fields {sorted(sizes)}; "
                f"each sample in a batch must have the same number of fields"
            )
        return [default_collate(list(field)) for field in zip(*samples)]
    raise TypeError(
        f"default_collate: samples of type {type(elem).__name__} cannot be batched; expected "
        f"arrays, Tensors, numbers, strings, or tuples/lists/dicts of them (or pass collate_fn)"
    )


def _resolve_arrays(dataset):
    """``(arrays, indices)`` when ``dataset`` is a TensorDataset or Subsets of one
    (``indices`` maps the dataset's positions to rows, None for the identity), else None."""
    index_map = None
    while isinstance(dataset, Subset):
        own = np.asarray(dataset.indices, dtype=np.int64)
        index_map = own if index_map is None else own[index_map]
        dataset = dataset.dataset
    if type(dataset) is TensorDataset:
        return dataset.tensors, index_map
    return None


class DataLoader:
    """Iterate over ``dataset`` in batches.

    Args:
        dataset: a :class:`Dataset` (anything with ``__len__`` and ``__getitem__``).
        batch_size: samples per batch (> 0).
        shuffle: draw a fresh permutation at the start of every epoch (every ``iter``).
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        generator: the ``numpy.random.Generator`` that draws the permutations. When None,
            ``gradlab.backend.default_generator()`` is looked up at the start of each epoch,
            so ``gradlab.manual_seed(s)`` before iterating fixes the order. The same seed
            gives the same order.
        collate_fn: turns a list of samples into a batch; ``default_collate`` when None.

    Yields:
        For a TensorDataset of k arrays, a list of k Tensors of shapes (B, ...) (PyTorch
        yields a list too, so ``for x, y in loader`` works); otherwise whatever
        ``collate_fn`` makes of ``[dataset[i] for i in batch_indices]``. Each batch owns its
        memory: changing it in place never changes the dataset.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        generator: np.random.Generator | None = None,
        collate_fn=None,
    ):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(
                f"DataLoader: batch_size must be a positive integer, got {batch_size!r}"
            )
        if batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size}")
        if generator is not None and not isinstance(generator, np.random.Generator):
            raise TypeError(
                f"DataLoader: generator must be a numpy.random.Generator, got "
                f"{type(generator).__name__}"
            )
        n = len(dataset)
        if n == 0:
            raise ValueError(f"DataLoader: the dataset ({type(dataset).__name__}) is empty")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.generator = generator
        self.collate_fn = collate_fn

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self) -> np.ndarray | None:
        """This epoch's sample order, or None for 0..n-1."""
        if not self.shuffle:
            return None
        rng = self.generator if self.generator is not None else default_generator()
        return rng.permutation(len(self.dataset))

    def __iter__(self):
        n = len(self.dataset)
        order = self._order()
        stop = len(self) * self.batch_size
        fast = _resolve_arrays(self.dataset) if self.collate_fn is None else None
        if fast is not None:
            arrays, index_map = fast
            if index_map is not None:
                order = index_map if order is None else index_map[order]
            for start in range(0, min(stop, n), self.batch_size):
                end = min(start + self.batch_size, n)
                if order is None:  # a contiguous slice, copied so the batch owns its memory
                    yield [Tensor(a[start:end].copy()) for a in arrays]
                else:
                    rows = order[start:end]
                    yield [Tensor(a.take(rows, axis=0)) for a in arrays]
            return
        collate = self.collate_fn if self.collate_fn is not None else default_collate
        for start in range(0, min(stop, n), self.batch_size):
            end = min(start + self.batch_size, n)
            rows = range(start, end) if order is None else order[start:end].tolist()
            yield collate([self.dataset[i] for i in rows])
