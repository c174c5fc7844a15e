"""Data-parallel training over MPI, with ``torch.distributed``'s names: the process group
(``init_process_group``, ``get_rank``, ``get_world_size``, ...), collectives
(``all_reduce``, ``broadcast``, ``barrier``, ...), :class:`DistributedDataParallel`,
:class:`DistributedSampler`, and the strategy under which ``Trainer.fit`` trains over the
ranks unchanged. Needs ``pip install 'gradlab[mpi]'``; importing this package does not
import MPI (``init_process_group`` does).
"""

from gradlab.distributed.collectives import (
    ReduceOp,
    all_gather,
    all_gather_object,
    all_reduce,
    barrier,
    broadcast,
    broadcast_object_list,
)
from gradlab.distributed.gradients import GradientBucket, average_gradients
from gradlab.distributed.parallel import DistributedDataParallel
from gradlab.distributed.process_group import (
    abort,
    destroy_process_group,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
    launched_world_size,
)
from gradlab.distributed.sampler import DistributedSampler
from gradlab.distributed.strategy import MPIStrategy

__all__ = [
    "DistributedDataParallel", "DistributedSampler", "GradientBucket", "MPIStrategy", "ReduceOp",
    "abort", "all_gather", "all_gather_object", "all_reduce", "average_gradients", "barrier",
    "broadcast", "broadcast_object_list", "destroy_process_group", "get_rank", "get_world_size",
    "init_process_group", "is_available", "is_initialized", "launched_world_size",
]  # fmt: skip
