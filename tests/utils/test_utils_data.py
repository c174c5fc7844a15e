"""gradlab.utils.data: PyTorch's namespace, samplers, DataLoader options and worker processes."""

import random

import numpy as np
import pytest

import gradlab
from gradlab.utils import data as gdata

torch = pytest.importorskip("torch")
tdata = torch.utils.data


def test_names_are_pytorchs_and_the_same_objects_as_gradlab_data():
    for name in ["Dataset", "IterableDataset", "TensorDataset", "DataLoader", "random_split",
                 "Subset", "ConcatDataset", "default_collate", "Sampler", "SequentialSampler",
                 "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler",
                 "get_worker_info"]:  # fmt: skip
        assert hasattr(tdata, name)
        assert getattr(gdata, name) is getattr(gradlab.data, name)
    with pytest.raises(AttributeError, match="not implemented in gradlab"):
        gdata.DataLoader2  # noqa: B018


def test_tensor_dataset_items_are_tensors_as_pytorch():
    ds = gdata.TensorDataset(gradlab.arange(6).reshape(3, 2), gradlab.tensor([0.5, 1.0, 2.0]))
    x, y = ds[1]
    assert isinstance(x, gradlab.Tensor) and x.tolist() == [2, 3] and y.item() == 1.0


@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_sampler_matches_pytorch(drop_last):
    ours = list(gdata.BatchSampler(gdata.SequentialSampler(range(10)), 3, drop_last))
    theirs = list(tdata.BatchSampler(tdata.SequentialSampler(range(10)), 3, drop_last))
    assert ours == theirs
    assert len(gdata.BatchSampler(range(10), 3, drop_last)) == len(theirs)


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.BatchSampler(range(4), 0, False),
        lambda m: m.BatchSampler(range(4), 2, 1),
        lambda m: m.RandomSampler(range(4), num_samples=0),
        lambda m: m.WeightedRandomSampler([1.0, 2.0], 0),
        lambda m: m.WeightedRandomSampler([[1.0, 2.0]], 2),
    ],
)
def test_sampler_errors_as_pytorch(make):
    with pytest.raises(ValueError) as theirs:
        make(tdata)
    with pytest.raises(ValueError) as ours:
        make(gdata)
    assert str(ours.value) == str(theirs.value)


def test_random_samplers_are_reproducible_with_a_generator():
    g = gradlab.Generator().manual_seed(5)
    first = list(gdata.RandomSampler(range(20), generator=g))
    g.manual_seed(5)
    assert list(gdata.RandomSampler(range(20), generator=g)) == first
    assert sorted(first) == list(range(20))
    with_replacement = list(gdata.RandomSampler(range(5), True, 50, generator=g))
    assert len(with_replacement) == 50 and set(with_replacement) <= set(range(5))
    chained = list(gdata.RandomSampler(range(4), num_samples=10, generator=g))
    assert len(chained) == 10 and sorted(chained[:4]) == [0, 1, 2, 3]
    subset = list(gdata.SubsetRandomSampler([7, 8, 9], generator=g))
    assert sorted(subset) == [7, 8, 9]


def test_weighted_sampler_follows_the_weights():
    g = gradlab.Generator().manual_seed(0)
    draws = list(gdata.WeightedRandomSampler([0.0, 1.0, 3.0], 4000, generator=g))
    counts = np.bincount(draws, minlength=3)
    assert counts[0] == 0 and 0.7 < counts[2] / 4000 < 0.8
    unique = list(gdata.WeightedRandomSampler([1.0, 1.0, 1.0], 3, replacement=False, generator=g))
    assert sorted(unique) == [0, 1, 2]


def _loader_errors(m, ds):
    return [
        lambda: m.DataLoader(ds, shuffle=True, sampler=m.SequentialSampler(ds)),
        lambda: m.DataLoader(ds, batch_size=2, batch_sampler=m.BatchSampler(range(4), 2, False)),
        lambda: m.DataLoader(ds, batch_size=None, drop_last=True),
        lambda: m.DataLoader(ds, num_workers=-1),
        lambda: m.DataLoader(ds, prefetch_factor=2),
        lambda: m.DataLoader(ds, persistent_workers=True),
        lambda: m.DataLoader(ds, timeout=-1),
    ]


def test_dataloader_option_errors_as_pytorch():
    ours = _loader_errors(gdata, gdata.TensorDataset(np.zeros((4, 2))))
    theirs = _loader_errors(tdata, tdata.TensorDataset(torch.zeros(4, 2)))
    for make_ours, make_theirs in zip(ours, theirs):
        with pytest.raises(ValueError) as t:
            make_theirs()
        with pytest.raises(ValueError) as o:
            make_ours()
        assert str(o.value) == str(t.value)


class Squares(gdata.Dataset):
    def __len__(self):
        return 7

    def __getitem__(self, i):
        return {"x": np.full(2, i, np.float32), "i": i}


def test_batch_sampler_sampler_and_no_batching():
    ds = Squares()
    bs = gdata.DataLoader(ds, batch_sampler=[[0, 1], [5, 6, 2]])
    batches = list(bs)
    assert batches[1]["i"].tolist() == [5, 6, 2] and batches[1]["x"].shape == (3, 2)
    one = list(gdata.DataLoader(ds, batch_size=None, sampler=[3, 1]))
    assert one[0]["i"] == 3 and isinstance(one[0]["x"], gradlab.Tensor)
    assert one[0]["x"].shape == (2,)
    assert len(gdata.DataLoader(ds, batch_size=3)) == 3


def test_pin_memory_warns_as_pytorch_on_a_machine_without_an_accelerator():
    with pytest.warns(UserWarning, match="pin_memory"):
        gdata.DataLoader(Squares(), pin_memory=True)


class Stream(gdata.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = gdata.get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


def test_iterable_dataset_single_process_and_errors():
    batches = [b.tolist() for b in gdata.DataLoader(Stream(7), batch_size=3)]
    assert batches == [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.tolist() for b in gdata.DataLoader(Stream(7), batch_size=3, drop_last=True)] == [
        [0, 1, 2], [3, 4, 5]
    ]  # fmt: skip
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        gdata.DataLoader(Stream(3), shuffle=True)


class WhoLoads(gdata.Dataset):
    """Each sample says which worker loaded it and what its seeded generators drew."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = gdata.get_worker_info()
        return np.array(
            [i, info.id, info.seed % 1000003, random.randint(0, 10**6),
             np.random.randint(0, 10**6), gradlab.randint(0, 10**6, (1,)).item()],  # noqa: NPY002
            dtype=np.int64,
        )  # fmt: skip


def _init(worker_id):
    info = gdata.get_worker_info()
    assert info.id == worker_id and info.num_workers == 2


def test_workers_load_in_processes_seeded_as_pytorch_and_in_order():
    g = gradlab.Generator().manual_seed(11)
    loader = gdata.DataLoader(WhoLoads(), batch_size=2, num_workers=2, generator=g,
                              worker_init_fn=_init)  # fmt: skip
    rows = np.concatenate([b.numpy() for b in loader])
    assert rows[:, 0].tolist() == list(range(8))
    assert rows[:, 1].tolist() == [0, 0, 1, 1, 0, 0, 1, 1]  # batches go round-robin
    base_seed = int(gradlab.Generator().manual_seed(11).integers(0, 1 << 63))
    for worker in (0, 1):
        seed = base_seed + worker
        mine = rows[rows[:, 1] == worker]
        assert (mine[:, 2] == seed % 1000003).all()
        r = random.Random(seed)
        assert mine[0, 3] == r.randint(0, 10**6)
        np_rng = np.random.RandomState(gdata_workers().numpy_seed(base_seed, worker))
        assert mine[0, 4] == np_rng.randint(0, 10**6)
        assert mine[0, 5] == gradlab.manual_seed(seed).integers(0, 10**6)
    again = np.concatenate([b.numpy() for b in loader])
    assert not np.array_equal(again[:, 2], rows[:, 2])  # a new base seed every pass


def gdata_workers():
    from gradlab.data import workers

    return workers


def test_numpy_seed_of_a_worker_is_pytorchs():
    from torch.utils.data._utils.worker import _generate_state

    for base_seed, worker in [(0, 0), (12345678901234, 3), ((1 << 63) - 1, 7)]:
        assert gdata_workers().numpy_seed(base_seed, worker) == _generate_state(base_seed, worker)


def test_workers_iterable_dataset_persistent_workers_and_errors():
    loader = gdata.DataLoader(Stream(9), batch_size=2, num_workers=2, persistent_workers=True)
    for _ in range(2):
        got = sorted(x for b in loader for x in b.tolist())
        assert got == list(range(9))
    theirs = tdata.DataLoader(_TorchStream(9), batch_size=2, num_workers=2)
    ours = gdata.DataLoader(Stream(9), batch_size=2, num_workers=2)
    assert [b.tolist() for b in ours] == [b.tolist() for b in theirs]
    with pytest.raises(ZeroDivisionError, match="in DataLoader worker process"):
        list(gdata.DataLoader(_Broken(), batch_size=2, num_workers=1))


class _TorchStream(tdata.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = tdata.get_worker_info()
        return iter(range(info.id, self.n, info.num_workers))


class _Broken(gdata.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return 1 / 0


def test_loader_with_generator_object_and_random_split():
    ds = gdata.TensorDataset(np.arange(10))
    a, b = gdata.random_split(ds, [0.7, 0.3], generator=gradlab.Generator().manual_seed(1))
    c, _ = gdata.random_split(ds, [0.7, 0.3], generator=gradlab.Generator().manual_seed(1))
    assert list(a.indices) == list(c.indices) and len(b) == 3
    g = gradlab.Generator().manual_seed(4)
    order = [x.item() for (x,) in gdata.DataLoader(ds, shuffle=True, generator=g)]
    assert sorted(order) == list(range(10))
