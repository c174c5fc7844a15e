"""Activation primitives: sigmoid, tanh, relu, leaky_relu, elu, softplus, selu, gelu, silu,
prelu and the perceptron's step (forward and backward side by side; gradients at kinks as
PyTorch: relu'(0) = 0, leaky_relu and elu take the negative branch at 0). Their module forms
live in :mod:`gradlab.nn.activations`."""

from __future__ import annotations

import math

import numpy as np

from gradlab._fast.buffers import zeros_like_layout
from gradlab.autograd import Function
from gradlab.backend import array_module
from gradlab.ops.special import erf_array

__all__ = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus"]


class Sigmoid(Function):
    __slots__ = ()

    def forward(self, a):
        # sigma(x) = (1 + tanh(x / 2)) / 2: stable for large |x| and faster than exp here.
        xp = array_module(a)
        out = xp.tanh(a * 0.5)
        out += 1
        out *= 0.5
        self.saved = (out,)
        return out

    def backward(self, grad):
        (out,) = self.saved
        return grad * out * (1 - out)

    def backward_graph(self, grad):  # (see gradlab.autograd_graph)
        out = self.output()
        return grad * out * (1 - out)


class Tanh(Function):
    __slots__ = ()

    def forward(self, a):
        xp = array_module(a)
        out = xp.tanh(a)
        self.saved = (out,)
        return out

    def backward(self, grad):
        (out,) = self.saved
        return grad * (1 - out * out)

    def backward_graph(self, grad):
        out = self.output()
        return grad * (1 - out * out)


def relu_values(a, out=None):
    """max(a, 0) as an array, into ``out`` if given: against an array of zeros with ``a``'s
    layout where there is one (:func:`gradlab._fast.buffers.zeros_like_layout`)."""
    xp = array_module(a)
    # (a CPU speed-up: NumPy arrays only)
    zeros = zeros_like_layout(a) if type(a) is np.ndarray and a.dtype.kind == "f" else None
    return xp.maximum(a, 0 if zeros is None else zeros, out=out)


class Relu(Function):
    __slots__ = ()

    def forward(self, a):
        out = relu_values(a)
        # The mask, made while ``out`` is in cache, makes backward one multiply.
        self.saved = (out > 0,)
        return out

    def backward(self, grad):
        return grad * self.saved[0]

    backward_graph = backward  # the mask is piecewise constant


class LeakyRelu(Function):
    __slots__ = ()

    def forward(self, a, negative_slope=0.01):
        xp = array_module(a)
        positive = a > 0
        self.saved = (positive, negative_slope)
        return xp.where(positive, a, a * negative_slope)

    def backward(self, grad):
        xp = array_module(grad)
        positive, slope = self.saved
        return xp.where(positive, grad, grad * slope)

    def backward_graph(self, grad):
        xp = array_module(grad)
        positive, slope = self.saved
        return grad * xp.where(positive, 1.0, slope).astype(grad.dtype)


class Elu(Function):
    __slots__ = ()

    def forward(self, a, alpha=1.0):
        xp = array_module(a)
        positive = a > 0
        out = xp.where(positive, a, alpha * xp.expm1(xp.minimum(a, 0)))
        self.saved = (positive, out, alpha)
        return out

    def backward(self, grad):
        xp = array_module(grad)
        positive, out, alpha = self.saved
        return xp.where(positive, grad, grad * (out + alpha))

    def backward_graph(self, grad):
        from gradlab.ops.elementwise import where

        positive, _, alpha = self.saved
        return where(positive, grad, grad * (self.output() + alpha))


class Softplus(Function):
    """log(1 + exp(beta x)) / beta, linear where beta x > threshold (as PyTorch)."""

    __slots__ = ()

    def forward(self, a, beta=1.0, threshold=20.0):
        xp = array_module(a)
        scaled = a * beta
        linear = scaled > threshold
        out = xp.where(linear, a, xp.logaddexp(0, scaled) / beta)
        self.saved = (scaled, linear, beta, a)  # a: read by backward_graph
        return out.astype(a.dtype, copy=False)

    def backward(self, grad):
        xp = array_module(grad)
        scaled, linear, _, _ = self.saved
        sig = 0.5 * (1 + xp.tanh(0.5 * scaled))
        return xp.where(linear, grad, grad * sig)

    def backward_graph(self, grad):
        from gradlab.ops.elementwise import where

        _, linear, beta, _ = self.saved
        return where(linear, grad, grad * sigmoid(self.inputs[0] * beta))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_GELU_TANH_C = math.sqrt(2 / math.pi)
_INV_SQRT2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


class Selu(Function):
    __slots__ = ()

    def forward(self, a):
        xp = array_module(a)
        positive = a > 0
        negative_part = (_SELU_SCALE * _SELU_ALPHA) * xp.expm1(xp.minimum(a, 0))
        out = xp.where(positive, _SELU_SCALE * a, negative_part).astype(a.dtype, copy=False)
        self.saved = (positive, negative_part)
        return out

    def backward(self, grad):
        xp = array_module(grad)
        positive, negative_part = self.saved
        return xp.where(
            positive, grad * _SELU_SCALE, grad * (negative_part + _SELU_SCALE * _SELU_ALPHA)
        )

    def composite(self, a):  # the forward in primitive ops, for create_graph
        return elu(a, alpha=_SELU_ALPHA) * _SELU_SCALE


class Gelu(Function):
    """x·Φ(x) (``approximate='none'``) or PyTorch's tanh approximation (``'tanh'``)."""

    __slots__ = ()

    def forward(self, a, approximate="none"):
        xp = array_module(a)
        if approximate == "tanh":
            t = xp.tanh(_GELU_TANH_C * (a + 0.044715 * a * a * a))
            self.saved = (a, t, approximate)
            return 0.5 * a * (1 + t)
        cdf = erf_array(a * _INV_SQRT2)
        cdf += 1
        cdf *= 0.5
        self.saved = (a, cdf, approximate)
        return a * cdf

    def backward(self, grad):
        xp = array_module(grad)
        a, value, approximate = self.saved
        if approximate == "tanh":
            inner = _GELU_TANH_C * (1 + 3 * 0.044715 * a * a)
            return grad * (0.5 * (1 + value) + 0.5 * a * (1 - value * value) * inner)
        return grad * (value + a * _INV_SQRT_2PI * xp.exp(-0.5 * a * a))

    def composite(self, a):  # the forward in primitive ops, for create_graph
        from gradlab.ops.special import erf

        if self.saved[2] == "tanh":
            return 0.5 * a * (1 + (_GELU_TANH_C * (a + 0.044715 * a * a * a)).tanh())
        return a * (0.5 * (1 + erf(a * _INV_SQRT2)))


class Silu(Function):
    __slots__ = ()

    def forward(self, a):
        xp = array_module(a)
        sig = xp.tanh(0.5 * a)
        sig += 1
        sig *= 0.5
        self.saved = (a, sig)
        return a * sig

    def backward(self, grad):
        a, sig = self.saved
        return grad * sig * (1 + a * (1 - sig))

    def composite(self, a):  # the forward in primitive ops, for create_graph
        return a * a.sigmoid()


class Prelu(Function):
    """max(0, x) + w·min(0, x); w has one value or one per channel (dim 1 of the input)."""

    __slots__ = ()

    def forward(self, a, weight):
        xp = array_module(a)
        w = weight
        if weight.size > 1 and a.ndim >= 2:
            w = weight.reshape((1, weight.size) + (1,) * (a.ndim - 2))
        positive = a > 0
        self.saved = (a, w, positive, weight.shape)
        return xp.where(positive, a, w * a).astype(a.dtype, copy=False)

    def backward(self, grad):
        xp = array_module(grad)
        a, w, positive, w_shape = self.saved
        grad_a = xp.where(positive, grad, grad * w) if self.needs_input_grad(0) else None
        grad_w = None
        if self.needs_input_grad(1):
            per_element = xp.where(positive, 0, grad * a)
            if w.ndim > 1:  # a per-channel weight: sum over every dim but the channel dim
                per_element = per_element.sum(axis=(0, *range(2, a.ndim)))
            else:
                per_element = per_element.sum()
            grad_w = per_element.reshape(w_shape)
        return grad_a, grad_w

    def composite(self, a, weight):  # the forward in primitive ops, for create_graph
        from gradlab.ops.elementwise import where
        from gradlab.tensor import Tensor

        _, w, positive, _ = self.saved
        if not hasattr(weight, "_data"):
            weight = Tensor(weight)
        return where(positive, a, weight.reshape(w.shape) * a)


class Step(Function):
    """The perceptron's Heaviside step: 1 where x > threshold, else 0; gradient 0."""

    __slots__ = ()

    def forward(self, a, threshold=0.0):
        self.saved = (a.shape, a.dtype)
        return (a > threshold).astype(a.dtype)

    def backward(self, grad):
        xp = array_module(grad)
        shape, dtype = self.saved
        return xp.zeros(shape, dtype=grad.dtype)

    def backward_graph(self, grad):  # zero, whatever grad is (see gradlab.autograd_graph)
        return grad * 0


# ---------------------------------------------------------------------- functions


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
