"""``DataLoader``: batches of a dataset as gradlab Tensors (``torch.utils.data.DataLoader``).

Fast path: when the dataset is a :class:`TensorDataset` (or a chain of :class:`Subset` s of
one, as :func:`random_split` makes), a batch is one fancy-index per array,
``array[batch_indices]``, instead of fetching samples one by one and stacking them.
"""

from __future__ import annotations

import collections.abc
import itertools
import warnings

import numpy as np

from gradlab.backend import default_generator
from gradlab.data.dataset import IterableDataset, Subset, TensorDataset
from gradlab.data.samplers import BatchSampler, RandomSampler, Sampler, SequentialSampler
from gradlab.data.workers import MultiProcessIter
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
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(list(field)) for field in zip(*samples)))
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


def default_convert(data):
    """What the DataLoader does to each sample when ``batch_size=None`` (no batching): NumPy
    arrays and numbers become Tensors, containers are converted element by element, anything
    else is left as it is (PyTorch's ``default_convert``)."""
    if isinstance(data, np.ndarray) and data.dtype.kind in "biufc":
        return Tensor(data)
    if isinstance(data, np.generic) and data.dtype.kind in "biufc":
        return Tensor(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return {key: default_convert(value) for key, value in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return [default_convert(d) for d in data]
    return data


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


class _InfiniteConstantSampler(Sampler):
    """The sampler of an IterableDataset: None forever (the dataset decides the order)."""

    def __iter__(self):
        return itertools.repeat(None)


def _fetch_map(dataset, indices, collate, auto_collation):
    if auto_collation:
        return collate([dataset[i] for i in indices])
    return collate(dataset[indices])


def _fetch_iterable(stream, batch_size, collate, auto_collation, drop_last):
    if not auto_collation:
        return collate(next(stream))
    samples = list(itertools.islice(stream, batch_size))
    if not samples or (drop_last and len(samples) < batch_size):
        raise StopIteration
    return collate(samples)


class _Fetcher:
    """Turns one batch of indices into a batch (picklable, so workers can run it)."""

    def __init__(self, loader):
        self.iterable = loader._iterable
        self.collate = loader.collate_fn
        self.auto_collation = loader._auto_collation
        self.batch_size = loader.batch_size
        self.drop_last = loader.drop_last
        self.fast = None
        if not self.iterable and self.auto_collation and loader._default_collate:
            self.fast = _resolve_arrays(loader.dataset)

    def __call__(self, source, indices):
        if self.iterable:
            return _fetch_iterable(
                source, self.batch_size, self.collate, self.auto_collation, self.drop_last
            )
        if self.fast is not None:  # one fancy index per array instead of sample by sample
            arrays, index_map = self.fast
            rows = np.asarray(indices, dtype=np.int64)
            if index_map is not None:
                rows = index_map[rows]
            return [Tensor(a.take(rows, axis=0)) for a in arrays]
        return _fetch_map(source, indices, self.collate, self.auto_collation)


class DataLoader:
    """Iterate over ``dataset`` in batches (PyTorch's ``torch.utils.data.DataLoader``).

    Args:
        dataset: a map-style :class:`Dataset` (``__len__`` and ``__getitem__``) or an
            :class:`IterableDataset`.
        batch_size: samples per batch (default 1); None turns batching off (each sample goes
            through :func:`default_convert`, or ``collate_fn``).
        shuffle: a fresh random order every pass (a :class:`RandomSampler`).
        sampler: the order of the indices (excludes ``shuffle``).
        batch_sampler: yields lists of indices (excludes batch_size, shuffle, sampler,
            drop_last).
        num_workers: 0 loads in this process; more loads in that many worker processes, each
            seeded as PyTorch seeds them (see :mod:`gradlab.data.workers`).
        collate_fn: turns a list of samples into a batch; :func:`default_collate` when None.
        pin_memory: accepted; gradlab has no accelerator memory to pin (a warning says so).
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        timeout: seconds to wait for a worker's batch before raising (0: forever).
        worker_init_fn: called as ``worker_init_fn(worker_id)`` in each worker after seeding.
        multiprocessing_context: a ``multiprocessing`` context or its name ('fork', 'spawn').
        generator: a ``gradlab.Generator`` (or ``numpy.random.Generator``) for the shuffle
            order and the workers' base seed; gradlab's default generator when None, looked
            up at the start of each pass, so ``gradlab.manual_seed(s)`` fixes the order.
        prefetch_factor: batches in flight per worker (default 2 when num_workers > 0).
        persistent_workers: keep the worker processes between passes.

    Yields:
        For a TensorDataset (or Subsets of one) of k arrays, a list of k Tensors of shapes
        (B, ...), built with one fancy index per array; otherwise ``collate_fn`` of the
        samples. Each batch owns its memory: changing it in place never changes the dataset.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers: int = 0, collate_fn=None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None,
                 persistent_workers: bool = False, pin_memory_device: str = "",
                 in_order: bool = True):  # fmt: skip
        if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)):
            raise TypeError(f"num_workers must be an integer, got {num_workers!r}")
        if num_workers < 0:
            raise ValueError(
                "num_workers option should be non-negative; use num_workers=0 to disable "
                "multiprocessing."
            )
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing.let "
                "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to "
                "None."
            )
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if generator is not None and not isinstance(generator, np.random.Generator):
            raise TypeError(
                f"DataLoader: generator must be a gradlab.Generator (or a "
                f"numpy.random.Generator), got {type(generator).__name__}"
            )
        if pin_memory:
            warnings.warn(
                "'pin_memory' argument is set as true but no accelerator is found, then device "
                "pinned memory won't be used.",
                UserWarning,
                stacklevel=2,
            )
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (False, None):
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified shuffle option, but "
                    f"got shuffle={shuffle}"
                )
            if sampler is not None:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified sampler option, but "
                    f"got sampler={sampler}"
                )
            if batch_sampler is not None:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified batch_sampler "
                    f"option, but got batch_sampler={batch_sampler}"
                )
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive with "
                "drop_last"
            )
        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.generator = generator  # before the sampler that shares it (found by this name)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = int(num_workers)
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self._auto_collation = batch_sampler is not None
        self._default_collate = collate_fn is None
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self._iterator = None

    @property
    def shuffle(self) -> bool:
        return isinstance(self.sampler, RandomSampler)

    def _index_batches(self):
        """What each fetch gets: lists of indices, single indices, or None (iterable)."""
        if self._iterable:
            return itertools.repeat(None)
        return iter(self.batch_sampler if self._auto_collation else self.sampler)

    @property
    def _fetch(self) -> _Fetcher:
        return _Fetcher(self)

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)  # TypeError when the IterableDataset has no length
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler if self._auto_collation else self.sampler)

    def __iter__(self):
        if self.num_workers == 0:
            return self._single_process()
        base_seed = int(self._rng().integers(0, 1 << 63))
        if not self.persistent_workers:
            return MultiProcessIter(self, base_seed)
        if self._iterator is None:
            self._iterator = MultiProcessIter(self, base_seed)
        else:
            self._iterator.reset()
        return self._iterator

    def _rng(self) -> np.random.Generator:
        return self.generator if self.generator is not None else default_generator()

    def _single_process(self):
        fetch = self._fetch
        if self._iterable:
            stream = iter(self.dataset)
            while True:
                try:
                    batch = fetch(stream, None)
                except StopIteration:
                    return
                yield batch
        for indices in self._index_batches():
            yield fetch(self.dataset, indices)
