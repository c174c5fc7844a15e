"""gradlab.linalg and gradlab.special against torch.linalg and torch.special: values and
gradients (float32), and finite differences (float64)."""

import types

import pytest
from opcheck import case_ids, check_gradcheck, check_torch

torch = pytest.importorskip("torch")


def ns(L, name):
    """L.linalg / L.special for both libraries (TORCH in opcheck is a flat namespace)."""
    import gradlab

    module = (
        gradlab if L is not None and hasattr(L, "Tensor") and L.Tensor is gradlab.Tensor else torch
    )
    return getattr(module, name)


CASES = [
    ("vector_norm", lambda L, a: ns(L, "linalg").vector_norm(a), [(3, 4)], "any"),
    (
        "vector_norm_ord1_dim",
        lambda L, a: ns(L, "linalg").vector_norm(a, 1, dim=1, keepdim=True),
        [(3, 4)],
        "nz",
    ),
    (
        "vector_norm_inf",
        lambda L, a: ns(L, "linalg").vector_norm(a, float("inf"), dim=0),
        [(3, 4)],
        "nz",
    ),
    ("matrix_norm_fro", lambda L, a: ns(L, "linalg").matrix_norm(a), [(2, 3, 4)], "any"),
    ("matrix_norm_1", lambda L, a: ns(L, "linalg").matrix_norm(a, 1), [(3, 4)], "nz"),
    ("matrix_norm_inf", lambda L, a: ns(L, "linalg").matrix_norm(a, float("inf")), [(3, 4)], "nz"),
    ("norm_default", lambda L, a: ns(L, "linalg").norm(a), [(3, 4)], "any"),
    ("norm_dim", lambda L, a: ns(L, "linalg").norm(a, dim=1), [(3, 4)], "any"),
    ("norm_ord_vector", lambda L, a: ns(L, "linalg").norm(a, 3), [(5,)], "nz"),
    ("det", lambda L, a: ns(L, "linalg").det(a), [(3, 3)], "any"),
    ("inv", lambda L, a: ns(L, "linalg").inv(a), [(2, 2)], "nz"),
    ("solve", lambda L, a, b: ns(L, "linalg").solve(a, b), [(3, 3), (3, 2)], "nz"),
    ("solve_vector", lambda L, a, b: ns(L, "linalg").solve(a, b), [(2, 2), (2,)], "nz"),
    (
        "solve_right",
        lambda L, a, b: ns(L, "linalg").solve(a, b, left=False),
        [(2, 2), (3, 2)],
        "nz",
    ),
    (
        "multi_dot",
        lambda L, a, b, c: ns(L, "linalg").multi_dot([a, b, c]),
        [(3,), (3, 4), (4,)],
        "any",
    ),
    ("vecdot", lambda L, a, b: ns(L, "linalg").vecdot(a, b), [(3, 4), (4,)], "any"),
    ("cross", lambda L, a, b: ns(L, "linalg").cross(a, b), [(2, 3), (2, 3)], "any"),
    ("expit", lambda L, a: ns(L, "special").expit(a), [(4,)], "any"),
    ("gammaln", lambda L, a: ns(L, "special").gammaln(a), [(4,)], "pos"),
    ("psi", lambda L, a: ns(L, "special").psi(a), [(4,)], "pos"),
    ("ndtr", lambda L, a: ns(L, "special").ndtr(a), [(4,)], "any"),
    ("ndtri", lambda L, a: ns(L, "special").ndtri(a * 0.2 + 0.5), [(4,)], "any"),
    ("log_ndtr", lambda L, a: ns(L, "special").log_ndtr(a * 3), [(5,)], "any"),
    ("entr", lambda L, a: ns(L, "special").entr(a), [(4,)], "pos"),
    ("xlog1py", lambda L, a, b: ns(L, "special").xlog1py(a, b), [(3,), (3,)], ("any", "pos")),
    ("special_softmax", lambda L, a: ns(L, "special").softmax(a, 1), [(2, 3)], "any"),
    ("special_logsumexp", lambda L, a: ns(L, "special").logsumexp(a, 0), [(3, 2)], "any"),
]

IDS = case_ids(CASES)


@pytest.mark.parametrize("name, fn, shapes, domain", CASES, ids=IDS)
def test_gradcheck(name, fn, shapes, domain):
    check_gradcheck(fn, shapes, domain)


@pytest.mark.parametrize("name, fn, shapes, domain", CASES, ids=IDS)
def test_matches_torch(name, fn, shapes, domain):
    check_torch(fn, shapes, domain)


def test_unsupported_matrix_norm_orders_say_so():
    import gradlab

    with pytest.raises(
        AttributeError, match=r"gradlab.linalg.lu_factor is not implemented in gradlab"
    ):
        gradlab.linalg.lu_factor(gradlab.ones(2, 2))
    with pytest.raises(AttributeError, match="has no attribute 'not_a_torch_name'"):
        gradlab.linalg.not_a_torch_name  # noqa: B018
    with pytest.raises(RuntimeError, match="Order 3 not supported"):
        gradlab.linalg.matrix_norm(gradlab.ones(2, 2), 3)
    assert isinstance(gradlab.linalg, types.ModuleType)
