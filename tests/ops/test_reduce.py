"""Reductions: finite differences (float64) and PyTorch (float32), one table of cases."""

import numpy as np
import pytest
from opcheck import case_ids, check_gradcheck, check_torch

import gradlab

# (name, fn(lib, *tensors), input shapes, domain)
CASES = [
    ("sum_all", lambda L, a: a.sum(), [(3, 4)], "any"),
    ("sum_dim", lambda L, a: a.sum(dim=1), [(3, 4)], "any"),
    ("sum_neg_dim_keepdim", lambda L, a: a.sum(-1, keepdim=True), [(2, 3, 4)], "any"),
    ("sum_tuple_dims", lambda L, a: L.sum(a, dim=(0, 2)), [(2, 3, 4)], "any"),
    ("sum_size0", lambda L, a: a.sum(dim=0), [(0, 3)], "any"),
    ("sum_size1", lambda L, a: a.sum(dim=1), [(3, 1)], "any"),
    ("sum_0d", lambda L, a: a.sum(), [()], "any"),
    ("sum_reused", lambda L, a: (a * a.sum(dim=0)).sum(), [(3, 2)], "any"),
    ("mean_all", lambda L, a: a.mean(), [(3, 4)], "any"),
    ("mean_dim", lambda L, a: L.mean(a, dim=0), [(3, 4)], "any"),
    ("mean_keepdim", lambda L, a: a.mean((0, 1), keepdim=True), [(2, 3, 4)], "any"),
    ("max_all", lambda L, a: a.max(), [(3, 4)], "any"),
    ("min_all", lambda L, a: L.min(a), [(3, 4)], "any"),
    ("max_dim", lambda L, a: a.max(dim=1), [(3, 4)], "any"),
    ("max_dim_keepdim", lambda L, a: a.max(0, keepdim=True), [(3, 4)], "any"),
    ("min_dim", lambda L, a: a.min(dim=-1), [(2, 3, 4)], "any"),
    ("max_dim_values", lambda L, a: a.max(dim=1).values * 2, [(3, 4)], "any"),
    ("amax", lambda L, a: a.amax(dim=1), [(3, 4)], "any"),
    ("amax_tuple", lambda L, a: L.amax(a, dim=(0, 2), keepdim=True), [(2, 3, 4)], "any"),
    ("amin", lambda L, a: a.amin(dim=0), [(3, 4)], "any"),
    ("var_all", lambda L, a: a.var(), [(3, 4)], "any"),
    ("var_dim", lambda L, a: a.var(dim=1), [(3, 4)], "any"),
    ("var_biased", lambda L, a: a.var(dim=0, correction=0, keepdim=True), [(3, 4)], "any"),
    ("var_unbiased_false", lambda L, a: L.var(a, 1, unbiased=False), [(3, 4)], "any"),
    ("std_all", lambda L, a: a.std(), [(3, 4)], "any"),
    ("std_dim", lambda L, a: a.std(dim=(0, 1)), [(2, 3, 4)], "any"),
    ("logsumexp", lambda L, a: a.logsumexp(dim=1), [(3, 4)], "any"),
    ("logsumexp_keepdim", lambda L, a: L.logsumexp(a, (0, 1), keepdim=True), [(2, 3)], "any"),
    ("logsumexp_large", lambda L, a: L.logsumexp(a * 300, dim=0), [(4, 2)], "any"),
]

IDS = case_ids(CASES)


@pytest.mark.parametrize("name, fn, shapes, domain", CASES, ids=IDS)
def test_gradcheck(name, fn, shapes, domain):
    check_gradcheck(fn, shapes, domain)


@pytest.mark.parametrize("name, fn, shapes, domain", CASES, ids=IDS)
def test_matches_torch(name, fn, shapes, domain):
    check_torch(fn, shapes, domain)


TIES = [
    ("max_all_ties", lambda L, a: a.max(), [[1.0, 3.0, 3.0, 0.0]]),
    ("min_all_ties", lambda L, a: a.min(), [[[1.0, 0.0], [0.0, 0.0]]]),
    ("amax_ties", lambda L, a: a.amax(dim=1), [[[2.0, 2.0, 1.0], [0.0, 5.0, 5.0]]]),
    ("amin_ties", lambda L, a: a.amin(dim=0), [[[2.0, 1.0], [2.0, 3.0]]]),
    ("max_dim_ties", lambda L, a: a.max(dim=1), [[[2.0, 2.0, 1.0], [0.0, 5.0, 5.0]]]),
]


@pytest.mark.parametrize("name, fn, values", TIES, ids=[t[0] for t in TIES])
def test_ties_match_torch(name, fn, values):
    check_torch(fn, None, arrays=[np.array(v) for v in values])


def test_empty_sum_and_mean_match_torch():
    torch = pytest.importorskip("torch")
    a = np.zeros((0, 3), np.float32)
    np.testing.assert_array_equal(gradlab.tensor(a).sum().numpy(), torch.tensor(a).sum().numpy())
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning):
        ours = gradlab.tensor(a).mean(dim=0).numpy()
    np.testing.assert_array_equal(ours, torch.tensor(a).mean(dim=0).numpy())  # nan, nan, nan


def test_max_with_dim_returns_values_and_indices():
    x = gradlab.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    values, indices = x.max(dim=1)
    np.testing.assert_array_equal(values.numpy(), [5.0, 7.0])
    np.testing.assert_array_equal(indices.numpy(), [1, 0])
    assert indices.dtype == np.int64
    np.testing.assert_array_equal(x.argmax(dim=1).numpy(), [1, 0])
    np.testing.assert_array_equal(x.argmin().numpy(), 4)


def test_max_of_empty_tensor_raises():
    with pytest.raises(RuntimeError, match=r"max\(\): cannot reduce an empty tensor"):
        gradlab.zeros(0, 3).max()


@pytest.mark.parametrize(
    "op, name",
    [
        (lambda x: x.sum(dim=2), "sum"),
        (lambda x: x.mean(dim=-3), "mean"),
        (lambda x: x.max(dim=5), "max"),
        (lambda x: x.amin(dim=(0, 4)), "amin"),
        (lambda x: x.var(dim=2), "var"),
        (lambda x: x.logsumexp(dim=9), "logsumexp"),
    ],
)
def test_out_of_range_dim_names_the_op(op, name):
    with pytest.raises(IndexError, match=rf"{name}: dim -?\d+ is out of range for a tensor of 2"):
        op(gradlab.ones(2, 3))


def test_mean_of_integers_raises():
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype"):
        gradlab.tensor([1, 2]).mean()
