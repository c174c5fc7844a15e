"""gradlab.nn.init: gains against torch, fans as PyTorch, sample statistics against formulas.

Tolerances on sample variances: for n independent samples the relative standard error of the
sample variance is sqrt(2/n) for a normal and sqrt(0.8/n) for a uniform distribution. With
n = 250 000 those are 0.0028 and 0.0018; the tests allow 2%, over 7 standard errors, so they
fail only when a formula is wrong (a wrong gain or fan moves the variance by 2x or more).
"""

import math

import numpy as np
import pytest

import gradlab
from gradlab.nn import init
from gradlab.nn.init import _calculate_fan_in_and_fan_out

SHAPE = (500, 500)  # n = 250 000
REL = 0.02


def rng():
    return np.random.default_rng(0)


def fresh(shape=SHAPE, dtype=np.float32):
    return gradlab.zeros(*shape, dtype=dtype)


@pytest.mark.parametrize(
    "name,param",
    [
        ("linear", None),
        ("conv2d", None),
        ("conv_transpose3d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", 1),
        ("leaky_relu", math.sqrt(5)),
        ("selu", None),
    ],
)
def test_calculate_gain_matches_torch(name, param):
    torch = pytest.importorskip("torch")
    assert init.calculate_gain(name, param) == pytest.approx(
        torch.nn.init.calculate_gain(name, param), rel=1e-12
    )


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="negative_slope"):
        init.calculate_gain("leaky_relu", "big")


@pytest.mark.parametrize("shape", [(3, 4), (8, 3, 5, 5), (6, 2, 7), (4, 5, 2, 3, 1)])
def test_fans_match_torch(shape):
    torch = pytest.importorskip("torch")
    from torch.nn.init import _calculate_fan_in_and_fan_out as torch_fans

    assert _calculate_fan_in_and_fan_out(fresh(shape)) == torch_fans(torch.empty(shape))


def test_fans_need_two_dims():
    with pytest.raises(ValueError, match=r"fewer than 2 dimensions, got shape \(5,\)"):
        _calculate_fan_in_and_fan_out(fresh((5,)))


def test_xavier_uniform_variance_and_bound():
    t = init.xavier_uniform_(fresh(), gain=1.5, generator=rng())
    expected_var = 1.5**2 * 2 / (500 + 500)
    assert abs(t.numpy().var() / expected_var - 1) < REL
    assert np.abs(t.numpy()).max() <= 1.5 * math.sqrt(6 / 1000) + 1e-7
    assert t.dtype == np.float32


def test_xavier_normal_variance_conv_fans():
    shape = (64, 40, 10, 10)  # fan_in 4000, fan_out 6400; n = 256 000
    t = init.xavier_normal_(fresh(shape), generator=rng())
    assert abs(t.numpy().var() / (2 / (4000 + 6400)) - 1) < REL
    assert abs(t.numpy().mean()) < 5 * math.sqrt(2 / 10400 / t.numpy().size)


@pytest.mark.parametrize("fn", [init.kaiming_uniform_, init.kaiming_normal_])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming_variance_relu(fn, mode):
    shape = (250, 1000)  # fan_in 1000, fan_out 250
    t = fn(fresh(shape), mode=mode, nonlinearity="relu", generator=rng())
    fan = 1000 if mode == "fan_in" else 250
    assert abs(t.numpy().var() / (2 / fan) - 1) < REL  # He: Var = 2 / fan


def test_kaiming_leaky_default_and_linear_default():
    t = init.kaiming_uniform_(fresh(), a=math.sqrt(5), generator=rng())
    bound = 1 / math.sqrt(500)  # gain sqrt(2/6) * sqrt(3/500)
    assert np.abs(t.numpy()).max() <= bound + 1e-7
    assert abs(t.numpy().var() / (bound**2 / 3) - 1) < REL
    t = init.kaiming_normal_(fresh(), generator=rng())  # leaky_relu with a=0: gain sqrt(2)
    assert abs(t.numpy().var() / (2 / 500) - 1) < REL


def test_kaiming_bad_mode():
    with pytest.raises(ValueError, match="mode 'fan_avg' is not supported"):
        init.kaiming_normal_(fresh((3, 3)), mode="fan_avg")


def test_uniform_normal_constant_zeros_ones_eye():
    t = init.uniform_(fresh(), -2.0, 3.0, generator=rng())
    assert t.numpy().min() >= -2 and t.numpy().max() < 3
    assert abs(t.numpy().mean() - 0.5) < 0.02  # se = 5/sqrt(12 n) = 0.003
    t = init.normal_(fresh(), mean=1.0, std=0.5, generator=rng())
    assert abs(t.numpy().mean() - 1.0) < 0.005  # se = 0.001
    assert abs(t.numpy().std() / 0.5 - 1) < REL / 2
    np.testing.assert_array_equal(init.constant_(fresh((2, 3)), 0.25).data, np.full((2, 3), 0.25))
    np.testing.assert_array_equal(init.ones_(fresh((2, 2))).data, np.ones((2, 2)))
    np.testing.assert_array_equal(init.zeros_(gradlab.ones(3)).data, np.zeros(3))
    np.testing.assert_array_equal(init.eye_(fresh((2, 3))).data, np.eye(2, 3))
    with pytest.raises(ValueError, match="only 2-D"):
        init.eye_(fresh((2, 2, 2)))


def test_trunc_normal_bounds_and_moments():
    torch = pytest.importorskip("torch")
    t = init.trunc_normal_(fresh(), mean=0.5, std=1.0, a=-1.0, b=1.5, generator=rng())
    assert t.numpy().min() >= -1.0 and t.numpy().max() <= 1.5
    torch.manual_seed(0)
    reference = torch.nn.init.trunc_normal_(
        torch.empty(SHAPE, dtype=torch.float64), 0.5, 1.0, -1.0, 1.5
    ).numpy()
    # the same distribution: means agree within a few standard errors (se ~ 0.0013 each)
    assert abs(t.numpy().mean() - reference.mean()) < 0.01
    assert abs(t.numpy().std() / reference.std() - 1) < REL
    with pytest.raises(ValueError, match="a < b"):
        init.trunc_normal_(fresh((2, 2)), a=1.0, b=0.0)


def test_orthogonal():
    t = init.orthogonal_(fresh((4, 6), dtype=np.float64), gain=2.0, generator=rng())
    np.testing.assert_allclose(t.numpy() @ t.numpy().T, 4 * np.eye(4), atol=1e-12)
    t = init.orthogonal_(fresh((6, 2, 2), dtype=np.float64), generator=rng())
    flat = t.numpy().reshape(6, 4)
    np.testing.assert_allclose(flat.T @ flat, np.eye(4), atol=1e-12)
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(fresh((3,)))


def test_in_place_returns_tensor_and_generator_reproducible():
    t = fresh((3, 4))
    data = t.numpy()
    assert init.xavier_uniform_(t, generator=np.random.default_rng(5)) is t
    assert t.numpy() is data  # filled in place
    u = init.xavier_uniform_(fresh((3, 4)), generator=np.random.default_rng(5))
    np.testing.assert_array_equal(t.numpy(), u.data)
    gradlab.manual_seed(3)
    a = init.normal_(fresh((3,))).numpy().copy()
    gradlab.manual_seed(3)
    np.testing.assert_array_equal(init.normal_(fresh((3,))).data, a)


def test_parameter_keeps_requires_grad_and_records_no_graph():
    p = gradlab.nn.Parameter(np.zeros((3, 3), np.float32))
    init.kaiming_uniform_(p)
    assert p.requires_grad and p.grad_fn is None and p.grad is None
