"""Unary elementwise math: trigonometric, hyperbolic, exp/log variants, error functions,
rounding (from :mod:`gradlab.ops.rounding`), as ``torch.sin`` ... ``torch.erfinv``; each
differentiable as in PyTorch.

Integer and bool inputs are promoted to the default float dtype first (``torch.sin`` of an
int64 tensor is float32). Rounding functions (floor, ceil, round, trunc, sign) have a zero
gradient, as PyTorch's; on integer inputs they return the integers unchanged.
"""

from __future__ import annotations

import math

import numpy as np

from gradlab.autograd import Function
from gradlab.backend import array_module, get_default_dtype, to_host
from gradlab.ops.rounding import ceil, fix, floor, round, sgn, sign, signbit, trunc  # noqa: A004
from gradlab.ops.special import digamma_array, erfc_array, erfinv_array, trigamma_array
from gradlab.ops.special import erf as _erf
from gradlab.ops.trigonometric import (
    Acos,
    Acosh,
    Asin,
    Asinh,
    Atan,
    Atanh,
    Cos,
    Cosh,
    Sin,
    Sinh,
    Tan,
    _module_function,
    _Unary,
)  # fmt: skip
from gradlab.tensor import Tensor

__all__ = [
    "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh",
    "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "log1p", "expm1", "log2",
    "log10", "exp2", "erf", "erfc", "erfinv", "rsqrt", "reciprocal", "frac", "floor", "ceil",
    "round", "trunc", "fix", "sign", "sgn", "signbit", "deg2rad", "rad2deg", "logit", "sinc",
    "nan_to_num", "negative", "positive", "absolute", "lgamma", "digamma",
]  # fmt: skip


def floating(a):
    """``a`` as a floating Tensor: ints and bools become the default float dtype."""
    if not isinstance(a, Tensor):
        raise TypeError(f"expected a Tensor, got {type(a).__name__}")
    if a.dtype.kind in "fc":
        return a
    return Tensor(a._data.astype(get_default_dtype()))


class Log1p(_Unary):
    __slots__ = ()
    fn = _module_function("log1p")

    def derivative(self, a, out):
        return 1 / (1 + a)

    derivative_graph = derivative  # operators only: the same on Tensors


class Expm1(_Unary):
    __slots__ = ()
    fn = _module_function("expm1")

    def derivative(self, a, out):
        return out + 1

    derivative_graph = derivative  # operators only: the same on Tensors


class Log2(_Unary):
    __slots__ = ()
    fn = _module_function("log2")

    def derivative(self, a, out):
        return 1 / (a * math.log(2))

    derivative_graph = derivative  # operators only: the same on Tensors


class Log10(_Unary):
    __slots__ = ()
    fn = _module_function("log10")

    def derivative(self, a, out):
        return 1 / (a * math.log(10))

    derivative_graph = derivative  # operators only: the same on Tensors


class Exp2(_Unary):
    __slots__ = ()
    fn = _module_function("exp2")

    def derivative(self, a, out):
        return out * math.log(2)

    derivative_graph = derivative  # operators only: the same on Tensors


class Rsqrt(_Unary):
    __slots__ = ()

    @staticmethod
    def fn(a):
        xp = array_module(a)
        return 1 / xp.sqrt(a)

    def derivative(self, a, out):
        return -0.5 * out * out * out

    derivative_graph = derivative  # operators only: the same on Tensors


class Reciprocal(_Unary):
    __slots__ = ()

    @staticmethod
    def fn(a):
        return 1 / a

    def derivative(self, a, out):
        return -out * out

    derivative_graph = derivative  # operators only: the same on Tensors


class Frac(_Unary):
    __slots__ = ()

    @staticmethod
    def fn(a):
        xp = array_module(a)
        return a - xp.trunc(a)

    def derivative(self, a, out):
        return 1

    derivative_graph = derivative


class Sinc(_Unary):
    """sin(pi x) / (pi x), 1 at 0; derivative (cos(pi x) - sinc(x)) / x, 0 at 0."""

    __slots__ = ()
    fn = _module_function("sinc")

    def derivative(self, a, out):
        xp = array_module(a)
        safe = xp.where(a == 0, 1, a)
        return xp.where(a == 0, 0, (xp.cos(math.pi * a) - out) / safe)

    def derivative_graph(self, a, out):
        from gradlab.autograd_graph import NoGraphBackward
        from gradlab.ops.elementwise import where

        zero = a._data == 0
        if zero.any():  # sinc''(0) = -pi^2/3 would need its own formula: not recorded here
            raise NoGraphBackward
        return where(zero, 0.0, ((a * math.pi).cos() - out) / a)


class Erfc(_Unary):
    __slots__ = ()
    fn = staticmethod(erfc_array)

    def derivative(self, a, out):
        xp = array_module(a)
        return (-2 / math.sqrt(math.pi)) * xp.exp(-a * a)

    def derivative_graph(self, a, out):
        return (-2 / math.sqrt(math.pi)) * (-a * a).exp()


class Erfinv(_Unary):
    __slots__ = ()
    fn = staticmethod(erfinv_array)

    def derivative(self, a, out):
        xp = array_module(a)
        return (math.sqrt(math.pi) / 2) * xp.exp(out * out)

    def derivative_graph(self, a, out):
        return (math.sqrt(math.pi) / 2) * (out * out).exp()


class Lgamma(_Unary):
    __slots__ = ()

    @staticmethod
    def fn(a):
        # math.lgamma per element, on a host copy (no array module has lgamma)
        xp = array_module(a)
        flat = [
            math.lgamma(v) if not (v <= 0 and v == int(v)) else math.inf for v in to_host(a).flat
        ]
        return xp.asarray(flat, dtype=a.dtype).reshape(a.shape)

    def derivative(self, a, out):
        return digamma_array(a)


class Digamma(_Unary):
    __slots__ = ()
    fn = staticmethod(digamma_array)

    def derivative(self, a, out):
        return trigamma_array(a)


class Logit(Function):
    """log(p / (1 - p)), p clamped to [eps, 1 - eps] when eps is given (no gradient outside)."""

    __slots__ = ()

    def forward(self, a, eps=None):
        xp = array_module(a)
        p = a if eps is None else xp.clip(a, eps, 1 - eps)
        self.saved = (a, eps)
        with np.errstate(divide="ignore", invalid="ignore"):
            return xp.log(p / (1 - p))

    def backward(self, grad):
        xp = array_module(grad)
        a, eps = self.saved
        with np.errstate(divide="ignore", invalid="ignore"):
            out = grad / (a * (1 - a))
        if eps is not None:
            out = xp.where((a < eps) | (a > 1 - eps), 0, out)
        return out

    def backward_graph(self, grad):
        from gradlab.ops.elementwise import where

        a_array, eps = self.saved
        a = self.inputs[0]
        out = grad / (a * (1 - a))
        if eps is not None:
            out = where((a_array < eps) | (a_array > 1 - eps), 0.0, out)
        return out


class NanToNum(Function):
    __slots__ = ()

    def forward(self, a, nan=0.0, posinf=None, neginf=None):
        xp = array_module(a)
        self.saved = (xp.isfinite(a),)
        return xp.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)

    def backward(self, grad):
        return grad * self.saved[0]

    backward_graph = backward  # the mask is a constant


class Scale(Function):
    """a * constant (deg2rad, rad2deg)."""

    __slots__ = ()

    def forward(self, a, factor=1.0):
        self.saved = (factor,)
        return a * a.dtype.type(factor)

    def backward(self, grad):
        return grad * grad.dtype.type(self.saved[0])

    backward_graph = backward  # a constant factor


# ---------------------------------------------------------------------- functions


def _unary(cls, name):
    def op(input):  # noqa: A002 - PyTorch's argument name
        return cls.apply(floating(input))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"``torch.{name}``: elementwise, differentiable; ints become floats."
    return op


sin, cos, tan = _unary(Sin, "sin"), _unary(Cos, "cos"), _unary(Tan, "tan")
asin, acos, atan = _unary(Asin, "asin"), _unary(Acos, "acos"), _unary(Atan, "atan")
sinh, cosh = _unary(Sinh, "sinh"), _unary(Cosh, "cosh")
asinh, acosh, atanh = _unary(Asinh, "asinh"), _unary(Acosh, "acosh"), _unary(Atanh, "atanh")
arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh
log1p, expm1 = _unary(Log1p, "log1p"), _unary(Expm1, "expm1")
log2, log10, exp2 = _unary(Log2, "log2"), _unary(Log10, "log10"), _unary(Exp2, "exp2")
erfc, erfinv = _unary(Erfc, "erfc"), _unary(Erfinv, "erfinv")


def erf(input):  # noqa: A002 - PyTorch's name
    """``torch.erf``: elementwise, differentiable; ints become floats."""
    return _erf(floating(input))


rsqrt, reciprocal = _unary(Rsqrt, "rsqrt"), _unary(Reciprocal, "reciprocal")
frac, sinc = _unary(Frac, "frac"), _unary(Sinc, "sinc")
lgamma, digamma = _unary(Lgamma, "lgamma"), _unary(Digamma, "digamma")


def deg2rad(input):  # noqa: A002
    return Scale.apply(floating(input), factor=math.pi / 180)


def rad2deg(input):  # noqa: A002
    return Scale.apply(floating(input), factor=180 / math.pi)


def logit(input, eps=None):  # noqa: A002
    return Logit.apply(floating(input), eps=eps)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):  # noqa: A002
    if input.dtype.kind not in "fc":
        return Tensor(input._data.copy())
    return NanToNum.apply(input, nan=nan, posinf=posinf, neginf=neginf)


def negative(input):  # noqa: A002
    return -input


def positive(input):  # noqa: A002
    if input.dtype == bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def absolute(input):  # noqa: A002
    return abs(input)
