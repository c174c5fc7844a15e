"""Activations by name, as ``keras.activations``: ``get("relu")`` -> a function on Tensors.

Each is a gradlab op (or a composite of ops), so it shows in the graph and backpropagates.
"""

from __future__ import annotations

from gradlab.nn import functional as F
from gradlab.ops import activation as A
from gradlab.ops import elementwise as E
from gradlab.ops.softmax import log_softmax as _log_softmax
from gradlab.ops.softmax import softmax as _softmax


def linear(x):
    """The identity (Keras's ``activation=None``)."""
    return x


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return A.relu(x)
    out = A.leaky_relu(x - threshold, negative_slope) if negative_slope else A.relu(x - threshold)
    out = out + threshold if threshold else out
    return E.clamp(out, max=max_value) if max_value is not None else out


def relu6(x):
    return E.clamp(A.relu(x), max=6.0)


def sigmoid(x):
    return A.sigmoid(x)


def tanh(x):
    return A.tanh(x)


def softmax(x, axis=-1):
    return _softmax(x, axis)


def log_softmax(x, axis=-1):
    return _log_softmax(x, axis)


def elu(x, alpha=1.0):
    return A.elu(x, alpha)


def selu(x):
    return F.selu(x)


def gelu(x, approximate=False):
    return F.gelu(x, approximate="tanh" if approximate else "none")


def silu(x):
    return F.silu(x)


swish = silu


def softplus(x):
    return A.softplus(x)


def softsign(x):
    return x / (E.abs(x) + 1.0)


def exponential(x):
    return E.exp(x)


def leaky_relu(x, negative_slope=0.2):
    return A.leaky_relu(x, negative_slope)


def hard_sigmoid(x):
    """relu6(x + 3) / 6, as Keras 3."""
    return E.clamp(x * (1.0 / 6.0) + 0.5, 0.0, 1.0)


_BY_NAME = {
    f.__name__: f
    for f in (
        linear,
        relu,
        relu6,
        sigmoid,
        tanh,
        softmax,
        log_softmax,
        elu,
        selu,
        gelu,
        silu,
        softplus,
        softsign,
        exponential,
        leaky_relu,
        hard_sigmoid,
    )
}
_BY_NAME["swish"] = silu


def get(identifier):
    """A name ("relu"), None (linear) or a callable -> the activation function."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        if identifier not in _BY_NAME:
            raise ValueError(
                f"Unknown activation {identifier!r}; expected one of {sorted(_BY_NAME)}"
            )
        return _BY_NAME[identifier]
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret activation {identifier!r}: expected a name or callable")


def serialize(activation) -> str:
    return getattr(activation, "__name__", type(activation).__name__)


__all__ = [*sorted(_BY_NAME), "get", "serialize"]
