"""Elementwise primitives: arithmetic, exp/log, activations' building blocks, comparisons.

Every class is one differentiable op with ``forward`` and ``backward`` side by side. The
gradients are returned in the broadcast shape; the engine sums them back to each input's
shape. Gradients at kinks follow PyTorch (relu'(0) = 0, |x|'(0) = 0, ties of maximum and
minimum split the gradient in half, clamp passes the gradient at its bounds).
"""

from __future__ import annotations

from gradlab.autograd import Function
from gradlab.backend import xp
from gradlab.tensor import Tensor

__all__ = [
    "add", "sub", "mul", "div", "pow", "neg", "exp", "log", "sqrt", "abs", "maximum",
    "minimum", "clamp", "clip", "where", "sigmoid", "tanh", "relu", "leaky_relu", "elu",
    "softplus", "square", "clone", "to_dtype", "eq", "ne", "lt", "le", "gt", "ge", "sign",
    "isnan", "isfinite",
]  # fmt: skip

# ---------------------------------------------------------------------- arithmetic


class Add(Function):
    __slots__ = ()

    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        return grad, grad


class Sub(Function):
    __slots__ = ()

    def forward(self, a, b):
        return a - b

    def backward(self, grad):
        return grad, -grad


class Mul(Function):
    __slots__ = ()

    def forward(self, a, b):
        self.saved = (a, b)
        return a * b

    def backward(self, grad):
        a, b = self.saved
        return (
            grad * b if self.needs_input_grad(0) else None,
            grad * a if self.needs_input_grad(1) else None,
        )


class Div(Function):
    __slots__ = ()

    def forward(self, a, b):
        self.saved = (a, b)
        return a / b

    def backward(self, grad):
        a, b = self.saved
        grad_a = grad / b
        grad_b = -grad_a * a / b if self.needs_input_grad(1) else None
        return grad_a if self.needs_input_grad(0) else None, grad_b


class Pow(Function):
    """a ** b for a tensor base and a tensor or constant exponent."""

    __slots__ = ()

    def forward(self, a, b):
        out = a**b
        self.saved = (a, b, out)
        return out

    def backward(self, grad):
        a, b, out = self.saved
        grad_a = grad_b = None
        if self.needs_input_grad(0):
            grad_a = grad * b * a ** (b - 1)
        if self.needs_input_grad(1):
            # d(a^b)/db = a^b log a; PyTorch takes it as 0 where a == 0 (and b >= 0).
            with xp.errstate(divide="ignore", invalid="ignore"):
                grad_b = grad * xp.where(a == 0, 0.0, out * xp.log(xp.where(a == 0, 1, a)))
        return grad_a, grad_b


class Neg(Function):
    __slots__ = ()

    def forward(self, a):
        return -a

    def backward(self, grad):
        return -grad


class Cast(Function):
    """Change the dtype; the gradient is cast back to the input's dtype."""

    __slots__ = ()

    def forward(self, a, dtype):
        self.saved = (a.dtype,)
        return a.astype(dtype)

    def backward(self, grad):
        return grad.astype(self.saved[0])


class Clone(Function):
    __slots__ = ()

    def forward(self, a):
        return a.copy()

    def backward(self, grad):
        return grad


# ---------------------------------------------------------------------- transcendental


class Exp(Function):
    __slots__ = ()

    def forward(self, a):
        out = xp.exp(a)
        self.saved = (out,)
        return out

    def backward(self, grad):
        return grad * self.saved[0]


class Log(Function):
    __slots__ = ()

    def forward(self, a):
        self.saved = (a,)
        return xp.log(a)

    def backward(self, grad):
        return grad / self.saved[0]


class Sqrt(Function):
    __slots__ = ()

    def forward(self, a):
        out = xp.sqrt(a)
        self.saved = (out,)
        return out

    def backward(self, grad):
        return grad / (2 * self.saved[0])


class Abs(Function):
    __slots__ = ()

    def forward(self, a):
        self.saved = (a,)
        return xp.abs(a)

    def backward(self, grad):
        return grad * xp.sign(self.saved[0])


# ---------------------------------------------------------------------- piecewise


class Maximum(Function):
    __slots__ = ()

    def forward(self, a, b):
        self.saved = (a, b)
        return xp.maximum(a, b)

    def backward(self, grad):
        a, b = self.saved
        share = ((a > b) + 0.5 * (a == b)).astype(grad.dtype)  # ties split it, as PyTorch
        return grad * share, grad * (1 - share)


class Minimum(Function):
    __slots__ = ()

    def forward(self, a, b):
        self.saved = (a, b)
        return xp.minimum(a, b)

    def backward(self, grad):
        a, b = self.saved
        share = ((a < b) + 0.5 * (a == b)).astype(grad.dtype)
        return grad * share, grad * (1 - share)


class Clamp(Function):
    __slots__ = ()

    def forward(self, a, min=None, max=None):  # noqa: A002 - PyTorch's argument names
        self.saved = (a, min, max)
        return xp.clip(a, min, max)

    def backward(self, grad):
        a, low, high = self.saved
        keep = xp.ones(a.shape, dtype=bool)
        if low is not None:
            keep &= a >= low
        if high is not None:
            keep &= a <= high
        return grad * keep


class Where(Function):
    """where(condition, a, b): condition is a constant boolean array."""

    __slots__ = ()

    def forward(self, condition, a, b):
        self.saved = (condition,)
        return xp.where(condition, a, b)

    def backward(self, grad):
        (condition,) = self.saved
        zero = xp.zeros((), dtype=grad.dtype)
        return (
            None,
            xp.where(condition, grad, zero) if self.needs_input_grad(1) else None,
            xp.where(condition, zero, grad) if self.needs_input_grad(2) else None,
        )


# ---------------------------------------------------------------------- activations


class Sigmoid(Function):
    __slots__ = ()

    def forward(self, a):
        # sigma(x) = (1 + tanh(x / 2)) / 2: stable for large |x| and faster than exp here.
        out = xp.tanh(a * 0.5)
        out += 1
        out *= 0.5
        self.saved = (out,)
        return out

    def backward(self, grad):
        (out,) = self.saved
        return grad * out * (1 - out)


class Tanh(Function):
    __slots__ = ()

    def forward(self, a):
        out = xp.tanh(a)
        self.saved = (out,)
        return out

    def backward(self, grad):
        (out,) = self.saved
        return grad * (1 - out * out)


class Relu(Function):
    __slots__ = ()

    def forward(self, a):
        out = xp.maximum(a, 0)
        self.saved = (out,)
        return out

    def backward(self, grad):
        return grad * (self.saved[0] > 0)


class LeakyRelu(Function):
    __slots__ = ()

    def forward(self, a, negative_slope=0.01):
        positive = a > 0
        self.saved = (positive, negative_slope)
        return xp.where(positive, a, a * negative_slope)

    def backward(self, grad):
        positive, slope = self.saved
        return xp.where(positive, grad, grad * slope)


class Elu(Function):
    __slots__ = ()

    def forward(self, a, alpha=1.0):
        positive = a > 0
        out = xp.where(positive, a, alpha * xp.expm1(xp.minimum(a, 0)))
        self.saved = (positive, out, alpha)
        return out

    def backward(self, grad):
        positive, out, alpha = self.saved
        return xp.where(positive, grad, grad * (out + alpha))


class Softplus(Function):
    """log(1 + exp(beta x)) / beta, linear where beta x > threshold (as PyTorch)."""

    __slots__ = ()

    def forward(self, a, beta=1.0, threshold=20.0):
        scaled = a * beta
        linear = scaled > threshold
        out = xp.where(linear, a, xp.logaddexp(0, scaled) / beta)
        self.saved = (scaled, linear)
        return out.astype(a.dtype, copy=False)

    def backward(self, grad):
        scaled, linear = self.saved
        sig = 0.5 * (1 + xp.tanh(0.5 * scaled))
        return xp.where(linear, grad, grad * sig)


# ---------------------------------------------------------------------- functions


def _const(x):
    return x.data if isinstance(x, Tensor) else x


def add(a, b):
    return Add.apply(a, b)


def sub(a, b):
    return Sub.apply(a, b)


def mul(a, b):
    return Mul.apply(a, b)


def div(a, b):
    return Div.apply(a, b)


def pow(a, b):  # noqa: A001 - PyTorch's name
    return Pow.apply(a, b)


def neg(a):
    return Neg.apply(a)


def exp(a):
    return Exp.apply(a)


def log(a):
    return Log.apply(a)


def sqrt(a):
    return Sqrt.apply(a)


def abs(a):  # noqa: A001 - PyTorch's name
    return Abs.apply(a)


def maximum(a, b):
    return Maximum.apply(a, b)


def minimum(a, b):
    return Minimum.apply(a, b)


def clamp(a, min=None, max=None):  # noqa: A002 - PyTorch's argument names
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    return Clamp.apply(a, min=_const(min), max=_const(max))


clip = clamp


def where(condition, a, b):
    condition = _const(condition)
    if condition.dtype != bool:
        raise TypeError(f"where: condition must be a boolean tensor, got dtype {condition.dtype}")
    return Where.apply(condition, a, b)


def sigmoid(a):
    return Sigmoid.apply(a)


def tanh(a):
    return Tanh.apply(a)


def relu(a):
    return Relu.apply(a)


def leaky_relu(a, negative_slope=0.01):
    return LeakyRelu.apply(a, negative_slope=negative_slope)


def elu(a, alpha=1.0):
    return Elu.apply(a, alpha=alpha)


def softplus(a, beta=1.0, threshold=20.0):
    return Softplus.apply(a, beta=beta, threshold=threshold)


def square(a):
    return Mul.apply(a, a)


def clone(a):
    return Clone.apply(a)


def to_dtype(a, dtype):
    """The tensor in another dtype (differentiable between floating dtypes)."""
    dtype = xp.dtype(dtype)
    if a.data.dtype == dtype:
        return a
    if dtype.kind != "f":
        return Tensor._from_op(a.data.astype(dtype), None)
    return Cast.apply(a, dtype=dtype)


# comparisons: no gradient, boolean results
def eq(a, b):
    return Tensor._from_op(_const(a) == _const(b), None)


def ne(a, b):
    return Tensor._from_op(_const(a) != _const(b), None)


def lt(a, b):
    return Tensor._from_op(_const(a) < _const(b), None)


def le(a, b):
    return Tensor._from_op(_const(a) <= _const(b), None)


def gt(a, b):
    return Tensor._from_op(_const(a) > _const(b), None)


def ge(a, b):
    return Tensor._from_op(_const(a) >= _const(b), None)


def sign(a):
    return Tensor._from_op(xp.sign(_const(a)), None)


def isnan(a):
    return Tensor._from_op(xp.isnan(_const(a)), None)


def isfinite(a):
    return Tensor._from_op(xp.isfinite(_const(a)), None)
