"""``MPIStrategy``: how ``Trainer.fit`` trains data-parallel over MPI ranks (installed by
:func:`~gradlab.distributed.init_process_group`; see :mod:`gradlab.train.strategy`).

- Data: each rank trains on its shard of the training data (:class:`DistributedSampler`,
  ``shuffle`` as fit was given, seeded from fit's ``generator`` (0 without one) and
  reseeded every epoch), with fit's
  ``batch_size`` per rank (PyTorch's convention: the global batch is ``world_size`` times it).
  Validation data is evaluated whole on every rank (the same weights give the same logs).
- Weights: rank 0's parameters are copied to every rank when fit starts; before every
  optimizer step the gradients are averaged over the ranks in one bucketed all-reduce
  (unless the model is a :class:`DistributedDataParallel`, which did it in backward).
- Logs: each batch's loss is the mean over all ranks' samples, and the outputs and targets
  that the epoch's metrics are computed from are gathered from every rank, so every rank
  holds the same logs, the same History and the same epoch in progress (a checkpoint that
  rank 0 writes is every rank's state: a distributed run resumes exactly).
- Callbacks that write files (``Callback.chief_only``: ModelCheckpoint, CSVLogger,
  TensorBoard, BackupAndRestore) and the progress bar run on rank 0 only; every stop
  decision (EarlyStopping, TerminateOnNaN, any callback's ``stop_training``) is taken once,
  for all ranks, after each batch and epoch, so no rank is left waiting for another.
"""

from __future__ import annotations

import numpy as np

from gradlab.data.loader import DataLoader
from gradlab.distributed.gradients import GradientBucket
from gradlab.distributed.sampler import DistributedSampler
from gradlab.train.strategy import Strategy

__all__ = ["MPIStrategy"]


class MPIStrategy(Strategy):
    """Data-parallel training over the MPI communicator ``comm``."""

    def __init__(self, comm):
        self.comm = comm
        self.rank, self.world_size = comm.rank, comm.size
        self._bucket = None
        self._scalars = np.zeros(3, dtype=np.float64)

    def begin_fit(self, trainer, loader):
        from gradlab.distributed.parallel import DistributedDataParallel

        model = trainer.model
        self._bucket = None
        if not isinstance(model, DistributedDataParallel):
            for t in [*model.parameters(), *model.buffers()]:
                self.comm.Bcast(t.numpy(), root=0)
            self._bucket = GradientBucket(list(model.parameters()))
        if self.world_size == 1 or isinstance(loader.sampler, DistributedSampler):
            return loader  # one rank trains on all of it; or the caller sharded it
        # the same seed on every rank (and on resume): from fit's generator when it has one
        seed = int(loader.generator.integers(2**31)) if loader.generator is not None else 0
        sampler = DistributedSampler(
            loader.dataset, self.world_size, self.rank, shuffle=loader.shuffle, seed=seed
        )
        return DataLoader(
            loader.dataset,
            batch_size=loader.batch_size,
            drop_last=loader.drop_last,
            collate_fn=None if getattr(loader, "_default_collate", False) else loader.collate_fn,
            sampler=sampler,
        )

    def begin_epoch(self, loader, epoch: int) -> None:
        sampler = getattr(loader, "sampler", None)
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(epoch)

    def before_step(self, model) -> None:
        if self._bucket is not None:
            self._bucket.average(self.comm)

    def batch_result(self, loss: float, n: int, output, target):
        from mpi4py import MPI

        if self.world_size == 1:
            return loss, n, output, target
        scalars = self._scalars
        scalars[0], scalars[1] = loss * n, n
        self.comm.Allreduce(MPI.IN_PLACE, scalars[:2], op=MPI.SUM)
        total, count = float(scalars[0]), int(scalars[1])
        if output is not None:
            pieces = self.comm.allgather((output, target))
            output = np.concatenate([o for o, _ in pieces])
            target = np.concatenate([t for _, t in pieces])
        return total / count, count, output, target

    def agree(self, stop: bool) -> bool:
        if self.world_size == 1:
            return bool(stop)
        return bool(self.comm.allreduce(bool(stop), op=_mpi_lor()))


def _mpi_lor():
    from mpi4py import MPI

    return MPI.LOR
