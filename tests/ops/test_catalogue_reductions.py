"""Reductions, scans and sorting of the catalogue: finite differences (float64) and PyTorch
(float32, values, indices and gradients), PyTorch's overloads and aliases; dtypes and errors."""

import numpy as np
import pytest
from opcheck import case_ids, check_gradcheck, check_torch

import gradlab

torch = pytest.importorskip("torch")

# (name, fn(lib, *tensors), input shapes, domain)
CASES = [
    ("sum_axis_keepdims", lambda L, a: a.sum(axis=1, keepdims=True), [(3, 4)], "any"),
    ("sum_list_dim", lambda L, a: L.sum(a, [0, 2]), [(2, 3, 4)], "any"),
    ("sum_dtype", lambda L, a: a.sum(1, dtype=L.float64), [(3, 4)], "any"),
    ("mean_keepdims", lambda L, a: L.mean(a, axis=0, keepdims=True), [(3, 4)], "any"),
    ("std_unbiased_positional", lambda L, a: a.std(False), [(3, 4)], "any"),
    ("var_dim_unbiased", lambda L, a: a.var(1, False, True), [(3, 4)], "any"),
    ("std_correction", lambda L, a: L.std(a, dim=0, correction=2), [(5, 2)], "any"),
    ("var_mean", lambda L, a: L.var_mean(a, 1), [(3, 4)], "any"),
    ("std_mean", lambda L, a: L.std_mean(a, dim=(0, 1), keepdim=True), [(3, 4)], "any"),
    ("max_other", lambda L, a, b: L.max(a, b), [(3, 4), (4,)], "any"),
    ("min_other", lambda L, a, b: a.min(b), [(3, 4), (4,)], "any"),
    ("max_axis", lambda L, a: a.max(axis=0), [(3, 4)], "any"),
    ("amax_keepdims", lambda L, a: a.amax(1, keepdims=True), [(3, 4)], "any"),
    ("aminmax", lambda L, a: L.aminmax(a, dim=1), [(3, 4)], "any"),
    ("logsumexp_axis", lambda L, a: a.logsumexp(axis=1), [(3, 4)], "any"),
    ("norm_fro", lambda L, a: a.norm(), [(3, 4)], "any"),
    ("norm_dim", lambda L, a: L.norm(a, dim=1, keepdim=True), [(3, 4)], "any"),
    ("norm_p1", lambda L, a: a.norm(1, dim=0), [(3, 4)], "nz"),
    ("norm_p3", lambda L, a: a.norm(p=3, dim=(0, 1)), [(3, 4)], "nz"),
    ("norm_half", lambda L, a: a.norm(p=0.5), [(5,)], "nz"),
    ("norm_inf", lambda L, a: a.norm(float("inf"), dim=1), [(3, 4)], "nz"),
    ("norm_neg_inf", lambda L, a: a.norm(float("-inf")), [(6,)], "nz"),
    ("nansum", lambda L, a: L.nansum(a, 1), [(3, 4)], "any"),
    ("nanmean", lambda L, a: a.nanmean(0), [(3, 4)], "any"),
    ("prod_all", lambda L, a: a.prod(), [(2, 3)], "nz"),
    ("prod_dim", lambda L, a: L.prod(a, 1, keepdim=True), [(3, 4)], "nz"),
    ("prod_size0", lambda L, a: a.prod(0), [(0, 3)], "nz"),
    ("cumsum", lambda L, a: a.cumsum(1), [(3, 4)], "any"),
    ("cumsum_neg_dim", lambda L, a: L.cumsum(a, dim=-1), [(2, 3, 4)], "any"),
    ("cumprod", lambda L, a: a.cumprod(0), [(4, 3)], "nz"),
    ("cummax", lambda L, a: L.cummax(a, 1), [(3, 5)], "any"),
    ("cummin", lambda L, a: a.cummin(0), [(5, 2)], "any"),
    ("logcumsumexp", lambda L, a: L.logcumsumexp(a * 4, 1), [(3, 5)], "any"),
    ("diff", lambda L, a: L.diff(a, dim=1), [(3, 5)], "any"),
    ("diff_n2_prepend", lambda L, a, b: a.diff(n=2, dim=0, prepend=b), [(4, 3), (1, 3)], "any"),
    ("sort", lambda L, a: a.sort(), [(3, 5)], "any"),
    ("sort_desc_dim0", lambda L, a: L.sort(a, 0, descending=True), [(4, 3)], "any"),
    ("argsort_used", lambda L, a: a * L.argsort(a, 1).to(a.dtype), [(3, 4)], "any"),
    ("msort", lambda L, a: L.msort(a), [(4, 3)], "any"),
    ("topk", lambda L, a: a.topk(2), [(3, 5)], "any"),
    ("topk_smallest", lambda L, a: L.topk(a, 3, dim=0, largest=False), [(5, 2)], "any"),
    ("kthvalue", lambda L, a: a.kthvalue(2, 1), [(3, 5)], "any"),
    ("kthvalue_keepdim", lambda L, a: L.kthvalue(a, 3, 0, True), [(4, 2)], "any"),
    ("median_all", lambda L, a: a.median(), [(3, 5)], "any"),
    ("median_even", lambda L, a: L.median(a), [(4,)], "any"),
    ("median_dim", lambda L, a: a.median(1), [(3, 4)], "any"),
    ("median_keepdim", lambda L, a: L.median(a, 0, keepdim=True), [(5, 2)], "any"),
    ("nanmedian", lambda L, a: a.nanmedian(1), [(3, 4)], "any"),
    ("quantile", lambda L, a: a.quantile(0.3), [(7,)], "any"),
    ("quantile_dim", lambda L, a: L.quantile(a, 0.75, dim=1, keepdim=True), [(3, 5)], "any"),
    (
        "quantile_tensor_q",
        lambda L, a: L.quantile(a, L.tensor([0.1, 0.5, 0.9]).to(a.dtype), 0),
        [(5, 3)],
        "any",
    ),
    ("quantile_lower", lambda L, a: a.quantile(0.4, interpolation="lower"), [(6,)], "any"),
    (
        "quantile_midpoint",
        lambda L, a: a.quantile(0.4, 0, interpolation="midpoint"),
        [(6, 2)],
        "any",
    ),
    ("quantile_nearest", lambda L, a: a.quantile(0.35, interpolation="nearest"), [(6,)], "any"),
]

IDS = case_ids(CASES)


@pytest.mark.parametrize("name, fn, shapes, domain", CASES, ids=IDS)
def test_gradcheck(name, fn, shapes, domain):
    check_gradcheck(fn, shapes, domain)


@pytest.mark.parametrize("name, fn, shapes, domain", CASES, ids=IDS)
def test_matches_torch(name, fn, shapes, domain):
    check_torch(fn, shapes, domain)


TIES = [
    ("max_all_ties", lambda L, a: a.max(), [[3.0, 1.0, 3.0]]),
    ("median_all_ties", lambda L, a: a.median(), [[2.0, 1.0, 2.0, 5.0]]),
    ("median_dim_ties", lambda L, a: a.median(1), [[[1.0, 3.0, 3.0, 2.0], [2.0, 2.0, 1.0, 1.0]]]),
    ("mode", lambda L, a: a.mode(1), [[[1.0, 3.0, 3.0, 2.0], [2.0, 2.0, 1.0, 1.0]]]),
    ("mode_dim0", lambda L, a: L.mode(a, 0), [[[1.0, 2.0], [1.0, 3.0], [4.0, 3.0]]]),
    ("cummax_ties", lambda L, a: a.cummax(0), [[1.0, 3.0, 3.0, 2.0]]),
    ("sort_stable_ties", lambda L, a: a.sort(stable=True), [[2.0, 1.0, 2.0, 1.0]]),
    ("sort_desc_ties", lambda L, a: a.sort(descending=True, stable=True), [[2.0, 1.0, 2.0]]),
    ("prod_with_zero", lambda L, a: a.prod(), [[2.0, 0.0, 3.0]]),
    ("prod_two_zeros", lambda L, a: a.prod(0), [[[0.0, 1.0], [0.0, 2.0]]]),
    ("cumprod_with_zero", lambda L, a: a.cumprod(0), [[2.0, 0.0, 3.0, 0.5]]),
    ("norm_at_zero", lambda L, a: a.norm(), [[0.0, 0.0]]),
    ("norm_inf_ties", lambda L, a: a.norm(float("inf")), [[3.0, -3.0, 1.0]]),
    ("nansum_nan", lambda L, a: a.nansum(), [[1.0, float("nan"), 2.0]]),
    ("nanmedian_nan", lambda L, a: a.nanmedian(), [[1.0, float("nan"), 2.0, 3.0]]),
    ("median_nan", lambda L, a: a.median(0), [[[1.0, 2.0], [float("nan"), 1.0], [0.0, 3.0]]]),
]


@pytest.mark.parametrize("name, fn, values", TIES, ids=[c[0] for c in TIES])
def test_ties_zeros_and_nan_match_torch(name, fn, values):
    with np.errstate(all="ignore"):
        check_torch(fn, None, arrays=[np.array(v) for v in values])


def _both(values, dtype=np.float32):
    return gradlab.tensor(np.array(values, dtype)), torch.tensor(np.array(values, dtype))


@pytest.mark.parametrize(
    "fn",
    [
        lambda L, a: a.sum(),
        lambda L, a: a.prod(1),
        lambda L, a: a.cumsum(0),
        lambda L, a: L.count_nonzero(a, dim=0),
        lambda L, a: L.count_nonzero(a),
        lambda L, a: a.all(1),
        lambda L, a: L.any(a > 2),
        lambda L, a: L.all(a, dim=0, keepdim=True),
        lambda L, a: a.argmax(),
        lambda L, a: a.argmin(1, keepdim=True),
        lambda L, a: a.sort(1).values,
        lambda L, a: a.median(),
        lambda L, a: L.bincount(a.flatten()),
        lambda L, a: L.unique(a),
        lambda L, a: L.unique(a, return_inverse=True, return_counts=True)[1],
        lambda L, a: L.unique_consecutive(a.flatten(), return_counts=True)[1],
        lambda L, a: a.max(1).indices,
    ],
)
def test_integer_reductions_match_torch(fn):
    ours, theirs = _both([[1, 0, 3], [2, 2, 0]], np.int64)
    got, expected = fn(gradlab, ours), fn(torch, theirs)
    assert got.dtype == expected.numpy().dtype
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_histograms_and_bincount_match_torch():
    values = [0.5, 1.5, 1.7, 2.9, 3.0, -1.0]
    ours, theirs = _both(values)
    for kwargs in ({}, {"bins": 4, "min": 0, "max": 3}, {"bins": 3}):
        np.testing.assert_array_equal(gradlab.histc(ours, **kwargs), torch.histc(theirs, **kwargs))
    hist, edges = gradlab.histogram(ours, bins=3, range=(0.0, 3.0))
    t_hist, t_edges = torch.histogram(theirs, bins=3, range=(0.0, 3.0))
    np.testing.assert_allclose(hist.numpy(), t_hist.numpy())
    np.testing.assert_allclose(edges.numpy(), t_edges.numpy())
    idx = [0, 1, 1, 4]
    w = np.array([0.5, 1.0, 2.0, 3.0], np.float32)
    got = gradlab.bincount(gradlab.tensor(idx), weights=gradlab.tensor(w), minlength=6)
    expected = torch.bincount(torch.tensor(idx), weights=torch.tensor(w), minlength=6)
    assert got.dtype == expected.numpy().dtype
    np.testing.assert_allclose(got.numpy(), expected.numpy())


def test_return_types_are_named_pairs():
    x = gradlab.tensor([[1.0, 5.0, 2.0]])
    for result in (x.max(1), x.sort(), x.topk(1), x.median(1), x.mode(1), x.kthvalue(1)):
        values, indices = result
        assert result.values is values and result.indices is indices
    assert gradlab.aminmax(x).max.item() == 5.0


def test_reduction_errors_match_torch():
    x = gradlab.tensor([[1.0, 2.0], [3.0, 4.0]])
    for fn, error in [
        (lambda L, t: t.sum(dim=2), IndexError),
        (lambda L, t: t.prod(dim=(0, 1)), TypeError),
        (lambda L, t: t.topk(3), RuntimeError),
        (lambda L, t: t.kthvalue(0), (IndexError, RuntimeError)),
        (lambda L, t: t.cumsum(3), IndexError),
        (lambda L, t: t.long().mean(), RuntimeError),
        (lambda L, t: L.tensor([]).argmax(), IndexError),
        (lambda L, t: L.bincount(L.tensor([-1, 2])), RuntimeError),
        (lambda L, t: t.quantile(1.5), RuntimeError),
        (lambda L, t: t.median(0).values.new_zeros(2).median(5), IndexError),
    ]:
        with pytest.raises(error):
            fn(torch, torch.tensor(x.numpy()))
        with pytest.raises(error):
            fn(gradlab, x)


def test_named_pairs_print_as_torch():
    x = [[1.0, 5.0, 2.0]]
    for fn in (lambda L, t: t.max(1), lambda L, t: L.sort(t), lambda L, t: t.topk(1)):
        assert repr(fn(gradlab, gradlab.tensor(x))) == repr(fn(torch, torch.tensor(x)))
