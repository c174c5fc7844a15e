"""matmul: 1-D, 2-D, batched and broadcast, against finite differences and PyTorch."""

import pytest
from opcheck import case_ids, check_gradcheck, check_torch

import gradlab

# (name, fn(lib, *tensors), input shapes, domain)
CASES = [
    ("mm", lambda L, a, b: a @ b, [(3, 4), (4, 2)], "any"),
    ("matmul_fn", lambda L, a, b: L.matmul(a, b), [(2, 3), (3, 3)], "any"),
    ("method", lambda L, a, b: a.matmul(b), [(2, 3), (3, 1)], "any"),
    ("dot", lambda L, a, b: a @ b, [(4,), (4,)], "any"),
    ("vec_mat", lambda L, a, b: a @ b, [(4,), (4, 2)], "any"),
    ("mat_vec", lambda L, a, b: a @ b, [(3, 4), (4,)], "any"),
    ("batched", lambda L, a, b: a @ b, [(2, 3, 4), (2, 4, 5)], "any"),
    ("batch_broadcast", lambda L, a, b: a @ b, [(2, 1, 3, 4), (5, 4, 2)], "any"),
    ("batch_times_mat", lambda L, a, b: a @ b, [(2, 3, 4), (4, 2)], "any"),
    ("vec_times_batch", lambda L, a, b: a @ b, [(4,), (2, 4, 3)], "any"),
    ("batch_times_vec", lambda L, a, b: a @ b, [(2, 3, 4), (4,)], "any"),
    ("size0_rows", lambda L, a, b: a @ b, [(0, 4), (4, 2)], "any"),
    ("size0_inner", lambda L, a, b: a @ b, [(3, 0), (0, 2)], "any"),
    ("size1", lambda L, a, b: a @ b, [(1, 1), (1, 3)], "any"),
    ("reused", lambda L, a: a @ a, [(3, 3)], "any"),
    ("reused_T", lambda L, a: a.T @ a, [(4, 3)], "any"),
    ("mT", lambda L, a, b: a @ b.mT, [(2, 3, 4), (2, 5, 4)], "any"),
]

IDS = case_ids(CASES)


@pytest.mark.parametrize("name, fn, shapes, domain", CASES, ids=IDS)
def test_gradcheck(name, fn, shapes, domain):
    check_gradcheck(fn, shapes, domain)


@pytest.mark.parametrize("name, fn, shapes, domain", CASES, ids=IDS)
def test_matches_torch(name, fn, shapes, domain):
    check_torch(fn, shapes, domain)


def test_rmatmul_with_numpy_array():
    np = pytest.importorskip("numpy")
    w = gradlab.tensor(np.ones((3, 2), np.float32), requires_grad=True)
    out = np.ones((4, 3), np.float32) @ w
    assert isinstance(out, gradlab.Tensor) and out.shape == (4, 2)
    out.sum().backward()
    np.testing.assert_array_equal(w.grad, np.full((3, 2), 4.0, np.float32))


@pytest.mark.parametrize(
    "a, b, message",
    [
        ((4, 5), (3, 2), r"matmul: cannot multiply \(4, 5\) @ \(3, 2\)"),
        ((4,), (3,), r"matmul: cannot multiply \(4,\) @ \(3,\)"),
        (
            (2, 3, 4),
            (3, 4, 2),
            r"matmul: cannot broadcast the batch dimensions of "
            r"\(2, 3, 4\) @ \(3, 4, 2\)",
        ),
        ((), (3,), "matmul: both arguments need at least 1 dimension"),
    ],
)
def test_matmul_errors(a, b, message):
    with pytest.raises(ValueError, match=message):
        gradlab.ones(*a) @ gradlab.ones(*b)
