"""The rest of the catalogue (ops/numeric.py): finite differences (float64) and PyTorch
(float32); searching, integer helpers and the gradlab-vs-torch name coverage."""

import numpy as np
import pytest
from opcheck import case_ids, check_gradcheck, check_torch

import gradlab

torch = pytest.importorskip("torch")

# (name, fn(lib, *tensors), input shapes, domain)
CASES = [
    ("ldexp", lambda L, a: L.ldexp(a, L.tensor([1, 0, 3])), [(3,)], "any"),  # torch: 0 grad at <0
    ("dist", lambda L, a, b: L.dist(a, b), [(3, 4), (4,)], "any"),
    ("dist_p1", lambda L, a, b: a.dist(b, 1), [(3,), (3,)], "nz"),
    ("cov", lambda L, a: L.cov(a), [(3, 5)], "any"),
    ("cov_correction0", lambda L, a: a.cov(correction=0), [(2, 4)], "any"),
    ("cov_1d", lambda L, a: L.cov(a), [(5,)], "any"),
    (
        "cov_weights",
        lambda L, a, w: L.cov(a, fweights=L.tensor([1, 2, 1, 3]), aweights=w.abs()),
        [(2, 4), (4,)],
        "nz",
    ),
    ("corrcoef", lambda L, a: L.corrcoef(a), [(3, 6)], "any"),
    ("renorm", lambda L, a: a.renorm(2, 0, 1.0), [(3, 4)], "any"),
    ("sum_to_size", lambda L, a: a.sum_to_size(3, 1), [(2, 3, 4)], "any"),
    ("split_with_sizes", lambda L, a: a.split_with_sizes([1, 3], 1), [(2, 4)], "any"),
    ("select_scatter", lambda L, a, s: L.select_scatter(a, s, 1, 0), [(2, 3), (2,)], "any"),
    ("slice_scatter", lambda L, a, s: a.slice_scatter(s, 1, 0, 3, 2), [(2, 4), (2, 2)], "any"),
    ("diagonal_scatter", lambda L, a, s: L.diagonal_scatter(a, s, 1), [(3, 3), (2,)], "any"),
    (
        "index_put",
        lambda L, a, v: a.index_put((L.tensor([0, 2]), L.tensor([1, 1])), v),
        [(3, 2), (2,)],
        "any",
    ),
    (
        "index_put_accumulate",
        lambda L, a, v: L.index_put(a, (L.tensor([0, 0]),), v, True),
        [(3, 2), (2, 2)],
        "any",
    ),
    ("put", lambda L, a, s: a.put(L.tensor([5, 0]), s), [(2, 3), (2,)], "any"),
    ("masked_scatter", lambda L, a, s: a.masked_scatter(a > 0, s), [(2, 3), (6,)], "nz"),
    ("matrix_power", lambda L, a: L.matrix_power(a, 3), [(3, 3)], "any"),
    ("matrix_power_negative", lambda L, a: a.matrix_power(-2), [(2, 2)], "nz"),
    ("det", lambda L, a: L.det(a), [(3, 3)], "any"),
    ("det_batch", lambda L, a: a.det(), [(2, 2, 2)], "any"),
    ("inverse", lambda L, a: L.inverse(a + L.eye(3, dtype=a.dtype) * 3), [(3, 3)], "any"),
    ("logdet", lambda L, a: (a @ a.mT + L.eye(2, dtype=a.dtype)).logdet(), [(2, 2)], "any"),
    ("slogdet", lambda L, a: L.slogdet(a), [(3, 3)], "any"),
    ("adjoint", lambda L, a: a.adjoint(), [(2, 3)], "any"),
    ("conj_real", lambda L, a: L.conj(a) + a.real * 2 + a.resolve_conj(), [(3,)], "any"),
]

IDS = case_ids(CASES)


@pytest.mark.parametrize("name, fn, shapes, domain", CASES, ids=IDS)
def test_gradcheck(name, fn, shapes, domain):
    check_gradcheck(fn, shapes, domain)


@pytest.mark.parametrize("name, fn, shapes, domain", CASES, ids=IDS)
def test_matches_torch(name, fn, shapes, domain):
    check_torch(fn, shapes, domain)


def test_det_of_a_singular_matrix_has_the_cofactor_gradient():
    """PyTorch gives 0 here; the true gradient (the cofactor matrix) is kept, as finite
    differences confirm."""
    a = gradlab.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=gradlab.float64, requires_grad=True)
    assert gradlab.autograd.gradcheck(gradlab.det, (a,))
    gradlab.det(a).backward()
    np.testing.assert_allclose(np.asarray(a.grad), [[4.0, -2.0], [-2.0, 1.0]])


@pytest.mark.parametrize(
    "fn",
    [
        lambda L: L.searchsorted(L.tensor([1, 3, 5, 7]), L.tensor([[3, 6], [0, 9]])),
        lambda L: L.searchsorted(L.tensor([1, 3, 5]), L.tensor([3]), right=True),
        lambda L: L.searchsorted(L.tensor([[1, 3], [2, 4]]), L.tensor([[2], [5]]), side="right"),
        lambda L: L.bucketize(L.tensor([0.5, 3.0, 9.0]), L.tensor([1.0, 3.0, 5.0])),
        lambda L: L.bucketize(L.tensor([3]), L.tensor([1, 3]), right=True, out_int32=True),
        lambda L: L.isin(L.tensor([1, 2, 3]), L.tensor([2, 5])),
        lambda L: L.heaviside(L.tensor([-1.0, 0.0, 2.0]), L.tensor([0.5])),
        lambda L: L.gcd(L.tensor([12, 9]), L.tensor([8, 6])),
        lambda L: L.lcm(L.tensor([4, 9]), L.tensor([6, 6])),
        lambda L: L.nextafter(L.tensor([1.0]), L.tensor([2.0])) - 1,
    ],
)
def test_integer_and_search_helpers_match_torch(fn):
    got, expected = fn(gradlab), fn(torch)
    assert got.dtype == expected.numpy().dtype
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_numeric_errors_match_torch():
    a = np.ones((2, 3), np.float32)
    for fn in (
        lambda L, t: L.det(t),
        lambda L, t: L.inverse(L.zeros(2, 2)),
        lambda L, t: t.matrix_power(2),
        lambda L, t: t.sum_to_size(2),
        lambda L, t: L.select_scatter(t, L.zeros(3), 1, 0),
        lambda L, t: L.bucketize(t, t),
        lambda L, t: L.searchsorted(t, t[0], side="middle"),
    ):
        with pytest.raises(RuntimeError):
            fn(torch, torch.tensor(a))
        with pytest.raises(RuntimeError):
            fn(gradlab, gradlab.tensor(a))


def test_catalogue_names_are_torch_names():
    """Every catalogue method is a torch.Tensor method, every function a torch function."""
    from gradlab.ops import catalogue

    methods = [n for n in catalogue.tensor_methods() if not n.startswith("__")]
    assert [n for n in methods if not hasattr(torch.Tensor, n)] == []
    assert [n for n in catalogue.torch_functions() if not hasattr(torch, n)] == []
