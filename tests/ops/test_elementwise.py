"""Elementwise ops: finite differences (float64) and PyTorch (float32), one table of cases."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra.numpy import mutually_broadcastable_shapes
from opcheck import case_ids, check_gradcheck, check_torch

import gradlab

# (name, fn(lib, *tensors), input shapes, domain)
CASES = [
    ("add", lambda L, a, b: a + b, [(3, 4), (4,)], "any"),
    ("add_scalar", lambda L, a: 2.5 + a, [(3,)], "any"),
    ("sub", lambda L, a, b: a - b, [(2, 1, 3), (4, 1)], "any"),
    ("rsub", lambda L, a: 1.5 - a, [(3,)], "any"),
    ("mul", lambda L, a, b: a * b, [(3, 1), (1, 4)], "any"),
    ("mul_reused", lambda L, a: a * a * a, [(5,)], "any"),
    ("div", lambda L, a, b: a / b, [(2, 3), (3,)], ("any", "nz")),
    ("rdiv", lambda L, a: 2.0 / a, [(4,)], "nz"),
    ("div_reused", lambda L, a: a / (a + 3), [(4,)], "pos"),
    ("pow_const", lambda L, a: a**3, [(2, 3)], "any"),
    ("pow_half", lambda L, a: a**0.5, [(4,)], "pos"),
    ("pow_tensor", lambda L, a, b: a**b, [(3, 1), (4,)], ("pos", "any")),
    ("rpow", lambda L, a: 2.0**a, [(5,)], "any"),
    ("neg", lambda L, a: -a, [(2, 3)], "any"),
    ("neg_fn", lambda L, a: L.neg(a), [(0, 3)], "any"),
    ("exp", lambda L, a: a.exp(), [(2, 3)], "any"),
    ("log", lambda L, a: L.log(a), [(2, 3)], "pos"),
    ("sqrt", lambda L, a: a.sqrt(), [(2, 3)], "pos"),
    ("abs", lambda L, a: abs(a), [(2, 3)], "nz"),
    ("abs_fn", lambda L, a: L.abs(a), [(1, 3)], "nz"),
    ("square", lambda L, a: L.square(a), [(4,)], "any"),
    ("maximum", lambda L, a, b: L.maximum(a, b), [(3, 1), (4,)], "any"),
    ("minimum", lambda L, a, b: L.minimum(a, b), [(3, 4), (1, 4)], "any"),
    ("clamp", lambda L, a: a.clamp(-0.5, 0.7), [(3, 4)], "any"),
    ("clamp_min", lambda L, a: L.clamp(a, min=0.3), [(3, 4)], "any"),
    ("clamp_max", lambda L, a: a.clamp(max=-0.2), [(3, 4)], "any"),
    ("clip", lambda L, a: a.clip(-1.0, 1.0), [(6,)], "any"),
    ("where", lambda L, a, b: L.where(a > 0, a, b), [(3, 4), (4,)], "nz"),
    ("where_reused", lambda L, a: L.where(a < 0, a * 2, a), [(5,)], "nz"),
    ("sigmoid", lambda L, a: a.sigmoid(), [(2, 3)], "any"),
    ("sigmoid_fn", lambda L, a: L.sigmoid(a * 10), [(7,)], "any"),
    ("tanh", lambda L, a: L.tanh(a), [(2, 3)], "any"),
    ("relu", lambda L, a: a.relu(), [(2, 3)], "nz"),
    ("leaky_relu", lambda L, a: L.leaky_relu(a, 0.2), [(2, 3)], "nz"),
    ("leaky_relu_default", lambda L, a: L.leaky_relu(a), [(5,)], "nz"),
    ("elu", lambda L, a: L.elu(a, alpha=0.5), [(2, 3)], "nz"),
    ("softplus", lambda L, a: L.softplus(a), [(2, 3)], "any"),
    ("softplus_beta", lambda L, a: L.softplus(a * 8, beta=2.0, threshold=5.0), [(9,)], "nz"),
    ("clone", lambda L, a: a.clone() * 2, [(2, 3)], "any"),
    ("double_to_float", lambda L, a: a.double() * 2, [(3,)], "any"),
    ("size0_broadcast", lambda L, a, b: a * b + b, [(0, 3), (1, 3)], "any"),
    ("scalar_0d", lambda L, a, b: (a * b).exp(), [(), (2,)], "any"),
]

IDS = case_ids(CASES)


@pytest.mark.parametrize("name, fn, shapes, domain", CASES, ids=IDS)
def test_gradcheck(name, fn, shapes, domain):
    check_gradcheck(fn, shapes, domain)


@pytest.mark.parametrize("name, fn, shapes, domain", CASES, ids=IDS)
def test_matches_torch(name, fn, shapes, domain):
    check_torch(fn, shapes, domain)


# ---------------------------------------------------------------------- broadcasting (hypothesis)

BINARY = [
    ("add", lambda L, a, b: a + b, "any"),
    ("sub", lambda L, a, b: a - b, "any"),
    ("mul", lambda L, a, b: a * b, "any"),
    ("div", lambda L, a, b: a / b, "nz"),
    ("pow", lambda L, a, b: a**b, ("pos", "any")),
    ("maximum", lambda L, a, b: L.maximum(a, b), "any"),
    ("minimum", lambda L, a, b: L.minimum(a, b), "any"),
]

shape_pairs = mutually_broadcastable_shapes(
    num_shapes=2, min_dims=0, max_dims=3, min_side=0, max_side=3
)


@pytest.mark.parametrize("name, fn, domain", BINARY, ids=[b[0] for b in BINARY])
@settings(max_examples=30, deadline=None)
@given(shapes=shape_pairs)
def test_binary_broadcasting(name, fn, domain, shapes):
    check_gradcheck(fn, shapes.input_shapes, domain)
    check_torch(fn, shapes.input_shapes, domain)


# ---------------------------------------------------------------------- kinks: PyTorch's tie rules

KINKS = [
    ("relu_at_0", lambda L, a: a.relu(), [[-1.0, 0.0, 2.0]]),
    ("abs_at_0", lambda L, a: abs(a), [[-1.0, 0.0, 2.0]]),
    ("leaky_relu_at_0", lambda L, a: L.leaky_relu(a, 0.1), [[-1.0, 0.0, 2.0]]),
    ("elu_at_0", lambda L, a: L.elu(a, 0.5), [[-1.0, 0.0, 2.0]]),
    ("maximum_ties", lambda L, a, b: L.maximum(a, b), [[1.0, 2.0, 3.0], [1.0, 0.0, 3.0]]),
    ("minimum_ties", lambda L, a, b: L.minimum(a, b), [[1.0, 2.0, 3.0], [1.0, 0.0, 3.0]]),
    ("clamp_at_bounds", lambda L, a: a.clamp(-1.0, 1.0), [[-1.0, 1.0, 0.0, 2.0, -3.0]]),
    ("pow_base_0", lambda L, a, b: a**b, [[0.0, 1.0], [2.0, 2.0]]),
    ("sqrt_of_0", lambda L, a: L.sqrt(a), [[0.0, 4.0]]),
    ("log_of_0", lambda L, a: L.log(a), [[0.0, 1.0]]),
]


@pytest.mark.parametrize("name, fn, values", KINKS, ids=[k[0] for k in KINKS])
def test_kinks_match_torch(name, fn, values):
    with np.errstate(divide="ignore"):
        check_torch(fn, None, arrays=[np.array(v) for v in values])


# ---------------------------------------------------------------------- comparisons and non-finite

COMPARISONS = [
    ("eq", lambda a, b: a == b),
    ("ne", lambda a, b: a != b),
    ("lt", lambda a, b: a < b),
    ("le", lambda a, b: a <= b),
    ("gt", lambda a, b: a > b),
    ("ge", lambda a, b: a >= b),
]


@pytest.mark.parametrize("name, op", COMPARISONS, ids=[c[0] for c in COMPARISONS])
def test_comparisons_match_torch(name, op):
    torch = pytest.importorskip("torch")
    a = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 2.0]], np.float32)
    b = np.array([2.0, 2.0, 1.0], np.float32)
    ours = op(gradlab.tensor(a, requires_grad=True), gradlab.tensor(b))
    theirs = op(torch.tensor(a, requires_grad=True), torch.tensor(b))
    assert ours.dtype == np.bool_ and not ours.requires_grad
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    np.testing.assert_array_equal(op(gradlab.tensor(a), 2.0).data, op(torch.tensor(a), 2.0))


def test_sign_isnan_isfinite():
    x = gradlab.tensor([-2.0, 0.0, 3.0, float("nan"), float("inf")])
    np.testing.assert_array_equal(x.sign().numpy()[:3], [-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(x.isnan().numpy(), [False, False, False, True, False])
    np.testing.assert_array_equal(x.isfinite().numpy(), [True, True, True, False, False])


def test_softplus_is_finite_for_large_inputs():
    x = gradlab.tensor([-1000.0, 0.0, 1000.0], requires_grad=True)
    y = gradlab.softplus(x)
    y.sum().backward()
    np.testing.assert_allclose(y.numpy(), [0.0, np.log(2.0), 1000.0], rtol=1e-6)
    np.testing.assert_allclose(x.grad, [0.0, 0.5, 1.0], atol=1e-7)


def test_where_requires_boolean_condition():
    with pytest.raises(TypeError, match="where: condition must be a boolean tensor"):
        gradlab.where(gradlab.tensor([1, 0]), gradlab.tensor([1.0, 2.0]), 0.0)


def test_clamp_needs_a_bound():
    with pytest.raises(RuntimeError, match="clamp"):  # as PyTorch
        gradlab.tensor([1.0]).clamp()


def test_broadcast_error_names_op_and_shapes():
    a, b = gradlab.ones(2, 3), gradlab.ones(4)
    for op, name in (
        (lambda: a + b, "add"),
        (lambda: a * b, "mul"),
        (lambda: a / b, "div"),
        (lambda: a - b, "sub"),
        (lambda: gradlab.maximum(a, b), "maximum"),
    ):
        with pytest.raises(
            ValueError, match=rf"{name}: cannot broadcast shapes \(2, 3\) and \(4,\)"
        ):
            op()
