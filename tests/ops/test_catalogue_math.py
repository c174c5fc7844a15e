"""The elementwise math catalogue: finite differences (float64) and PyTorch (float32) for
every differentiable function, broadcasting, size-0/size-1 axes; dtypes and errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra.numpy import mutually_broadcastable_shapes
from opcheck import case_ids, check_gradcheck, check_torch

import gradlab

torch = pytest.importorskip("torch")

# (name, fn(lib, *tensors), input shapes, domain)
UNARY = [
    ("sin", lambda L, a: L.sin(a), [(3, 4)], "any"),
    ("cos", lambda L, a: a.cos(), [(3, 4)], "any"),
    ("tan", lambda L, a: L.tan(a * 0.6), [(3, 4)], "any"),
    ("asin", lambda L, a: L.asin(a * 0.4), [(3, 4)], "any"),
    ("acos", lambda L, a: (a * 0.4).acos(), [(3, 4)], "any"),
    ("atan", lambda L, a: L.atan(a), [(2, 0, 3)], "any"),
    ("arctan", lambda L, a: L.arctan(a), [(5,)], "any"),
    ("sinh", lambda L, a: L.sinh(a), [(3, 1)], "any"),
    ("cosh", lambda L, a: a.cosh(), [(3,)], "any"),
    ("asinh", lambda L, a: L.asinh(a), [(3,)], "any"),
    ("acosh", lambda L, a: L.acosh(a + 1.0), [(3,)], "pos"),
    ("atanh", lambda L, a: L.atanh(a * 0.4), [(4,)], "any"),
    ("log1p", lambda L, a: L.log1p(a), [(4,)], "pos"),
    ("expm1", lambda L, a: a.expm1(), [(4,)], "any"),
    ("log2", lambda L, a: L.log2(a), [(4,)], "pos"),
    ("log10", lambda L, a: a.log10(), [(4,)], "pos"),
    ("exp2", lambda L, a: L.exp2(a), [(4,)], "any"),
    ("erf", lambda L, a: L.erf(a), [(6,)], "any"),
    ("erfc", lambda L, a: L.erfc(a * 2), [(6,)], "any"),
    ("erfinv", lambda L, a: L.erfinv(a * 0.45), [(6,)], "any"),
    ("rsqrt", lambda L, a: L.rsqrt(a), [(4,)], "pos"),
    ("reciprocal", lambda L, a: a.reciprocal(), [(4,)], "nz"),
    ("square", lambda L, a: L.square(a), [(4,)], "any"),
    ("frac", lambda L, a: L.frac(a * 3), [(6,)], "any"),
    ("sinc", lambda L, a: L.sinc(a), [(6,)], "nz"),
    ("deg2rad", lambda L, a: L.deg2rad(a), [(3,)], "any"),
    ("rad2deg", lambda L, a: a.rad2deg(), [(3,)], "any"),
    ("logit", lambda L, a: L.logit(a * 0.2 + 0.5), [(4,)], "any"),
    ("logit_eps", lambda L, a: L.logit(a * 0.4 + 0.5, eps=0.2), [(6,)], "nz"),
    ("lgamma", lambda L, a: L.lgamma(a * 2), [(5,)], "pos"),
    ("lgamma_negative", lambda L, a: L.lgamma(-a - 0.25), [(5,)], "pos"),
    ("digamma", lambda L, a: L.digamma(a * 3), [(5,)], "pos"),
    ("digamma_negative", lambda L, a: L.digamma(-a * 0.5 - 0.3), [(3,)], "pos"),
    ("negative", lambda L, a: L.negative(a), [(3,)], "any"),
    ("absolute", lambda L, a: L.absolute(a), [(3,)], "nz"),
    ("floor_zero_grad", lambda L, a: L.floor(a * 3) * a, [(5,)], "nz"),
    ("ceil_zero_grad", lambda L, a: a.ceil() + a, [(5,)], "nz"),
    ("round_zero_grad", lambda L, a: L.round(a * 3) + a, [(5,)], "nz"),
    ("round_decimals", lambda L, a: L.round(a * 30, decimals=1), [(5,)], "nz"),
    ("trunc", lambda L, a: a.trunc() * a, [(5,)], "nz"),
    ("sign", lambda L, a: L.sign(a) * a, [(5,)], "nz"),
    ("sgn", lambda L, a: a.sgn() + a, [(5,)], "nz"),
    ("nan_to_num", lambda L, a: L.nan_to_num(L.log(a)), [(5,)], "pos"),
]

BINARY = [
    ("atan2", lambda L, a, b: L.atan2(a, b), [(3, 1), (4,)], "nz"),
    ("arctan2", lambda L, a, b: L.arctan2(a, b), [(2,), (2,)], "nz"),
    ("fmod", lambda L, a, b: L.fmod(a * 3, b), [(3, 4), (4,)], ("any", "nz")),
    ("fmod_scalar", lambda L, a: L.fmod(a * 3, 1.5), [(5,)], "nz"),
    ("remainder", lambda L, a, b: L.remainder(a * 3, b), [(3, 4), (4,)], ("any", "nz")),
    ("remainder_method", lambda L, a: a.remainder(-1.5), [(5,)], "nz"),
    ("hypot", lambda L, a, b: L.hypot(a, b), [(3, 1), (1, 4)], "nz"),
    ("copysign", lambda L, a, b: L.copysign(a, b), [(3, 4), (4,)], "nz"),
    ("logaddexp", lambda L, a, b: L.logaddexp(a, b), [(3, 4), (4,)], "any"),
    ("logaddexp2", lambda L, a, b: L.logaddexp2(a, b), [(3, 4), (3, 1)], "any"),
    ("xlogy", lambda L, a, b: L.xlogy(a, b), [(3, 4), (4,)], ("any", "pos")),
    ("fmax", lambda L, a, b: L.fmax(a, b), [(3, 4), (4,)], "any"),
    ("fmin", lambda L, a, b: a.fmin(b), [(3, 4), (1, 4)], "any"),
    ("lerp_scalar", lambda L, a, b: L.lerp(a, b, 0.3), [(3, 4), (4,)], "any"),
    ("lerp_tensor", lambda L, a, b, w: a.lerp(b, w), [(3, 4), (4,), (3, 1)], "any"),
    ("addcmul", lambda L, a, b, c: L.addcmul(a, b, c, value=0.5), [(3, 4), (4,), (3, 1)], "any"),
    (
        "addcdiv",
        lambda L, a, b, c: a.addcdiv(b, c, value=-2),
        [(3, 4), (4,), (3, 1)],
        ("any", "any", "nz"),
    ),
    ("add_alpha", lambda L, a, b: L.add(a, b, alpha=2.5), [(3, 4), (4,)], "any"),
    ("sub_alpha", lambda L, a, b: a.sub(b, alpha=0.5), [(3, 4), (4,)], "any"),
    ("subtract", lambda L, a, b: L.subtract(a, b), [(2,), (2,)], "any"),
    ("multiply", lambda L, a, b: L.multiply(a, b), [(2, 1), (2,)], "any"),
    ("divide", lambda L, a, b: L.divide(a, b), [(2, 1), (2,)], "nz"),
    ("true_divide", lambda L, a, b: L.true_divide(a, b), [(3,), (3,)], "nz"),
    ("div_floor", lambda L, a, b: L.div(a * 4, b, rounding_mode="floor") * b, [(5,), (5,)], "nz"),
    ("div_trunc", lambda L, a, b: a.div(b, rounding_mode="trunc") + a, [(5,), (5,)], "nz"),
    ("float_power", lambda L, a, b: L.float_power(a, b), [(3,), (3,)], ("pos", "any")),
    ("clamp_min", lambda L, a: a.clamp_min(0.2), [(5,)], "nz"),
    (
        "clamp_tensor_bounds",
        lambda L, a, lo, hi: L.clamp(a, lo, hi * 3),
        [(3, 4), (4,), (3, 1)],
        "any",
    ),
    ("clamp_tensor_min", lambda L, a, lo: a.clamp(min=lo), [(3, 4), (4,)], "any"),
    ("clip_tensor_max", lambda L, a, hi: a.clip(max=hi), [(3, 4), ()], "any"),
    ("clamp_max", lambda L, a: L.clamp_max(a, 0.2), [(5,)], "nz"),
    ("where_scalar", lambda L, a: L.where(a > 0, a, 0.0), [(5,)], "nz"),
    ("where_method", lambda L, a, b: a.where(a > 0, b), [(3, 4), (4,)], "nz"),
    ("size0", lambda L, a, b: L.atan2(a, b), [(0, 3), (1, 3)], "nz"),
]

CASES = UNARY + BINARY
IDS = case_ids(CASES)


@pytest.mark.parametrize("name, fn, shapes, domain", CASES, ids=IDS)
def test_gradcheck(name, fn, shapes, domain):
    check_gradcheck(fn, shapes, domain)


@pytest.mark.parametrize("name, fn, shapes, domain", CASES, ids=IDS)
def test_matches_torch(name, fn, shapes, domain):
    check_torch(fn, shapes, domain)


SPECIAL_VALUES = [
    ("erfc_tail", lambda L, a: L.erfc(a), [[3.5, 5.0, 6.0, -4.0, 0.0]]),
    ("erfinv_edges", lambda L, a: L.erfinv(a), [[-1.0, 1.0, 0.0, 0.999, -0.9]]),
    ("sinc_at_0", lambda L, a: L.sinc(a), [[0.0, 1.0, 0.5]]),
    ("xlogy_zero", lambda L, a, b: L.xlogy(a, b), [[0.0, 0.0, 1.0], [0.0, 2.0, 3.0]]),
    ("atan2_origin", lambda L, a, b: L.atan2(a, b), [[0.0, 1.0], [1.0, 0.0]]),
    ("fmax_nan", lambda L, a, b: L.fmax(a, b), [[np.nan, 1.0, 2.0], [1.0, np.nan, 2.0]]),
    ("round_half_even", lambda L, a: L.round(a), [[0.5, 1.5, 2.5, -0.5]]),
    (
        "clamp_ties_and_crossed",
        lambda L, a, lo, hi: L.clamp(a, lo, hi),
        [[1.0, 2.0, 3.0, 4.0], [2.0, 2.0, 2.0, 5.0], [3.0, 3.0, 3.0, 1.0]],
    ),
]


@pytest.mark.parametrize("name, fn, values", SPECIAL_VALUES, ids=[c[0] for c in SPECIAL_VALUES])
def test_special_values_match_torch(name, fn, values):
    with np.errstate(all="ignore"):
        check_torch(fn, None, arrays=[np.array(v) for v in values])


def _both(values, dtype):
    return gradlab.tensor(np.array(values, dtype)), torch.tensor(np.array(values, dtype))


@pytest.mark.parametrize(
    "fn",
    [
        lambda L, a: L.sin(a),
        lambda L, a: L.sqrt(a) if L is torch else L.rsqrt(a).reciprocal(),
        lambda L, a: L.atan2(a, a),
        lambda L, a: L.fmod(a, 2),
        lambda L, a: L.remainder(a, 3),
        lambda L, a: L.floor(a),
        lambda L, a: L.sign(a),
        lambda L, a: L.div(a, 2),
        lambda L, a: L.div(a, 2, rounding_mode="floor"),
        lambda L, a: L.div(-a, 2, rounding_mode="trunc"),
        lambda L, a: L.where(a > 2, a, 0.5),
        lambda L, a: a // 2,
        lambda L, a: a % 3,
        lambda L, a: L.logical_and(a > 1, a < 4),
        lambda L, a: L.bitwise_xor(a, 3),
        lambda L, a: (a > 1) & (a < 4),
        lambda L, a: ~(a > 2),
        lambda L, a: L.isclose(a, a + 0),
        lambda L, a: L.clamp(a, 2.5, 3.5),
        lambda L, a: a.clamp(min=2),
    ],
)
def test_integer_inputs_promote_as_torch(fn):
    ours, theirs = _both([1, 2, 3, 4, 5], np.int64)
    got, expected = fn(gradlab, ours), fn(torch, theirs)
    assert got.dtype == expected.numpy().dtype
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6)


def test_float32_stays_float32_with_python_numbers():
    x = gradlab.tensor([1.0, 2.0])
    for out in (gradlab.atan2(x, 2.0), gradlab.hypot(x, 3), gradlab.fmod(x, 1.5), x.lerp(x, 0.5)):
        assert out.dtype == np.float32


def test_errors_match_torch():
    x = gradlab.tensor([1.0, 2.0])
    with pytest.raises(TypeError):
        gradlab.sin(1.0)
    with pytest.raises(RuntimeError, match="addcdiv"):
        gradlab.addcdiv(x, gradlab.tensor([1, 2]), gradlab.tensor([1, 2]))
    with pytest.raises(ValueError, match="rounding_mode"):
        gradlab.div(x, x, rounding_mode="round")
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        gradlab.fmod(gradlab.tensor([1, 2]), 0)
    with pytest.raises(RuntimeError, match="bool tensors is not supported"):
        gradlab.sub(x > 1, x > 0)
    with pytest.raises(TypeError):
        x & x


BROADCAST = [
    ("atan2", lambda L, a, b: L.atan2(a, b), "nz"),
    ("hypot", lambda L, a, b: L.hypot(a, b), "nz"),
    ("fmod", lambda L, a, b: L.fmod(a, b), ("any", "nz")),
    ("logaddexp", lambda L, a, b: L.logaddexp(a, b), "any"),
    ("xlogy", lambda L, a, b: L.xlogy(a, b), ("any", "pos")),
    ("fmax", lambda L, a, b: L.fmax(a, b), "any"),
    ("lerp", lambda L, a, b: L.lerp(a, b, 0.25), "any"),
    ("clamp", lambda L, a, b: L.clamp(a, min=b), "any"),
]

shape_pairs = mutually_broadcastable_shapes(
    num_shapes=2, min_dims=0, max_dims=3, min_side=0, max_side=3
)


@pytest.mark.parametrize("name, fn, domain", BROADCAST, ids=[b[0] for b in BROADCAST])
@settings(max_examples=15, deadline=None)
@given(shapes=shape_pairs)
def test_binary_broadcasting(name, fn, domain, shapes):
    check_gradcheck(fn, shapes.input_shapes, domain)
    check_torch(fn, shapes.input_shapes, domain)
