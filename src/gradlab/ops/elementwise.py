"""Elementwise primitives: arithmetic, exp/log, activations' building blocks, comparisons.

Every class is one differentiable op with ``forward`` and ``backward`` side by side. The
gradients are returned in the broadcast shape; the engine sums them back to each input's
shape. Gradients at kinks follow PyTorch (relu'(0) = 0, |x|'(0) = 0, ties of maximum and
minimum split the gradient in half, clamp passes the gradient at its bounds).
"""

from __future__ import annotations

import numpy as np

from gradlab.autograd import Function
from gradlab.backend import array_module
from gradlab.ops.promotion import promote_pair
from gradlab.tensor import Tensor

__all__ = [
    "add", "sub", "mul", "div", "pow", "neg", "exp", "log", "sqrt", "abs", "maximum",
    "minimum", "clamp", "clip", "where", "square", "clone", "to_dtype",
]  # fmt: skip

# ---------------------------------------------------------------------- arithmetic


class Add(Function):
    __slots__ = ()

    def forward(self, a, b):
        a, b = promote_pair(a, b)
        return a + b

    def backward(self, grad):
        return grad, grad

    backward_graph = backward  # (see gradlab.autograd_graph: the same formula on Tensors)


class Sub(Function):
    __slots__ = ()

    def forward(self, a, b):
        a, b = promote_pair(a, b)
        return a - b

    def backward(self, grad):
        return grad, -grad

    backward_graph = backward


class Mul(Function):
    __slots__ = ()

    def forward(self, a, b):
        a, b = promote_pair(a, b)
        self.saved = (a, b)
        return a * b

    def backward(self, grad):
        a, b = self.saved
        return (
            grad * b if self.needs_input_grad(0) else None,
            grad * a if self.needs_input_grad(1) else None,
        )

    def backward_graph(self, grad):
        a, b = self.inputs
        return (
            grad * b if self.needs_input_grad(0) else None,
            grad * a if self.needs_input_grad(1) else None,
        )


class Div(Function):
    __slots__ = ()

    def forward(self, a, b):
        a, b = promote_pair(a, b, floating=True)
        self.saved = (a, b)
        return a / b

    def backward(self, grad):
        a, b = self.saved
        grad_a = grad / b
        grad_b = -grad_a * a / b if self.needs_input_grad(1) else None
        return grad_a if self.needs_input_grad(0) else None, grad_b

    def backward_graph(self, grad):
        a, b = self.inputs
        grad_a = grad / b
        grad_b = -grad_a * a / b if self.needs_input_grad(1) else None
        return grad_a if self.needs_input_grad(0) else None, grad_b


class Pow(Function):
    """a ** b for a tensor base and a tensor or constant exponent."""

    __slots__ = ()

    def forward(self, a, b):
        a, b = promote_pair(a, b)
        out = a**b
        self.saved = (a, b, out)
        return out

    def backward(self, grad):
        xp = array_module(grad)
        a, b, out = self.saved
        grad_a = grad_b = None
        if self.needs_input_grad(0):
            grad_a = grad * b * a ** (b - 1)
        if self.needs_input_grad(1):
            # d(a^b)/db = a^b log a; PyTorch takes it as 0 where a == 0 (and b >= 0).
            with np.errstate(divide="ignore", invalid="ignore"):
                grad_b = grad * xp.where(a == 0, 0.0, out * xp.log(xp.where(a == 0, 1, a)))
        return grad_a, grad_b

    def backward_graph(self, grad):
        xp = array_module(grad)
        a, b = self.inputs
        grad_a = grad_b = None
        if self.needs_input_grad(0):
            grad_a = grad * b * a ** (b - 1)
        if self.needs_input_grad(1):
            out = self.output()
            zero = xp.asarray(_const(a) == 0)
            if isinstance(a, Tensor):
                log_a = log(where(zero, 1.0, a))
            else:  # a constant base: its log in the result's dtype, not the default one
                log_a = xp.log(xp.where(zero, 1, xp.asarray(a, dtype=out._data.dtype)))
            grad_b = grad * where(zero, 0.0, out * log_a)
        return grad_a, grad_b


class Neg(Function):
    __slots__ = ()

    def forward(self, a):
        return -a

    def backward(self, grad):
        return -grad

    backward_graph = backward


class Cast(Function):
    """Change the dtype; the gradient is cast back to the input's dtype."""

    __slots__ = ()

    def forward(self, a, dtype):
        self.saved = (a.dtype,)
        return a.astype(dtype)

    def backward(self, grad):
        return grad.astype(self.saved[0])

    def backward_graph(self, grad):
        return to_dtype(grad, self.saved[0])


class Clone(Function):
    __slots__ = ()

    def forward(self, a):
        return a.copy()

    def backward(self, grad):
        return grad

    backward_graph = backward


# ---------------------------------------------------------------------- transcendental


class Exp(Function):
    __slots__ = ()

    def forward(self, a):
        xp = array_module(a)
        out = xp.exp(a)
        self.saved = (out,)
        return out

    def backward(self, grad):
        return grad * self.saved[0]

    def backward_graph(self, grad):
        return grad * self.output()


class Log(Function):
    __slots__ = ()

    def forward(self, a):
        xp = array_module(a)
        self.saved = (a,)
        return xp.log(a)

    def backward(self, grad):
        return grad / self.saved[0]

    def backward_graph(self, grad):
        return grad / self.inputs[0]


class Sqrt(Function):
    __slots__ = ()

    def forward(self, a):
        xp = array_module(a)
        out = xp.sqrt(a)
        self.saved = (out,)
        return out

    def backward(self, grad):
        return grad / (2 * self.saved[0])

    def backward_graph(self, grad):
        return grad / (2 * self.output())


class Abs(Function):
    __slots__ = ()

    def forward(self, a):
        xp = array_module(a)
        self.saved = (a,)
        return xp.abs(a)

    def backward(self, grad):
        xp = array_module(grad)
        return grad * xp.sign(self.saved[0])

    def backward_graph(self, grad):
        xp = array_module(grad)
        return grad * xp.sign(self.saved[0])  # piecewise constant: no second derivative


# ---------------------------------------------------------------------- piecewise


class Maximum(Function):
    __slots__ = ()

    def forward(self, a, b):
        a, b = promote_pair(a, b)
        xp = array_module(a, b)
        self.saved = (a, b)
        return xp.maximum(a, b)

    def backward(self, grad):
        a, b = self.saved
        share = ((a > b) + 0.5 * (a == b)).astype(grad.dtype)  # ties split it, as PyTorch
        return grad * share, grad * (1 - share)

    backward_graph = backward  # the share is piecewise constant


class Minimum(Function):
    __slots__ = ()

    def forward(self, a, b):
        a, b = promote_pair(a, b)
        xp = array_module(a, b)
        self.saved = (a, b)
        return xp.minimum(a, b)

    def backward(self, grad):
        a, b = self.saved
        share = ((a < b) + 0.5 * (a == b)).astype(grad.dtype)
        return grad * share, grad * (1 - share)

    backward_graph = backward


class Clamp(Function):
    __slots__ = ()

    def forward(self, a, min=None, max=None):  # noqa: A002 - PyTorch's argument names
        xp = array_module(a)
        self.saved = (a, min, max)
        return xp.clip(a, min, max)

    def backward(self, grad):
        xp = array_module(grad)
        a, low, high = self.saved
        keep = xp.ones_like(a, dtype=bool)
        if low is not None:
            keep &= a >= low
        if high is not None:
            keep &= a <= high
        return grad * keep

    backward_graph = backward  # the mask is piecewise constant


class Where(Function):
    """where(condition, a, b): condition is a constant boolean array."""

    __slots__ = ()

    def forward(self, condition, a, b):
        xp = array_module(condition, a, b)
        self.saved = (condition,)
        a, b = promote_pair(a, b)
        return xp.where(condition, a, b)

    def backward(self, grad):
        xp = array_module(grad)
        (condition,) = self.saved
        zero = grad.dtype.type(0)
        return (
            None,
            xp.where(condition, grad, zero) if self.needs_input_grad(1) else None,
            xp.where(condition, zero, grad) if self.needs_input_grad(2) else None,
        )

    def backward_graph(self, grad):
        (condition,) = self.saved
        return (
            None,
            where(condition, grad, 0.0) if self.needs_input_grad(1) else None,
            where(condition, 0.0, grad) if self.needs_input_grad(2) else None,
        )


# ---------------------------------------------------------------------- functions


def _const(x):
    return x._data if isinstance(x, Tensor) else x


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


def square(a):
    return Mul.apply(a, a)


def clone(a):
    return Clone.apply(a)


def to_dtype(a, dtype):
    """The tensor in another dtype (differentiable between floating dtypes)."""
    dtype = np.dtype(dtype)
    if a._data.dtype == dtype:
        return a
    if dtype.kind != "f":
        return Tensor._from_op(a._data.astype(dtype), None)
    return Cast.apply(a, dtype=dtype)
