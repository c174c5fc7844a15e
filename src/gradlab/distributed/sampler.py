"""``DistributedSampler``: each rank's share of a dataset, as ``torch.utils.data``'s sampler
defines it.

Every epoch the indices 0..N-1 (permuted by a generator seeded with ``seed + epoch`` when
``shuffle``; the same permutation on every rank) are padded by repeating their start to a
multiple of ``num_replicas`` (or cut to one with ``drop_last``), and rank r takes every
``num_replicas``-th index from position r. The shards are disjoint up to the padding and
equal in size, so every rank trains the same number of batches. Call ``set_epoch(epoch)``
before each epoch to get a new order (``Trainer.fit`` does).

The permutation comes from NumPy (``numpy.random.default_rng(seed + epoch)``), so its order
differs from PyTorch's ``torch.randperm``; the sharding is PyTorch's.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["DistributedSampler"]


class DistributedSampler:
    """Iterate over rank ``rank``'s ``num_samples`` indices of ``dataset``.

    Args:
        dataset: anything with ``len()``.
        num_replicas: the number of ranks (default: the process group's world size).
        rank: this rank (default: the process group's rank).
        shuffle: permute the indices every epoch (with ``seed + epoch``).
        seed: the same on every rank.
        drop_last: drop the tail so that the shards divide evenly, instead of padding.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):  # fmt: skip
        if num_replicas is None or rank is None:
            from gradlab.distributed.process_group import get_rank, get_world_size

            num_replicas = get_world_size() if num_replicas is None else num_replicas
            rank = get_rank() if rank is None else rank
        if isinstance(num_replicas, bool) or int(num_replicas) != num_replicas or num_replicas < 1:
            raise ValueError(
                f"DistributedSampler: num_replicas must be a positive integer, got {num_replicas!r}"
            )
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas, self.rank = int(num_replicas), int(rank)
        self.epoch = 0
        self.drop_last = bool(drop_last)
        n = len(dataset)
        if self.drop_last and n % self.num_replicas != 0:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle, self.seed = bool(shuffle), int(seed)

    def indices(self) -> np.ndarray:
        """This rank's indices for the current epoch, (num_samples,) int64."""
        n = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            order = np.arange(n, dtype=np.int64)
        if not self.drop_last:
            padding = self.total_size - n
            if padding > 0:
                order = np.concatenate([order, np.resize(order, padding)])
        else:
            order = order[: self.total_size]
        return order[self.rank : self.total_size : self.num_replicas].astype(np.int64)

    def __iter__(self):
        return iter(self.indices().tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use ``epoch``'s order from now on (the same ``epoch`` on every rank)."""
        self.epoch = int(epoch)
