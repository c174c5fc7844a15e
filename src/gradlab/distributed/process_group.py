"""The process group: the processes an MPI launcher (``mpirun``, ``mpiexec``, ``srun``)
started, as PyTorch's ``torch.distributed`` names them.

::

    import gradlab.distributed as dist

    dist.init_process_group(backend="mpi")     # once, before building the Trainer
    rank, world = dist.get_rank(), dist.get_world_size()

Launch with ``mpiexec -n 4 python train.py`` (one host) or ``mpiexec -hosts a,b -n 8 ...`` /
``srun -n 8 python train.py`` (a cluster). Ranks and world size come from MPI; there is no
address, port or store to give. Needs mpi4py and an MPI library: ``pip install 'gradlab[mpi]'``
(mpi4py with the MPICH wheel).

While the group exists, an exception that no code catches on any rank prints its traceback
and aborts the whole job (``MPI_Abort``), so no other rank waits forever in a collective for
a rank that is gone (``python -m mpi4py`` does the same).
"""

from __future__ import annotations

import sys

from gradlab.train.strategy import launched_world_size, set_strategy

__all__ = [
    "abort",
    "destroy_process_group",
    "get_rank",
    "get_world_size",
    "init_process_group",
    "is_available",
    "is_initialized",
    "launched_world_size",
]

_NOT_INITIALIZED = (
    "Default process group has not been initialized, please make sure to call init_process_group."
)


class _Group:
    """The default group: the MPI communicator it runs on, and what it replaced."""

    def __init__(self, comm, previous_strategy, previous_excepthook):
        self.comm = comm
        self.previous_strategy = previous_strategy
        self.previous_excepthook = previous_excepthook


_group: _Group | None = None


def is_available() -> bool:
    """Whether mpi4py (and so an MPI library) can be imported."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise ImportError(
            "gradlab.distributed needs mpi4py and an MPI library: pip install 'gradlab[mpi]' "
            f"(mpi4py with the MPICH wheel), or pip install mpi4py mpich ({error})"
        ) from error
    return MPI


def init_process_group(backend="mpi", init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="") -> None:  # fmt: skip
    """Join the default process group: every process the MPI launcher started.

    Args:
        backend: "mpi" (or None): the only backend gradlab has.
        init_method, store, group_name, timeout: accepted for PyTorch's signature; MPI
            needs no rendezvous (``init_method`` must be None or "env://").
        world_size, rank: -1, or the values MPI gives (a check of the launch).

    Also installs the strategy (:mod:`gradlab.distributed.strategy`) under which
    ``Trainer.fit`` trains data-parallel over the group, and the hook that aborts the job
    when any rank raises. Raises ValueError when called twice (as PyTorch).
    """
    global _group
    if backend is not None and str(backend).lower() != "mpi":
        raise ValueError(
            f"init_process_group: backend {backend!r} is not available; gradlab's only "
            "backend is 'mpi' (launch with mpiexec/mpirun/srun)"
        )
    if init_method not in (None, "env://"):
        raise ValueError(
            f"init_process_group: init_method={init_method!r}: the MPI backend takes the "
            "group from the MPI launcher; leave init_method None"
        )
    if _group is not None:
        raise ValueError("trying to initialize the default process group twice!")
    MPI = _mpi()
    comm = MPI.COMM_WORLD.Dup()
    for name, given, actual in (("world_size", world_size, comm.size), ("rank", rank, comm.rank)):
        if given not in (-1, None) and int(given) != actual:
            comm.Free()
            raise ValueError(
                f"init_process_group: {name}={given}, but MPI started this process as "
                f"{name} {actual} (launch with mpiexec -n N, or leave {name} out)"
            )
    from gradlab.distributed.strategy import MPIStrategy

    previous = set_strategy(MPIStrategy(comm))
    _group = _Group(comm, previous, sys.excepthook)
    sys.excepthook = _abort_on_exception


def _abort_on_exception(kind, value, traceback) -> None:
    group = _group
    if group is None:
        return sys.__excepthook__(kind, value, traceback)
    group.previous_excepthook(kind, value, traceback)
    if group.comm.size > 1:
        rank = group.comm.rank
        print(f"gradlab.distributed: rank {rank} raised {kind.__name__}; aborting all "
              f"{group.comm.size} ranks", file=sys.stderr, flush=True)  # fmt: skip
        abort(1)


def abort(code: int = 1) -> None:
    """End every process of the job now with exit status ``code`` (``MPI_Abort``): what a
    rank does when it cannot go on, so that no other waits for it."""
    sys.stdout.flush()
    sys.stderr.flush()
    comm = _group.comm if _group is not None else _mpi().COMM_WORLD
    comm.Abort(int(code))


def is_initialized() -> bool:
    """Whether :func:`init_process_group` has been called (and not destroyed)."""
    return _group is not None


def default_comm():
    """The MPI communicator of the default group (ValueError when there is none)."""
    if _group is None:
        raise ValueError(_NOT_INITIALIZED)
    return _group.comm


def get_rank(group=None) -> int:
    """This process's rank in the group, 0..world_size-1."""
    return default_comm().rank


def get_world_size(group=None) -> int:
    """The number of processes in the group."""
    return default_comm().size


def destroy_process_group(group=None) -> None:
    """Leave the group: ``Trainer.fit`` is one process again, and exceptions no longer
    abort the job. (MPI itself ends with the process.)"""
    global _group
    if _group is None:
        raise ValueError(_NOT_INITIALIZED)
    group, _group = _group, None
    set_strategy(group.previous_strategy)
    if sys.excepthook is _abort_on_exception:
        sys.excepthook = group.previous_excepthook
    group.comm.Free()
