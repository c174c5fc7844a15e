"""PyTorch's ``torch.utils.data``: datasets, samplers and the DataLoader.

The same objects as :mod:`gradlab.data` (which also holds gradlab's dataset loaders), under
PyTorch's import path, so ``from torch.utils.data import DataLoader`` ports unchanged.
"""

from gradlab.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
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
from gradlab.data.workers import WorkerInfo, get_worker_info

__all__ = [
    "BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "IterableDataset",
    "RandomSampler", "Sampler", "SequentialSampler", "Subset", "SubsetRandomSampler",
    "TensorDataset", "WeightedRandomSampler", "WorkerInfo", "default_collate",
    "default_convert", "get_worker_info", "random_split",
]  # fmt: skip


def __getattr__(name):
    if name in ("DistributedSampler",):
        raise AttributeError(
            "gradlab.utils.data.DistributedSampler is not implemented here; use "
            "gradlab.distributed.DistributedSampler"
        )
    raise AttributeError(
        f"gradlab.utils.data.{name} is not implemented in gradlab (torch.utils.data.{name} "
        f"has no counterpart here)"
    )
