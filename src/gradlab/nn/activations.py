"""Activation functions, as modules (``nn.ReLU()``) and functions (``F.relu(x)``), PyTorch's
names and defaults; plus ``Step``, the perceptron's Heaviside activation.

Every activation keeps its input's shape: input (*), output (*). ``inplace`` arguments are
accepted for PyTorch's signatures; gradlab never modifies the input. Sigmoid, tanh, ReLU,
leaky ReLU, ELU and softplus are the primitives of :mod:`gradlab.ops.elementwise`; softmax and
log-softmax those of :mod:`gradlab.ops.softmax`; SELU, GELU, SiLU, PReLU and Step are fused
primitives here.

GELU's exact form uses :func:`gradlab.ops.special.erf` (NumPy has no erf).
"""

from __future__ import annotations

import math

import numpy as np

from gradlab.autograd import Function
from gradlab.backend import get_default_dtype, xp
from gradlab.nn.module import Module, Parameter
from gradlab.ops import activation as _ew
from gradlab.ops.softmax import log_softmax, softmax
from gradlab.ops.special import erf, erf_array
from gradlab.tensor import Tensor

__all__ = [
    "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "PReLU", "ELU", "SELU", "GELU", "SiLU", "Softplus",
    "Softmax", "LogSoftmax", "Step",
    "sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "selu", "gelu", "silu", "softplus",
    "softmax", "log_softmax", "step", "erf",
]  # fmt: skip

# ---------------------------------------------------------------------- fused primitives

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_GELU_TANH_C = math.sqrt(2 / math.pi)
_INV_SQRT2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


class Selu(Function):
    __slots__ = ()

    def forward(self, a):
        positive = a > 0
        negative_part = (_SELU_SCALE * _SELU_ALPHA) * xp.expm1(xp.minimum(a, 0))
        out = xp.where(positive, _SELU_SCALE * a, negative_part).astype(a.dtype, copy=False)
        self.saved = (positive, negative_part)
        return out

    def backward(self, grad):
        positive, negative_part = self.saved
        return xp.where(
            positive, grad * _SELU_SCALE, grad * (negative_part + _SELU_SCALE * _SELU_ALPHA)
        )

    def composite(self, a):  # the forward in primitive ops, for create_graph
        return _ew.elu(a, alpha=_SELU_ALPHA) * _SELU_SCALE


class Gelu(Function):
    """x·Φ(x) (``approximate='none'``) or PyTorch's tanh approximation (``'tanh'``)."""

    __slots__ = ()

    def forward(self, a, approximate="none"):
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
        a, value, approximate = self.saved
        if approximate == "tanh":
            inner = _GELU_TANH_C * (1 + 3 * 0.044715 * a * a)
            return grad * (0.5 * (1 + value) + 0.5 * a * (1 - value * value) * inner)
        return grad * (value + a * _INV_SQRT_2PI * xp.exp(-0.5 * a * a))

    def composite(self, a):  # the forward in primitive ops, for create_graph
        if self.saved[2] == "tanh":
            return 0.5 * a * (1 + (_GELU_TANH_C * (a + 0.044715 * a * a * a)).tanh())
        return a * (0.5 * (1 + erf(a * _INV_SQRT2)))


class Silu(Function):
    __slots__ = ()

    def forward(self, a):
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
        w = weight
        if weight.size > 1 and a.ndim >= 2:
            w = weight.reshape((1, weight.size) + (1,) * (a.ndim - 2))
        positive = a > 0
        self.saved = (a, w, positive, weight.shape)
        return xp.where(positive, a, w * a).astype(a.dtype, copy=False)

    def backward(self, grad):
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

        _, w, positive, _ = self.saved
        if not hasattr(weight, "_data"):
            weight = Tensor(weight)
        return where(positive, a, weight.reshape(w.shape) * a)


class StepFn(Function):
    __slots__ = ()

    def forward(self, a, threshold=0.0):
        self.saved = (a.shape, a.dtype)
        return (a > threshold).astype(a.dtype)

    def backward(self, grad):
        shape, dtype = self.saved
        return xp.zeros(shape, dtype=grad.dtype)

    def backward_graph(self, grad):  # zero, whatever grad is (see gradlab.autograd_graph)
        return grad * 0


# ---------------------------------------------------------------------- functions


def sigmoid(input):  # noqa: A002
    """1 / (1 + exp(-x)), computed as (1 + tanh(x/2)) / 2."""
    return _ew.sigmoid(input)


def tanh(input):  # noqa: A002
    return _ew.tanh(input)


def relu(input, inplace: bool = False):  # noqa: A002
    """max(0, x); the gradient at 0 is 0 (as PyTorch)."""
    return _ew.relu(input)


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False):  # noqa: A002
    return _ew.leaky_relu(input, negative_slope=negative_slope)


def prelu(input, weight):  # noqa: A002
    """max(0, x) + weight·min(0, x); weight (1,) or (C,) for input (N, C, *)."""
    w = weight.shape
    channels = input.shape[1] if input.ndim >= 2 else 1
    if len(w) != 1 or w[0] not in (1, channels):
        raise ValueError(
            f"prelu: weight has shape {tuple(w)}, expected (1,) or ({channels},) for input of "
            f"shape {tuple(input.shape)} (one weight per channel, dim 1)"
        )
    return Prelu.apply(input, weight)


def elu(input, alpha: float = 1.0, inplace: bool = False):  # noqa: A002
    return _ew.elu(input, alpha=alpha)


def selu(input, inplace: bool = False):  # noqa: A002
    """scale·ELU(x, alpha) with PyTorch's constants (alpha ≈ 1.6733, scale ≈ 1.0507)."""
    return Selu.apply(input)


def gelu(input, approximate: str = "none"):  # noqa: A002
    """x·Φ(x), Φ the standard normal CDF; ``approximate='tanh'`` uses
    0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))), as PyTorch."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return Gelu.apply(input, approximate=approximate)


def silu(input, inplace: bool = False):  # noqa: A002
    """x·sigmoid(x) (SiLU, also called Swish)."""
    return Silu.apply(input)


def softplus(input, beta: float = 1.0, threshold: float = 20.0):  # noqa: A002
    """log(1 + exp(beta·x)) / beta; x itself where beta·x > threshold."""
    return _ew.softplus(input, beta=beta, threshold=threshold)


def step(input, threshold: float = 0.0):  # noqa: A002
    """The Heaviside step: 1 where x > threshold, else 0 (so step(0) = 0), in x's dtype.

    Its gradient is zero everywhere (and undefined at the threshold): backpropagation through
    a step learns nothing. The perceptron learns by its own rule, w += lr·(y − ŷ)·x, not by
    backprop; the graph stays connected so ``backward()`` runs and gives zeros.
    """
    return StepFn.apply(input, threshold=threshold)


# ---------------------------------------------------------------------- modules


class _Elementwise(Module):
    """An activation module without parameters: forward calls ``self._fn(x, **settings)``."""

    _settings: tuple = ()

    def forward(self, input):  # noqa: A002
        if not self._settings:
            return self._fn(input)
        return self._fn(input, **{k: getattr(self, k) for k in self._settings})

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={getattr(self, k)!r}" for k in self._settings)


class Sigmoid(_Elementwise):
    """σ(x) = 1 / (1 + exp(−x)). Input (*), output (*)."""

    _fn = staticmethod(sigmoid)


class Tanh(_Elementwise):
    """tanh(x). Input (*), output (*)."""

    _fn = staticmethod(tanh)


class ReLU(_Elementwise):
    """max(0, x). Input (*), output (*)."""

    _fn = staticmethod(relu)

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace


class LeakyReLU(_Elementwise):
    """x where x > 0, negative_slope·x elsewhere. Input (*), output (*)."""

    _fn = staticmethod(leaky_relu)
    _settings = ("negative_slope",)

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace


class ELU(_Elementwise):
    """x where x > 0, alpha·(exp(x) − 1) elsewhere. Input (*), output (*)."""

    _fn = staticmethod(elu)
    _settings = ("alpha",)

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace


class SELU(_Elementwise):
    """Self-normalizing ELU: scale·ELU(x, alpha), fixed constants. Input (*), output (*)."""

    _fn = staticmethod(selu)

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace


class GELU(_Elementwise):
    """x·Φ(x) (exact, via :func:`erf`) or its tanh approximation. Input (*), output (*)."""

    _fn = staticmethod(gelu)
    _settings = ("approximate",)

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate


class SiLU(_Elementwise):
    """x·σ(x) (Swish). Input (*), output (*)."""

    _fn = staticmethod(silu)

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace


class Softplus(_Elementwise):
    """log(1 + exp(beta·x)) / beta, linear above threshold. Input (*), output (*)."""

    _fn = staticmethod(softplus)
    _settings = ("beta", "threshold")

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold


class Softmax(_Elementwise):
    """Softmax along ``dim`` (None: PyTorch's legacy choice, with a warning). Input (*)."""

    _fn = staticmethod(softmax)
    _settings = ("dim",)

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim


class LogSoftmax(_Elementwise):
    """log(softmax(x)) along ``dim``, computed stably. Input (*), output (*)."""

    _fn = staticmethod(log_softmax)
    _settings = ("dim",)

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim


class Step(_Elementwise):
    """Heaviside step, 1 where x > threshold else 0; zero gradient everywhere (see
    :func:`step`): for the perceptron, which learns by its own rule. Input (*), output (*)."""

    _fn = staticmethod(step)
    _settings = ("threshold",)

    def __init__(self, threshold: float = 0.0):
        super().__init__()
        self.threshold = threshold


class PReLU(Module):
    """max(0, x) + a·min(0, x) with a learnable ``weight`` a of shape (num_parameters,),
    initialized to ``init``; num_parameters is 1 or the channel count C of input (N, C, *)."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        dtype = np.dtype(dtype) if dtype is not None else get_default_dtype()
        self.weight = Parameter(xp.full((num_parameters,), init, dtype=dtype))

    def forward(self, input):  # noqa: A002
        return prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"
