"""Binary and ternary elementwise math: atan2, fmod, remainder, hypot, copysign, logaddexp,
xlogy, fmax/fmin, float_power, lerp, addcmul, addcdiv, add/sub with ``alpha``, div with
``rounding_mode``. As PyTorch's, broadcasting. (Logical and bitwise ops: ``logical``.)

Result dtypes follow PyTorch's promotion for the float work these ops do: the tensors'
dtypes decide, a Python number does not widen them (float32 tensor with 2.5 stays float32),
and integer inputs of a floating op become the default float dtype.
"""

from __future__ import annotations

import math

import numpy as np

from gradlab.autograd import Function
from gradlab.autograd_graph import NoGraphBackward, defined_beside
from gradlab.backend import array_module, get_default_dtype
from gradlab.ops import elementwise
from gradlab.ops.promotion import result_np
from gradlab.tensor import Tensor

__all__ = [
    "atan2", "arctan2", "fmod", "remainder", "hypot", "copysign", "logaddexp", "logaddexp2",
    "xlogy", "fmax", "fmin", "float_power", "lerp", "addcmul", "addcdiv", "add", "sub",
    "subtract", "multiply", "mul", "div", "divide", "true_divide", "floor_divide", "clamp",
    "clip",
]  # fmt: skip


def result_dtype(*values, floating=False):
    """PyTorch's result dtype for tensors and Python numbers (floating: at least a float);
    see :mod:`gradlab.ops.promotion`."""
    dtype = result_np(*values)
    if floating and dtype.kind in "biu":
        return get_default_dtype()
    return dtype


def operands(*values, floating=False):
    """The values as Tensors (or constant arrays, on the tensors' device) of one result
    dtype."""
    xp = array_module(*values)
    dtype = result_dtype(*values, floating=floating)
    out = []
    for v in values:
        if isinstance(v, Tensor):
            out.append(v if v._data.dtype == dtype else elementwise.to_dtype(v, dtype))
        else:
            out.append(xp.asarray(v, dtype=dtype))
    return out


class _Binary(Function):
    """Base of ops whose gradients are ``grad * d(a)``, ``grad * d(b)``."""

    __slots__ = ()

    def forward(self, a, b):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = self.fn(array_module(a, b), a, b)
        self.saved = (a, b, out)
        return out

    def backward(self, grad):
        a, b, out = self.saved
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            da, db = self.derivatives(a, b, out)
        return (
            grad * da if self.needs_input_grad(0) else None,
            grad * db if self.needs_input_grad(1) else None,
        )

    def backward_graph(self, grad):
        # recorded (gradlab.autograd_graph): ``derivatives_graph`` on Tensors, where the
        # subclass gives one beside its ``derivatives``
        xp = array_module(grad)
        if not defined_beside(self, "derivatives", "derivatives_graph"):
            raise NoGraphBackward
        a, b = (t if isinstance(t, Tensor) else Tensor(xp.asarray(t)) for t in self.inputs)
        da, db = self.derivatives_graph(a, b, self.output())
        return (
            grad * da if self.needs_input_grad(0) else None,
            grad * db if self.needs_input_grad(1) else None,
        )

    def constant_derivatives(self):
        """The derivatives of a piecewise-linear op: constants (from the saved arrays)."""
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return self.derivatives(*self.saved)


class Atan2(_Binary):
    __slots__ = ()
    fn = staticmethod(lambda xp, a, b: xp.arctan2(a, b))

    def derivatives(self, a, b, out):
        norm = a * a + b * b
        return b / norm, -a / norm

    derivatives_graph = derivatives  # operators only: the same on Tensors


class Fmod(_Binary):
    __slots__ = ()
    fn = staticmethod(lambda xp, a, b: xp.fmod(a, b))

    def derivatives(self, a, b, out):
        xp = array_module(a, b)
        return 1, -xp.trunc(a / b)

    def derivatives_graph(self, a, b, out):  # piecewise linear: constant derivatives
        return self.constant_derivatives()


class Remainder(_Binary):
    __slots__ = ()
    fn = staticmethod(lambda xp, a, b: xp.remainder(a, b))

    def derivatives(self, a, b, out):
        xp = array_module(a, b)
        return 1, -xp.floor(a / b)

    def derivatives_graph(self, a, b, out):
        return self.constant_derivatives()


class Hypot(_Binary):
    __slots__ = ()
    fn = staticmethod(lambda xp, a, b: xp.hypot(a, b))

    def derivatives(self, a, b, out):
        return a / out, b / out

    derivatives_graph = derivatives


class Copysign(_Binary):
    __slots__ = ()
    fn = staticmethod(lambda xp, a, b: xp.copysign(a, b))

    def derivatives(self, a, b, out):
        xp = array_module(a, b)
        return xp.where(a == 0, 0, out / xp.where(a == 0, 1, a)), 0

    def derivatives_graph(self, a, b, out):
        return self.constant_derivatives()


class Logaddexp(_Binary):
    __slots__ = ()
    fn = staticmethod(lambda xp, a, b: xp.logaddexp(a, b))

    def derivatives(self, a, b, out):
        xp = array_module(a, b)
        return xp.exp(a - out), xp.exp(b - out)

    def derivatives_graph(self, a, b, out):
        return (a - out).exp(), (b - out).exp()


class Logaddexp2(_Binary):
    __slots__ = ()
    fn = staticmethod(lambda xp, a, b: xp.logaddexp2(a, b))

    def derivatives(self, a, b, out):
        xp = array_module(a, b)
        return xp.exp2(a - out), xp.exp2(b - out)

    def derivatives_graph(self, a, b, out):
        return ((a - out) * math.log(2)).exp(), ((b - out) * math.log(2)).exp()


class Xlogy(_Binary):
    """a * log(b), 0 where a == 0 (unless b is nan)."""

    __slots__ = ()

    @staticmethod
    def fn(xp, a, b):
        return xp.where((a == 0) & ~xp.isnan(b), 0, a * xp.log(b)).astype(
            np.result_type(a, b), copy=False
        )

    def derivatives(self, a, b, out):
        xp = array_module(a, b)
        da = xp.where((a == 0) & (b <= 0), 0, xp.log(b))
        return da, a / b

    def derivatives_graph(self, a, b, out):
        drop = (a._data == 0) & (b._data <= 0)
        da = elementwise.where(drop, 0.0, elementwise.where(drop, 1.0, b).log())
        return da, a / b


class Fmax(_Binary):
    """maximum that ignores nan; ties send the gradient to ``a`` (as PyTorch's fmax)."""

    __slots__ = ()
    fn = staticmethod(lambda xp, a, b: xp.fmax(a, b))

    def derivatives(self, a, b, out):
        xp = array_module(a, b)
        to_a = (a >= b) | xp.isnan(b)
        return to_a, ~to_a

    def derivatives_graph(self, a, b, out):
        return self.constant_derivatives()


class Fmin(_Binary):
    __slots__ = ()
    fn = staticmethod(lambda xp, a, b: xp.fmin(a, b))

    def derivatives(self, a, b, out):
        xp = array_module(a, b)
        to_a = (a <= b) | xp.isnan(b)
        return to_a, ~to_a

    def derivatives_graph(self, a, b, out):
        return self.constant_derivatives()


# ---------------------------------------------------------------------- functions


def _binary(cls, name):
    def op(input, other):  # noqa: A002 - PyTorch's argument names
        a, b = operands(input, other, floating=True)
        return cls.apply(a, b)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"``torch.{name}(input, other)``: elementwise with broadcasting, differentiable."
    return op


atan2 = arctan2 = _binary(Atan2, "atan2")
hypot = _binary(Hypot, "hypot")
copysign = _binary(Copysign, "copysign")
logaddexp = _binary(Logaddexp, "logaddexp")
logaddexp2 = _binary(Logaddexp2, "logaddexp2")
xlogy = _binary(Xlogy, "xlogy")


def _keep_ints(cls, name):
    def op(input, other):  # noqa: A002
        a, b = operands(input, other)
        if a.dtype.kind in "biu":
            xp = array_module(a, b)
            if xp.any(_array(b) == 0):
                raise RuntimeError("ZeroDivisionError")
            return Tensor(getattr(xp, name)(_array(a), _array(b)))
        return cls.apply(a, b)

    op.__name__ = op.__qualname__ = name
    return op


def _array(v):
    return v._data if isinstance(v, Tensor) else v


fmod = _keep_ints(Fmod, "fmod")
remainder = _keep_ints(Remainder, "remainder")


def fmax(input, other):  # noqa: A002
    a, b = operands(input, other)
    if a.dtype.kind == "f":
        return Fmax.apply(a, b)
    return Tensor(array_module(a, b).fmax(_array(a), _array(b)))


def fmin(input, other):  # noqa: A002
    a, b = operands(input, other)
    if a.dtype.kind == "f":
        return Fmin.apply(a, b)
    return Tensor(array_module(a, b).fmin(_array(a), _array(b)))


def float_power(input, exponent):  # noqa: A002
    """input ** exponent in float64, as ``torch.float_power``."""
    base = input.double() if isinstance(input, Tensor) else np.float64(input)
    power = exponent.double() if isinstance(exponent, Tensor) else np.float64(exponent)
    if not isinstance(base, Tensor):
        base = Tensor(array_module(exponent).asarray(base))
    return elementwise.Pow.apply(base, power)


def lerp(input, end, weight):  # noqa: A002
    """input + weight * (end - input); ``weight`` a number or a tensor."""
    return input + weight * (end - input)


def addcmul(input, tensor1, tensor2, *, value=1):  # noqa: A002
    """input + value * tensor1 * tensor2."""
    product = tensor1 * tensor2
    return input + (product if value == 1 else value * product)


def addcdiv(input, tensor1, tensor2, *, value=1):  # noqa: A002
    """input + value * tensor1 / tensor2 (integer division is refused, as PyTorch)."""
    if tensor1.dtype.kind in "biu" and tensor2.dtype.kind in "biu":
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future release "
            "addcdiv will perform a true division of tensor1 and tensor2."
        )
    quotient = tensor1 / tensor2
    return input + (quotient if value == 1 else value * quotient)


def add(input, other, *, alpha=1):  # noqa: A002
    """input + alpha * other."""
    return elementwise.add(input, other if alpha == 1 else other * alpha)


def sub(input, other, *, alpha=1):  # noqa: A002
    """input - alpha * other."""
    if isinstance(input, Tensor) and input.dtype.kind == "b" and _kind(other) == "b":
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. "
            "Use the `^` or `logical_xor()` operator instead."
        )
    return elementwise.sub(input, other if alpha == 1 else other * alpha)


subtract = sub


def _kind(value) -> str:
    return value.dtype.kind if isinstance(value, Tensor) else ""


def mul(input, other):  # noqa: A002
    return elementwise.mul(input, other)


multiply = mul


def div(input, other, *, rounding_mode=None):  # noqa: A002
    """True division, or with rounding_mode "trunc" / "floor" rounded (no gradient there)."""
    if rounding_mode is None:
        a, b = operands(input, other, floating=True)
        return elementwise.div(a, b)
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
            f"'{rounding_mode}'"
        )
    a, b = operands(input, other)
    array_a, array_b = _array(a), _array(b)
    xp = array_module(array_a, array_b)
    if a.dtype.kind in "biu":
        if xp.any(array_b == 0):
            raise RuntimeError("ZeroDivisionError")
        q = xp.floor_divide(array_a, array_b)
        if rounding_mode == "trunc":
            q = q + ((array_a % array_b != 0) & ((array_a < 0) != (array_b < 0)))
        return Tensor(q.astype(a.dtype, copy=False))
    quotient = elementwise.div(a, b)
    from gradlab.ops.rounding import Rounding

    return Rounding.apply(quotient, fn=rounding_mode)


divide = div


def true_divide(dividend, divisor):
    return div(dividend, divisor)


def floor_divide(input, other):  # noqa: A002
    return div(input, other, rounding_mode="floor")


def clamp(input, min=None, max=None):  # noqa: A001, A002 - PyTorch's names
    """min(max(input, min), max). Tensor bounds broadcast and get gradients where they win
    (ties go to input), as PyTorch's; number bounds promote an integer input to float."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    given = [b for b in (min, max) if b is not None]
    out, *bounds = operands(input, *given)
    if not isinstance(min, Tensor) and not isinstance(max, Tensor):
        return elementwise.clamp(out, min=min, max=max)
    if min is not None:
        low = bounds.pop(0)
        out = elementwise.where(_below(out, low), low, out)
    if max is not None:
        high = bounds.pop(0)
        out = elementwise.where(_below(high, out), high, out)
    return out


def _below(a, b):
    return Tensor(_array(a) < _array(b))


clip = clamp
