"""How ``Trainer.fit`` runs across processes: the hooks it consults, and the one in force.

``Trainer.fit`` asks the current strategy (:func:`get_strategy`) at a few points: to shard
the training data, before each optimizer step (gradients), after each batch (the loss and
outputs that the logs are made of), and after the callbacks of a batch or an epoch (whether
to stop). The default, :class:`Strategy`, is one process: every hook leaves things as they
are. :func:`gradlab.distributed.init_process_group` installs a strategy that averages
gradients and logs over MPI ranks, runs the callbacks that write files on rank 0 only, and
takes every stop decision once for all ranks (so no rank waits for another that stopped).

A strategy only needs the hooks below; this module knows nothing of MPI.
"""

from __future__ import annotations

import os
import warnings

__all__ = ["Strategy", "get_strategy", "launched_world_size", "set_strategy"]

# the world size as MPI launchers (Open MPI, MPICH/Hydra and Slurm's PMI, PMIx, MVAPICH) set it
_LAUNCHER_SIZE_VARIABLES = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MV2_COMM_WORLD_SIZE")


def launched_world_size() -> int:
    """The number of processes the MPI launcher that started this one started (from its
    environment), 1 when no launcher did."""
    for name in _LAUNCHER_SIZE_VARIABLES:
        value = os.environ.get(name, "")
        if value.isdigit():
            return int(value)
    return 1


class Strategy:
    """One process. ``world_size``: processes training together; ``is_chief``: whether this
    one runs the callbacks that write files (``Callback.chief_only``) and prints progress."""

    world_size = 1
    rank = 0

    @property
    def is_chief(self) -> bool:
        return self.rank == 0

    def begin_fit(self, trainer, loader):
        """The loader this process trains on (its shard of ``loader``'s data)."""
        launched = launched_world_size()
        if launched > 1:
            warnings.warn(
                f"fit: this process is one of {launched} started by an MPI launcher, but there "
                "is no process group, so each trains alone on all the data; call "
                "gradlab.distributed.init_process_group() before fit to train together",
                stacklevel=3,
            )
        return loader

    def begin_epoch(self, loader, epoch: int) -> None:
        """Called before each epoch's batches are drawn (e.g. to reseed a sampler)."""

    def before_step(self, model) -> None:
        """Called between ``backward()`` and ``optimizer.step()``: make the gradients the
        ones every process steps with."""

    def batch_result(self, loss: float, n: int, output, target):
        """``(loss, n, output, target)`` of one batch over all processes: the mean loss over
        their ``n`` samples in all, and their outputs (n, ...) and targets (None when the
        epoch's metrics need none)."""
        return loss, n, output, target

    def agree(self, stop: bool) -> bool:
        """Whether to stop, decided once for every process (True when any says so)."""
        return stop


_current = Strategy()


def get_strategy() -> Strategy:
    """The strategy ``Trainer.fit`` uses now."""
    return _current


def set_strategy(strategy: Strategy | None) -> Strategy:
    """Make ``strategy`` (None: one process) the one ``fit`` uses; return the previous one."""
    global _current
    previous, _current = _current, strategy if strategy is not None else Strategy()
    return previous
