"""Linear, Identity, Flatten, Unflatten and F.linear: PyTorch cross-checks, finite differences,
default initialization and errors."""

import math

import numpy as np
import pytest
from modulecheck import module_gradcheck

import gradlab
from gradlab import nn
from gradlab.autograd import gradcheck
from gradlab.nn.linear import linear

ATOL, RTOL = 1e-5, 1e-4


def torch_pair(torch, in_f, out_f, bias):
    t = torch.nn.Linear(in_f, out_f, bias=bias)
    g = nn.Linear(in_f, out_f, bias=bias)
    g.load_state_dict(t.state_dict())
    return g, t


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 5), (5,)])
def test_linear_matches_torch(shape, bias):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    g, t = torch_pair(torch, 5, 3, bias)
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(np.float32)
    up = rng.standard_normal((*shape[:-1], 3)).astype(np.float32)
    gx = gradlab.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    gy, ty = g(gx), t(tx)
    np.testing.assert_allclose(gy.numpy(), ty.detach().numpy(), atol=ATOL, rtol=RTOL)
    gy.backward(up)
    ty.backward(torch.tensor(up))
    np.testing.assert_allclose(gx.grad, tx.grad.numpy(), atol=ATOL, rtol=RTOL)
    for name, tp in t.named_parameters():
        np.testing.assert_allclose(getattr(g, name).grad, tp.grad.numpy(), atol=ATOL, rtol=RTOL)
    assert gy.dtype == np.float32


def test_linear_gradcheck_float64():
    g = nn.Linear(4, 3, generator=np.random.default_rng(0)).double()
    x = gradlab.tensor(np.random.default_rng(1).standard_normal((2, 3, 4)), requires_grad=True)
    assert module_gradcheck(g, x)
    nobias = nn.Linear(4, 2, bias=False, generator=np.random.default_rng(2)).double()
    assert module_gradcheck(nobias, x)


def test_linear_skips_input_grad_when_not_needed():
    g = nn.Linear(3, 2)
    x = gradlab.ones(4, 3)  # no grad wanted
    g(x).sum().backward()
    assert x.grad is None
    np.testing.assert_allclose(g.weight.grad, np.full((2, 3), 4.0))
    np.testing.assert_allclose(g.bias.grad, np.full(2, 4.0))


def test_functional_linear_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in [(3, 4), (2, 4), (2,)])
    got = linear(gradlab.tensor(x), gradlab.tensor(w), gradlab.tensor(b)).numpy()
    want = torch.nn.functional.linear(*(torch.tensor(a) for a in (x, w, b))).numpy()
    np.testing.assert_allclose(got, want, atol=ATOL, rtol=RTOL)
    got = linear(gradlab.tensor(x), gradlab.tensor(w)).numpy()
    np.testing.assert_allclose(got, x @ w.T, atol=ATOL, rtol=RTOL)


def test_linear_default_init_bounds_and_shapes():
    g = nn.Linear(400, 300, generator=np.random.default_rng(0))
    assert g.weight.shape == (300, 400) and g.bias.shape == (300,)
    assert g.weight.dtype == np.float32 and g.weight.requires_grad
    bound = 1 / math.sqrt(400)
    w = g.weight.numpy()
    assert np.abs(w).max() <= bound
    # U(-b, b): variance b^2/3; with n = 120000 samples the variance's standard error is
    # about b^2 * 0.0026, so 3% relative is over 10 standard errors.
    assert abs(w.var() / (bound**2 / 3) - 1) < 0.03
    assert np.abs(g.bias.numpy()).max() <= bound
    assert g.bias.numpy().std() > bound / 3  # not all zero: spread over the interval


def test_linear_generator_reproducible_and_dtype():
    a = nn.Linear(3, 2, generator=np.random.default_rng(7))
    b = nn.Linear(3, 2, generator=np.random.default_rng(7))
    np.testing.assert_array_equal(a.weight.numpy(), b.weight.numpy())
    np.testing.assert_array_equal(a.bias.numpy(), b.bias.numpy())
    c = nn.Linear(3, 2, dtype=np.float64)
    assert c.weight.dtype == np.float64 and c.bias.dtype == np.float64
    assert nn.Linear(3, 2, bias=False).bias is None
    assert [n for n, _ in nn.Linear(3, 2, bias=False).named_parameters()] == ["weight"]


def test_linear_wrong_input_names_layer_and_shapes():
    g = nn.Linear(3, 2)
    with pytest.raises(
        ValueError,
        match=r"Linear\(in_features=3\): input has shape \(4, 5\), "
        r"expected last dimension 3",
    ):
        g(gradlab.zeros(4, 5))
    with pytest.raises(ValueError, match="linear: input has shape"):
        linear(gradlab.zeros(4, 5), gradlab.zeros(2, 3))


def test_identity_flatten_unflatten_match_torch():
    torch = pytest.importorskip("torch")
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    tx = torch.tensor(x)
    assert nn.Identity(54, unused=1)(gradlab.tensor(x)).shape == (2, 3, 4, 5)
    for args in [(), (0,), (1, 2), (2, -1), (0, -2)]:
        got = nn.Flatten(*args)(gradlab.tensor(x))
        want = torch.nn.Flatten(*args)(tx)
        assert got.shape == tuple(want.shape)
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    for dim, sizes in [(1, (3, 1)), (-1, (5, 1)), (2, (2, -1))]:
        got = nn.Unflatten(dim, sizes)(gradlab.tensor(x))
        want = torch.nn.Unflatten(dim, sizes)(tx)
        assert got.shape == tuple(want.shape)
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_flatten_unflatten_gradients():
    x = gradlab.tensor(np.random.default_rng(0).standard_normal((2, 3, 4)), requires_grad=True)
    assert gradcheck(lambda t: nn.Unflatten(1, (4, 3))(nn.Flatten()(t)) * 2.0, (x,))


def test_unflatten_errors():
    with pytest.raises(
        ValueError, match=r"Unflatten\(dim=1, unflattened_size=\(2, 2\)\).*\(3, 5\)"
    ):
        nn.Unflatten(1, (2, 2))(gradlab.zeros(3, 5))
    with pytest.raises(TypeError, match="unflattened_size"):
        nn.Unflatten(1, 5)


def test_reprs():
    assert repr(nn.Linear(3, 2)) == "Linear(in_features=3, out_features=2, bias=True)"
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
