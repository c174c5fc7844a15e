"""gradlab.linalg decompositions and solvers: values and gradients against PyTorch (float64)
and against central finite differences. Losses through singular vectors and eigenvectors
are gauge-invariant (they do not depend on the vectors' signs)."""

import numpy as np
import pytest

import gradlab
from gradlab.autograd import gradcheck

torch = pytest.importorskip("torch")


def _sym(L, x):
    return x + x.transpose(-1, -2)


def _spd(L, x):
    n = x.shape[-1]
    return x @ x.transpose(-1, -2) + n * L.eye(n, dtype=x.dtype)


def _svd_loss(L, x, full):
    U, S, Vh = L.linalg.svd(x, full_matrices=full)
    k = S.shape[-1]
    U, Vh = U[..., :k], Vh[..., :k, :]
    recon = (U * S.sin().unsqueeze(-2)) @ Vh  # U f(S) Vh: invariant to the vectors' signs
    return (recon * recon.cos()).sum() + (U @ U.transpose(-1, -2)).sum() * 0.1


def _eigh_loss(L, x):
    w, V = L.linalg.eigh(_sym(L, x))
    return (w.sin()).sum() + ((V * w.unsqueeze(-2).cos()) @ V.transpose(-1, -2)).cos().sum()


def _qr_loss(L, x, mode):
    Q, R = L.linalg.qr(x, mode=mode)
    return (Q.sin() * 0.5).sum() + (R * R.cos()).sum() + Q[..., :1, :].sum()


CASES = [
    ("svdvals", lambda L, x: L.linalg.svdvals(x).pow(3).sum(), [(4, 3), (3, 5), (2, 3, 3)]),
    ("svd_reduced", lambda L, x: _svd_loss(L, x, False), [(4, 3), (3, 5), (2, 3, 3)]),
    ("svd_full", lambda L, x: _svd_loss(L, x, True), [(4, 3), (3, 5), (2, 3, 3)]),
    ("eigh", _eigh_loss, [(3, 3), (2, 4, 4)]),
    ("eigh_upper", lambda L, x: L.linalg.eigh(_sym(L, x), UPLO="U")[0].exp().sum(), [(3, 3)]),
    ("eigvalsh", lambda L, x: L.linalg.eigvalsh(_sym(L, x)).pow(3).sum(), [(4, 4), (2, 3, 3)]),
    ("qr_reduced", lambda L, x: _qr_loss(L, x, "reduced"), [(4, 3), (3, 5), (2, 3, 3)]),
    ("qr_complete", lambda L, x: _qr_loss(L, x, "complete"), [(3, 5), (3, 3)]),
    ("qr_R_only", lambda L, x: L.linalg.qr(x)[1].sin().sum(), [(4, 3)]),
    ("cholesky", lambda L, x: L.linalg.cholesky(_spd(L, x)).sin().sum(), [(3, 3), (2, 4, 4)]),
    (
        "cholesky_upper",
        lambda L, x: L.linalg.cholesky(_spd(L, x), upper=True).sin().sum(),
        [(3, 3)],
    ),
    ("inv", lambda L, x: L.linalg.inv(_spd(L, x)).sin().sum(), [(3, 3), (2, 3, 3)]),
    ("det", lambda L, x: L.linalg.det(x).sum(), [(3, 3), (2, 4, 4)]),
    ("slogdet", lambda L, x: L.linalg.slogdet(x)[1].sum(), [(3, 3), (2, 4, 4)]),
    ("pinv", lambda L, x: L.linalg.pinv(x).sin().sum(), [(4, 3), (3, 5), (2, 3, 3)]),
    ("pinv_hermitian", lambda L, x: L.linalg.pinv(_spd(L, x), hermitian=True).sum(), [(3, 3)]),
    ("matrix_power", lambda L, x: L.linalg.matrix_power(x, 3).sum(), [(3, 3)]),
    ("matrix_power_neg", lambda L, x: L.linalg.matrix_power(_spd(L, x), -2).sum(), [(3, 3)]),
    ("cross", lambda L, x: L.linalg.cross(x, x.cos()).sum(), [(4, 3), (2, 3)]),
]
NORMS = ["fro", "nuc", 2, -2, 1, -1, float("inf"), float("-inf")]


def _params(cases):
    return [pytest.param(fn, shape, id=f"{name}-{shape}") for name, fn, shapes in cases
            for shape in shapes]  # fmt: skip


def _both(shape, seed=0):
    a = (
        np.random.default_rng(seed).uniform(-1, 1, shape) + 0.5 * np.eye(shape[-1])[: shape[-2]]
        if shape[-2] <= shape[-1]
        else np.random.default_rng(seed).uniform(-1, 1, shape)
    )
    return gradlab.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


@pytest.mark.parametrize("fn, shape", _params(CASES))
def test_against_torch(fn, shape):
    ours, theirs = _both(shape)
    out_ours, out_theirs = fn(gradlab, ours), fn(torch, theirs)
    np.testing.assert_allclose(out_ours.item(), out_theirs.item(), rtol=1e-10, atol=1e-10)
    out_ours.backward()
    out_theirs.backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("fn, shape", _params(CASES))
def test_finite_differences(fn, shape):
    ours, _ = _both(shape, seed=1)
    assert gradcheck(lambda x: fn(gradlab, x), (ours,))


@pytest.mark.parametrize("ord", NORMS)
@pytest.mark.parametrize(
    "shape, dim", [((3, 4), (-2, -1)), ((2, 3, 3), (-2, -1)), ((3, 2, 4), (0, 2))]
)
def test_matrix_norm(ord, shape, dim):
    ours, theirs = _both(shape)
    for keepdim in (False, True):
        a = gradlab.linalg.matrix_norm(ours, ord, dim, keepdim)
        b = torch.linalg.matrix_norm(theirs, ord, dim, keepdim)
        assert a.shape == tuple(b.shape)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10)
    gradlab.linalg.matrix_norm(ours, ord, dim).sum().backward()
    torch.linalg.matrix_norm(theirs, ord, dim).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-8, atol=1e-10)
    if ord not in (float("inf"), float("-inf"), 1, -1):  # kinks: FD is one-sided there
        x, _ = _both(shape, seed=3)
        assert gradcheck(lambda t: gradlab.linalg.matrix_norm(t, ord, dim).sum(), (x,))


@pytest.mark.parametrize(
    "ord, dim", [(None, None), (None, 1), (3, 1), (1, (0,)), (None, (0, 1)), ("nuc", None)]
)
def test_norm_dispatch(ord, dim):
    ours, theirs = _both((3, 4))
    a = gradlab.linalg.norm(ours, ord, dim)
    b = torch.linalg.norm(theirs, ord, dim)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10)


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize(
    "a_shape, b_shape",
    [((3, 3), (3, 2)), ((2, 3, 3), (3,)), ((2, 3, 3), (2, 3)), ((1, 3, 3), (4, 3, 1))],
)
def test_solve(left, a_shape, b_shape):
    if not left and len(b_shape) == 1 or not left and b_shape == (2, 3):
        return
    rng = np.random.default_rng(0)
    a = rng.uniform(-1, 1, a_shape) + 3 * np.eye(3)
    b = rng.uniform(-1, 1, b_shape if left else b_shape[:-2] + b_shape[-2:][::-1])
    ga, gb = gradlab.tensor(a, requires_grad=True), gradlab.tensor(b, requires_grad=True)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    x, y = gradlab.linalg.solve(ga, gb, left=left), torch.linalg.solve(ta, tb, left=left)
    assert x.shape == tuple(y.shape)
    np.testing.assert_allclose(x.detach().numpy(), y.detach().numpy(), rtol=1e-10)
    x.sin().sum().backward()
    y.sin().sum().backward()
    np.testing.assert_allclose(ga.grad.numpy(), ta.grad.numpy(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(gb.grad.numpy(), tb.grad.numpy(), rtol=1e-8, atol=1e-12)
    inputs = (gradlab.tensor(a, requires_grad=True), gradlab.tensor(b, requires_grad=True))
    assert gradcheck(lambda p, q: gradlab.linalg.solve(p, q, left=left).sin().sum(), inputs)


@pytest.mark.parametrize("driver", [None, "gels", "gelsy", "gelsd", "gelss"])
@pytest.mark.parametrize(
    "a_shape, b_shape", [((5, 3), (5, 2)), ((2, 5, 3), (2, 5, 1)), ((3, 5), (3, 2))]
)
def test_lstsq(driver, a_shape, b_shape):
    rng = np.random.default_rng(0)
    a, b = rng.uniform(-1, 1, a_shape), rng.uniform(-1, 1, b_shape)
    ga, gb = gradlab.tensor(a, requires_grad=True), gradlab.tensor(b, requires_grad=True)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    ours, theirs = (
        gradlab.linalg.lstsq(ga, gb, driver=driver),
        torch.linalg.lstsq(ta, tb, driver=driver),
    )
    for name in ("solution", "residuals", "rank", "singular_values"):
        o, t = getattr(ours, name), getattr(theirs, name)
        assert o.shape == tuple(t.shape), name
        assert str(o.dtype)[8:] == str(t.dtype)[6:], name
        np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-9, atol=1e-12)
    loss_ours = ours.solution.sin().sum() + ours.residuals.sum()
    loss_theirs = theirs.solution.sin().sum() + theirs.residuals.sum()
    loss_ours.backward()
    loss_theirs.backward()
    np.testing.assert_allclose(ga.grad.numpy(), ta.grad.numpy(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(gb.grad.numpy(), tb.grad.numpy(), rtol=1e-8, atol=1e-12)


def test_shapes_and_modes_as_torch():
    x = np.random.default_rng(0).uniform(-1, 1, (2, 5, 3))
    for full in (True, False):
        for o, t in zip(
            gradlab.linalg.svd(gradlab.tensor(x), full), torch.linalg.svd(torch.tensor(x), full)
        ):
            assert o.shape == tuple(t.shape)
    for mode in ("reduced", "complete", "r"):
        for o, t in zip(
            gradlab.linalg.qr(gradlab.tensor(x), mode), torch.linalg.qr(torch.tensor(x), mode)
        ):
            assert o.shape == tuple(t.shape)
            if mode != "complete" and o.numel():  # complete Q's extra columns are not unique
                np.testing.assert_allclose(np.abs(o.numpy()), np.abs(t.numpy()), atol=1e-12)
    U, S, Vh = gradlab.linalg.svd(gradlab.tensor(x), full_matrices=False)
    np.testing.assert_allclose(((U * S.unsqueeze(-2)) @ Vh).numpy(), x, atol=1e-12)
    assert gradlab.linalg.svd(gradlab.tensor(x)).S is not None  # named fields
    assert gradlab.linalg.matrix_rank(gradlab.ones(3, 3)).item() == 1
    assert gradlab.linalg.matrix_rank(gradlab.ones(2, 3, 3)).dtype is gradlab.int64
    y = torch.tensor(np.ones((4, 4)) + np.diag([1e-9, 0, 0, 0]))
    for kw in ({}, {"atol": 1e-6}, {"rtol": 1e-12}, {"hermitian": True}):
        assert gradlab.linalg.matrix_rank(gradlab.tensor(y.numpy()), **kw).item() == (
            torch.linalg.matrix_rank(y, **kw).item()
        )


def test_eig_values_as_torch_and_no_gradient():
    x = np.random.default_rng(0).uniform(-1, 1, (4, 4))
    w = gradlab.linalg.eigvals(gradlab.tensor(x, dtype=gradlab.float32))
    expected = torch.linalg.eigvals(torch.tensor(x, dtype=torch.float32))
    assert w.dtype is gradlab.complex64
    np.testing.assert_allclose(
        np.sort_complex(w.numpy()), np.sort_complex(expected.numpy()), rtol=1e-5
    )
    L, V = gradlab.linalg.eig(gradlab.tensor(x))
    np.testing.assert_allclose(x @ V.numpy(), V.numpy() * L.numpy(), atol=1e-12)
    leaf = gradlab.tensor(x, requires_grad=True)
    with pytest.raises(NotImplementedError, match="eigh"):
        gradlab.linalg.eigvals(leaf).abs().sum().backward()


def test_errors_as_torch():
    with pytest.raises(RuntimeError, match="positive-definite"):
        gradlab.linalg.cholesky(gradlab.tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(RuntimeError, match="square"):
        gradlab.linalg.eigh(gradlab.ones(2, 3))
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        gradlab.linalg.svd(gradlab.ones(3))
    with pytest.raises(RuntimeError, match="mode"):
        gradlab.linalg.qr(gradlab.ones(3, 3), mode="full")
    with pytest.raises(RuntimeError, match="mode='r'"):
        gradlab.linalg.qr(gradlab.ones(3, 3, requires_grad=True), mode="r")[1].sum().backward()
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete'"):
        gradlab.linalg.qr(gradlab.ones(4, 3, requires_grad=True), mode="complete")[
            0
        ].sum().backward()
    with pytest.raises(RuntimeError, match="singular"):
        gradlab.linalg.solve(gradlab.zeros(2, 2), gradlab.ones(2))
    with pytest.raises(RuntimeError, match="floating point"):
        gradlab.linalg.svd(gradlab.ones(2, 2, dtype=gradlab.int64))


def test_torch_top_level_spellings():
    x = np.random.default_rng(0).uniform(-1, 1, (4, 3))
    for some in (True, False):
        ours = gradlab.svd(gradlab.tensor(x), some=some)
        theirs = torch.svd(torch.tensor(x), some=some)
        assert [o.shape for o in ours] == [tuple(t.shape) for t in theirs]
        np.testing.assert_allclose(ours.S.numpy(), theirs.S.numpy(), rtol=1e-12)
        k = 3
        recon = (ours.U[:, :k] * ours.S) @ ours.V[:, :k].T
        np.testing.assert_allclose(recon.numpy(), x, atol=1e-12)
    ours, theirs = (
        gradlab.svd(gradlab.tensor(x), compute_uv=False),
        torch.svd(torch.tensor(x), compute_uv=False),
    )
    assert [o.shape for o in ours] == [tuple(t.shape) for t in theirs] and not ours.U.numpy().any()
    with pytest.warns(UserWarning, match="torch.linalg.qr"):
        q, r = gradlab.qr(gradlab.tensor(x), some=False)
    assert q.shape == (4, 4) and r.shape == (4, 3)
    spd = x.T @ x + np.eye(3)
    with pytest.warns(UserWarning, match="torch.linalg.cholesky"):
        c = gradlab.tensor(spd).cholesky()
    np.testing.assert_allclose(c.numpy(), np.linalg.cholesky(spd), atol=1e-12)
    np.testing.assert_allclose(
        gradlab.tensor(x).pinverse().numpy(), torch.pinverse(torch.tensor(x)).numpy(), atol=1e-12
    )
