"""Dataset, TensorDataset, Subset, ConcatDataset, random_split and DataLoader."""

import numpy as np
import pytest

import gradlab
from gradlab.data import (
    ConcatDataset,
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)


def make_data(n=10, f=3):
    X = np.arange(n * f, dtype=np.float32).reshape(n, f)
    y = np.arange(n, dtype=np.int64)
    return X, y


class ItemDataset(Dataset):
    """The same samples as a TensorDataset, served one by one (the generic path)."""

    def __init__(self, X, y):
        self.X, self.y = X, y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], self.y[i]


def collect(loader):
    return [(x.numpy().copy(), y.numpy().copy()) for x, y in loader]


def test_tensor_dataset_items_and_length():
    X, y = make_data()
    ds = TensorDataset(X, gradlab.tensor(y))
    assert len(ds) == 10
    xi, yi = ds[3]
    np.testing.assert_array_equal(xi, X[3])
    assert yi == 3


def test_tensor_dataset_size_mismatch_names_sizes():
    with pytest.raises(ValueError, match=r"first dimensions \[4, 5\]"):
        TensorDataset(np.zeros((4, 2)), np.zeros(5))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()


def test_loader_in_order_with_short_last_batch():
    X, y = make_data(10)
    loader = DataLoader(TensorDataset(X, y), batch_size=4)
    batches = collect(loader)
    assert len(loader) == 3 and len(batches) == 3
    assert [b[0].shape for b in batches] == [(4, 3), (4, 3), (2, 3)]
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), y)
    first = next(iter(loader))
    assert isinstance(first, list) and all(isinstance(t, gradlab.Tensor) for t in first)
    assert first[0].dtype == np.float32 and first[1].dtype == np.int64


def test_loader_drop_last():
    X, y = make_data(10)
    loader = DataLoader(TensorDataset(X, y), batch_size=4, drop_last=True)
    batches = collect(loader)
    assert len(loader) == 2 and [b[0].shape[0] for b in batches] == [4, 4]
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), y[:8])


def test_shuffle_same_seed_same_order_and_each_epoch_a_permutation():
    X, y = make_data(23)
    ds = TensorDataset(X, y)
    a = DataLoader(ds, batch_size=5, shuffle=True, generator=np.random.default_rng(7))
    b = DataLoader(ds, batch_size=5, shuffle=True, generator=np.random.default_rng(7))
    epochs_a = [np.concatenate([t[1] for t in collect(a)]) for _ in range(3)]
    epochs_b = [np.concatenate([t[1] for t in collect(b)]) for _ in range(3)]
    for ea, eb in zip(epochs_a, epochs_b):
        np.testing.assert_array_equal(ea, eb)
        np.testing.assert_array_equal(np.sort(ea), y)  # every sample exactly once
    assert not np.array_equal(epochs_a[0], epochs_a[1])  # a fresh order every epoch
    expected = np.random.default_rng(7).permutation(23)
    np.testing.assert_array_equal(epochs_a[0], expected)
    for xb, yb in collect(a):
        np.testing.assert_array_equal(xb, X[yb])  # rows stay paired


def test_shuffle_without_generator_uses_default_generator():
    X, y = make_data(12)
    loader = DataLoader(TensorDataset(X, y), batch_size=12, shuffle=True)
    gradlab.manual_seed(3)
    first = next(iter(loader))[1].data
    gradlab.manual_seed(3)
    second = next(iter(loader))[1].data
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first, np.random.default_rng(3).permutation(12))


def test_fast_path_matches_item_by_item_path():
    X, y = make_data(17)
    fast = DataLoader(TensorDataset(X, y), 4, shuffle=True, generator=np.random.default_rng(1))
    slow = DataLoader(ItemDataset(X, y), 4, shuffle=True, generator=np.random.default_rng(1))
    for (xf, yf), (xs, ys) in zip(collect(fast), collect(slow)):
        np.testing.assert_array_equal(xf, xs)
        np.testing.assert_array_equal(yf, ys)


def test_subsets_of_tensor_dataset_take_the_fast_path_correctly():
    X, y = make_data(20)
    train, _ = random_split(TensorDataset(X, y), [15, 5], generator=np.random.default_rng(0))
    inner = Subset(train, [14, 0, 3, 7])
    got = np.concatenate([b[1] for b in collect(DataLoader(inner, batch_size=3))])
    np.testing.assert_array_equal(got, [inner[i][1] for i in range(4)])
    shuffled = DataLoader(train, 4, shuffle=True, generator=np.random.default_rng(5))
    order = np.random.default_rng(5).permutation(15)
    got = np.concatenate([b[1] for b in collect(shuffled)])
    np.testing.assert_array_equal(got, np.asarray(train.indices)[order])


def test_batches_own_their_memory():
    X, y = make_data(8)
    for shuffle in (False, True):
        loader = DataLoader(TensorDataset(X, y), batch_size=4, shuffle=shuffle)
        xb, _ = next(iter(loader))
        xb.numpy()[...] = -1.0
        assert X.min() >= 0


@pytest.mark.parametrize("size", [0, -2, 2.0, True])
def test_bad_batch_size_raises_as_pytorch(size):
    X, y = make_data()
    with pytest.raises(ValueError, match=f"batch_size should be a positive integer value, but got "
                       f"batch_size={size}"):  # fmt: skip
        DataLoader(TensorDataset(X, y), batch_size=size)


def test_empty_dataset_gives_no_batches_as_pytorch():
    loader = DataLoader(TensorDataset(np.zeros((0, 3))), batch_size=2)
    assert len(loader) == 0 and list(loader) == []


def test_default_collate_follows_pytorch_types():
    batch = default_collate(
        [(np.ones(2, np.float32), 1, 0.5, "a"), (np.zeros(2, np.float32), 2, 1.5, "b")]
    )
    x, ints, floats, strings = batch
    assert x.shape == (2, 2) and x.dtype == np.float32
    assert ints.dtype == np.int64 and ints.numpy().tolist() == [1, 2]
    assert floats.dtype == np.float64
    assert strings == ["a", "b"]
    d = default_collate([{"a": np.array(1.0), "b": 3}, {"a": np.array(2.0), "b": 4}])
    assert d["a"].numpy().tolist() == [1.0, 2.0] and d["b"].numpy().tolist() == [3, 4]


def test_custom_collate_fn_gets_the_list_of_samples():
    X, y = make_data(6)
    seen = []

    def collate(samples):
        seen.append(len(samples))
        return samples

    out = list(DataLoader(TensorDataset(X, y), batch_size=4, collate_fn=collate))
    assert seen == [4, 2] and isinstance(out[0], list) and len(out[0][0]) == 2


def test_random_split_lengths_fractions_and_reproducibility():
    ds = TensorDataset(np.arange(10))
    parts = random_split(ds, [0.33, 0.33, 0.34], generator=np.random.default_rng(0))
    assert [len(p) for p in parts] == [4, 3, 3]  # PyTorch's rule: remainder from the front
    every = sorted(i for p in parts for i in p.indices)
    assert every == list(range(10))
    again = random_split(ds, [0.33, 0.33, 0.34], generator=np.random.default_rng(0))
    assert [p.indices for p in parts] == [p.indices for p in again]
    with pytest.raises(ValueError, match="sum to 9"):
        random_split(ds, [5, 4])


def test_random_split_lengths_match_pytorch():
    torch = pytest.importorskip("torch")
    for n, fractions in [(10, [0.33, 0.33, 0.34]), (7, [0.5, 0.5]), (101, [0.8, 0.1, 0.1])]:
        ours = random_split(TensorDataset(np.arange(n)), fractions)
        theirs = torch.utils.data.random_split(range(n), fractions)
        assert [len(p) for p in ours] == [len(p) for p in theirs]


def test_concat_dataset():
    a, b = TensorDataset(np.arange(3)), TensorDataset(np.arange(10, 14))
    both = a + b
    assert isinstance(both, ConcatDataset) and len(both) == 7
    assert [both[i][0] for i in range(7)] == [0, 1, 2, 10, 11, 12, 13]
    assert both[-1][0] == 13
    with pytest.raises(IndexError):
        both[7]
