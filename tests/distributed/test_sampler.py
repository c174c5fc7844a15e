"""DistributedSampler: PyTorch's sharding (padding, drop_last, interleaving), a new order per
epoch, the same order on every rank; DataLoader(sampler=...); and the process group's
errors before any MPI is started."""

import numpy as np
import pytest

import gradlab.distributed as dist
from gradlab.data import DataLoader, TensorDataset
from gradlab.distributed import DistributedSampler


@pytest.mark.parametrize("n", [1, 2, 5, 7, 12])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_unshuffled_shards_are_torchs(n, replicas, drop_last):
    torch_data = pytest.importorskip("torch.utils.data")
    TorchSampler = torch_data.DistributedSampler  # noqa: N806

    data = list(range(n))
    for rank in range(replicas):
        ours = DistributedSampler(data, replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = TorchSampler(data, replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs)


@pytest.mark.parametrize("n", [9, 16])
def test_shuffled_shards_cover_the_data_and_change_with_the_epoch(n):
    shards = [DistributedSampler(range(n), 2, r, shuffle=True, seed=3) for r in range(2)]
    first = [list(s) for s in shards]
    assert len(first[0]) == len(first[1]) == -(-n // 2)
    assert sorted(set(first[0]) | set(first[1])) == list(range(n))
    assert first == [list(s) for s in shards]  # the same epoch gives the same order
    for s in shards:
        s.set_epoch(1)
    assert [list(s) for s in shards] != first


def test_bad_rank_and_replicas_are_refused():
    with pytest.raises(
        ValueError,
        match=r"Invalid rank 2, rank should be in the interval \[0, 1\]",
    ):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="num_replicas must be a positive integer"):
        DistributedSampler(range(4), num_replicas=0, rank=0)


def test_loader_with_sampler_draws_the_samplers_indices():
    x = np.arange(10, dtype=np.float32).reshape(10, 1)
    loader = DataLoader(TensorDataset(x), batch_size=2, sampler=DistributedSampler(
        range(10), 2, 1, shuffle=False))  # fmt: skip
    assert len(loader) == 3
    assert [b[0].numpy().ravel().tolist() for b in loader] == [[1, 3], [5, 7], [9]]
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(TensorDataset(x), sampler=[0, 1], shuffle=True)


def test_the_process_group_refuses_what_it_cannot_do_before_starting_mpi():
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match="has not been initialized"):
        dist.get_rank()
    with pytest.raises(ValueError, match="has not been initialized"):
        dist.get_world_size()
    with pytest.raises(ValueError, match="backend 'nccl' is not available"):
        dist.init_process_group("nccl")
    with pytest.raises(ValueError, match="init_method='tcp://"):
        dist.init_process_group("mpi", init_method="tcp://10.0.0.1:23456")
    assert not dist.is_initialized()
