"""Activations (modules and functions): PyTorch cross-checks of values and input gradients,
finite differences in float64, extreme inputs, erf's accuracy, PReLU's weight, Step, errors."""

import math

import numpy as np
import pytest

import gradlab
from gradlab import nn
from gradlab.autograd import gradcheck
from gradlab.nn import activations as A

ATOL, RTOL = 1e-5, 1e-4

# name -> (gradlab callable, torch callable given (torch, F)); one table for every check
CASES = {
    "sigmoid": (A.sigmoid, lambda t, F: t.sigmoid),
    "tanh": (A.tanh, lambda t, F: t.tanh),
    "relu": (A.relu, lambda t, F: F.relu),
    "leaky_relu": (A.leaky_relu, lambda t, F: F.leaky_relu),
    "leaky_relu_0.2": (lambda x: A.leaky_relu(x, 0.2), lambda t, F: lambda x: F.leaky_relu(x, 0.2)),
    "elu": (A.elu, lambda t, F: F.elu),
    "elu_0.5": (lambda x: A.elu(x, alpha=0.5), lambda t, F: lambda x: F.elu(x, alpha=0.5)),
    "selu": (A.selu, lambda t, F: F.selu),
    "gelu": (A.gelu, lambda t, F: F.gelu),
    "gelu_tanh": (
        lambda x: A.gelu(x, approximate="tanh"),
        lambda t, F: lambda x: F.gelu(x, approximate="tanh"),
    ),
    "silu": (A.silu, lambda t, F: F.silu),
    "softplus": (A.softplus, lambda t, F: F.softplus),
    "softplus_beta2_th1": (
        lambda x: A.softplus(x, beta=2, threshold=1),
        lambda t, F: lambda x: F.softplus(x, beta=2, threshold=1),
    ),
    "softmax_0": (lambda x: A.softmax(x, dim=0), lambda t, F: lambda x: F.softmax(x, dim=0)),
    "softmax_-1": (lambda x: A.softmax(x, dim=-1), lambda t, F: lambda x: F.softmax(x, dim=-1)),
    "log_softmax_1": (
        lambda x: A.log_softmax(x, dim=1),
        lambda t, F: lambda x: F.log_softmax(x, dim=1),
    ),
    "log_softmax_-1": (
        lambda x: A.log_softmax(x, dim=-1),
        lambda t, F: lambda x: F.log_softmax(x, dim=-1),
    ),
    "erf": (A.erf, lambda t, F: t.erf),
    # modules
    "Sigmoid": (nn.Sigmoid(), lambda t, F: t.nn.Sigmoid()),
    "Tanh": (nn.Tanh(), lambda t, F: t.nn.Tanh()),
    "ReLU": (nn.ReLU(), lambda t, F: t.nn.ReLU()),
    "LeakyReLU": (nn.LeakyReLU(0.1), lambda t, F: t.nn.LeakyReLU(0.1)),
    "ELU": (nn.ELU(0.7), lambda t, F: t.nn.ELU(0.7)),
    "SELU": (nn.SELU(), lambda t, F: t.nn.SELU()),
    "GELU": (nn.GELU(), lambda t, F: t.nn.GELU()),
    "GELU_tanh": (nn.GELU("tanh"), lambda t, F: t.nn.GELU("tanh")),
    "SiLU": (nn.SiLU(), lambda t, F: t.nn.SiLU()),
    "Softplus": (nn.Softplus(beta=0.5, threshold=3), lambda t, F: t.nn.Softplus(0.5, 3)),
    "Softmax": (nn.Softmax(dim=1), lambda t, F: t.nn.Softmax(dim=1)),
    "LogSoftmax": (nn.LogSoftmax(dim=0), lambda t, F: t.nn.LogSoftmax(dim=0)),
}

SHAPES = [(3, 4), (2, 3, 5)]


def draw(shape, seed=0, scale=3.0):
    """Values away from 0 (the kinks of relu and friends), both signs."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0.2, scale, shape) * rng.choice([-1.0, 1.0], shape)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name, shape):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F

    ours, theirs = CASES[name][0], CASES[name][1](torch, F)
    x = draw(shape).astype(np.float32)
    up = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    gx = gradlab.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    gy, ty = ours(gx), theirs(tx)
    assert gy.dtype == np.float32 and gy.shape == tuple(ty.shape)
    np.testing.assert_allclose(gy.numpy(), ty.detach().numpy(), atol=ATOL, rtol=RTOL)
    gy.backward(up)
    ty.backward(torch.tensor(up))
    np.testing.assert_allclose(gx.grad, tx.grad.numpy(), atol=ATOL, rtol=RTOL)


@pytest.mark.parametrize("name", list(CASES))
def test_gradcheck(name):
    x = gradlab.tensor(draw((2, 3), seed=2), requires_grad=True)
    assert gradcheck(CASES[name][0], (x,))


@pytest.mark.parametrize("name", [n for n in CASES if n != "erf"])
def test_extreme_inputs_stay_finite(name):
    x = gradlab.tensor(np.array([[-1e4, -50.0, 0.0, 50.0, 1e4]], np.float32), requires_grad=True)
    y = CASES[name][0](x)
    y.backward(np.ones(y.shape, np.float32))
    assert np.isfinite(y.numpy()).all() and np.isfinite(x.grad).all()


def test_extreme_inputs_match_torch():
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F

    x = np.array([-1e4, -30.0, -5.0, 5.0, 30.0, 1e4], np.float32)
    for name in ("sigmoid", "gelu", "gelu_tanh", "silu", "selu", "softplus", "elu"):
        ours, theirs = CASES[name][0], CASES[name][1](torch, F)
        np.testing.assert_allclose(
            ours(gradlab.tensor(x)).data,
            theirs(torch.tensor(x)).numpy(),
            atol=ATOL,
            rtol=RTOL,
            err_msg=name,
        )


def test_erf_is_accurate_in_float64():
    x = np.linspace(-8, 8, 200_001)
    expected = np.array([math.erf(v) for v in x])
    assert np.abs(A.erf(gradlab.tensor(x)).data - expected).max() < 1e-14


def test_erf_float32_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.linspace(-7, 7, 20_001).astype(np.float32)
    np.testing.assert_allclose(
        A.erf(gradlab.tensor(x)).data, torch.erf(torch.tensor(x)).numpy(), atol=3e-7, rtol=0
    )  # float32 rounding: 2.5 ulp of 1.0


@pytest.mark.parametrize(
    "num_parameters, shape", [(1, (4, 3)), (3, (4, 3)), (3, (2, 3, 4, 5)), (1, (5,))]
)
def test_prelu_matches_torch(num_parameters, shape):
    torch = pytest.importorskip("torch")
    ours = nn.PReLU(num_parameters)
    theirs = torch.nn.PReLU(num_parameters)
    w = np.random.default_rng(3).uniform(0.05, 0.5, num_parameters).astype(np.float32)
    ours.weight.numpy()[...] = w
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(w))
    x = draw(shape, seed=4).astype(np.float32)
    gx, tx = gradlab.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    gy, ty = ours(gx), theirs(tx)
    np.testing.assert_allclose(gy.numpy(), ty.detach().numpy(), atol=ATOL, rtol=RTOL)
    gy.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(gx.grad, tx.grad.numpy(), atol=ATOL, rtol=RTOL)
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), atol=ATOL, rtol=RTOL)


def test_prelu_defaults_and_gradcheck():
    m = nn.PReLU()
    assert m.weight.shape == (1,) and m.weight.numpy()[0] == np.float32(0.25)
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    x = gradlab.tensor(draw((2, 3, 2), seed=5), requires_grad=True)
    w = gradlab.tensor([0.1, 0.2, 0.3], dtype="float64", requires_grad=True)
    assert gradcheck(A.prelu, (x, w))


def test_prelu_rejects_wrong_weight():
    with pytest.raises(ValueError, match=r"weight has shape \(2,\), expected \(1,\) or \(3,\)"):
        nn.PReLU(2)(gradlab.zeros(4, 3))


def test_step_values_and_zero_gradient():
    x = gradlab.tensor([-2.0, -0.0, 0.0, 1e-6, 3.0], requires_grad=True)
    y = nn.Step()(x)
    np.testing.assert_array_equal(y.numpy(), [0, 0, 0, 1, 1])
    assert y.dtype == np.float32
    (y * gradlab.tensor([1.0, 2, 3, 4, 5])).sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros(5))
    np.testing.assert_array_equal(A.step(gradlab.tensor([0.4, 0.6]), threshold=0.5).data, [0, 1])


def test_softmax_rows_sum_to_one_with_huge_logits():
    x = gradlab.tensor([[1e4, -1e4, 0.0], [5.0, 5.0, 5.0]], requires_grad=True)
    p = A.softmax(x, dim=1)
    np.testing.assert_allclose(p.numpy(), [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-6)
    lp = A.log_softmax(x, dim=1)
    np.testing.assert_allclose(lp.numpy()[0], [0, -2e4, -1e4])
    (p.sum() + lp.sum()).backward()
    assert np.isfinite(x.grad).all()


def test_softmax_implicit_dim_warns_like_torch():
    x = gradlab.tensor(draw((2, 3)))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        y = nn.Softmax()(x)
    np.testing.assert_allclose(y.numpy().sum(axis=1), [1, 1], rtol=1e-6)


def test_errors_name_the_problem():
    with pytest.raises(IndexError, match="softmax: dim 2 is out of range for a tensor of 2"):
        A.softmax(gradlab.zeros(2, 3), dim=2)
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh', got 'fast'"):
        nn.GELU("fast")


def test_module_reprs():
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.PReLU(3)).startswith("PReLU(num_parameters=3")


@pytest.mark.parametrize(
    "data",
    [
        np.arange(-12, 12, dtype=np.float32).reshape(2, 3, 2, 2).transpose(0, 3, 1, 2),
        np.arange(-12, 12, dtype=np.float64).reshape(4, 6)[:, ::2],  # not one block: no zeros view
        np.arange(-6, 6).reshape(3, 4),  # integers
    ],
)
def test_relu_keeps_layout_and_dtype_and_masks_the_gradient(data):
    x = gradlab.Tensor(data, requires_grad=data.dtype.kind == "f")
    out = A.relu(x)
    np.testing.assert_array_equal(out.numpy(), np.maximum(data, 0))
    assert out.dtype == data.dtype
    if data.dtype.kind == "f":
        assert out.numpy().strides == np.maximum(data, 0).strides
        grad = np.arange(data.size, dtype=data.dtype).reshape(data.shape) + 1
        out.backward(grad)
        np.testing.assert_array_equal(x.grad, np.where(data > 0, grad, 0))
