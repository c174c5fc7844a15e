"""gradlab.nn.init: weight initializers, as ``torch.nn.init``.

Each ``*_`` function fills a Tensor's ``.data`` in place (outside the graph) and returns the
tensor. Randomness comes from ``generator`` (a ``numpy.random.Generator``), else gradlab's
default generator. Fans follow PyTorch: for a weight of shape (out, in, *kernel),
``fan_in = in * prod(kernel)`` and ``fan_out = out * prod(kernel)``.

Variances: Xavier (Glorot) ``gain**2 * 2 / (fan_in + fan_out)``; Kaiming (He)
``gain**2 / fan`` with ``gain = calculate_gain(nonlinearity, a)``, so ``2 / fan_in`` for ReLU.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from gradlab.backend import array_module, backend_of, default_generator, to_backend
from gradlab.tensor import Tensor

__all__ = [
    "calculate_gain", "uniform_", "normal_", "constant_", "zeros_", "ones_", "eye_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
    "trunc_normal_", "orthogonal_",
]  # fmt: skip

_LINEAR_GAIN_ONE = (
    "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
    "conv_transpose3d", "sigmoid",
)  # fmt: skip


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The recommended gain for ``nonlinearity``, as PyTorch's table.

    linear/conv/sigmoid 1, tanh 5/3, relu sqrt(2), leaky_relu sqrt(2 / (1 + slope**2)) with
    slope ``param`` (default 0.01), selu 3/4.
    """
    if nonlinearity in _LINEAR_GAIN_ONE:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _array(tensor):
    """The array an initializer writes into: a Tensor's data, or an ndarray itself."""
    return tensor._data if isinstance(tensor, Tensor) else tensor


def _rng(generator):
    return default_generator() if generator is None else generator


def _fill(tensor, values):
    """Write ``values`` (a number, or host samples from the generator) into the tensor's
    array, copying them to its device."""
    array = _array(tensor)
    if hasattr(values, "astype"):
        values = to_backend(values.astype(array.dtype, copy=False), backend_of(array))
    array[...] = values
    return tensor


def _calculate_fan_in_and_fan_out(tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel); needs 2 or more dims."""
    shape = _array(tensor).shape
    if len(shape) < 2:
        raise ValueError(
            f"fan in and fan out can not be computed for a tensor with fewer than 2 "
            f"dimensions, got shape {shape}"
        )
    receptive = 1
    for s in shape[2:]:
        receptive *= s
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode {mode!r} is not supported, expected 'fan_in' or 'fan_out'")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a: float = 0.0, b: float = 1.0, generator=None):
    """Fill with samples of U(a, b)."""
    return _fill(tensor, _rng(generator).uniform(a, b, _array(tensor).shape))


def normal_(tensor, mean: float = 0.0, std: float = 1.0, generator=None):
    """Fill with samples of N(mean, std**2)."""
    return _fill(tensor, _rng(generator).normal(mean, std, _array(tensor).shape))


def constant_(tensor, val: float):
    _array(tensor)[...] = val
    return tensor


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def eye_(tensor):
    """Fill a 2-D tensor with the identity (ones on the main diagonal)."""
    xp = array_module(tensor)
    array = _array(tensor)
    if array.ndim != 2:
        raise ValueError(f"eye_: only 2-D tensors are supported, got shape {array.shape}")
    array[...] = xp.eye(*array.shape, dtype=array.dtype)
    return tensor


def xavier_uniform_(tensor, gain: float = 1.0, generator=None):
    """U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain: float = 1.0, generator=None):
    """N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor, a, mode, nonlinearity) -> float | None:
    if 0 in _array(tensor).shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator=None
):
    """U(-b, b) with b = gain * sqrt(3 / fan) (He et al. 2015); ``a`` is the leaky slope."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator=None
):
    """N(0, std**2) with std = gain / sqrt(fan) (He et al. 2015)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std, generator)


def trunc_normal_(
    tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0, generator=None
):
    """N(mean, std**2) restricted to [a, b] (a and b are absolute bounds, as PyTorch).

    Rejection sampling: exact, and cheap while the interval holds a fair share of the mass
    (on the host, where the generator draws; the result is copied to the tensor's device).
    """
    if not a < b:
        raise ValueError(f"trunc_normal_: expected a < b, got a={a}, b={b}")
    if std <= 0:
        raise ValueError(f"trunc_normal_: std must be positive, got {std}")

    def cdf(x):
        return 0.5 * (1.0 + math.erf((x - mean) / (std * math.sqrt(2.0))))

    mass = cdf(b) - cdf(a)
    if mass < 1e-4:
        raise ValueError(
            f"trunc_normal_: [a, b] = [{a}, {b}] holds only {mass:.2g} of N({mean}, {std}**2); "
            f"choose bounds nearer the mean"
        )
    rng = _rng(generator)
    array = _array(tensor)
    out = rng.normal(mean, std, array.size)
    bad = np.flatnonzero((out < a) | (out > b))
    while bad.size:
        out[bad] = rng.normal(mean, std, bad.size)
        bad = bad[(out[bad] < a) | (out[bad] > b)]
    return _fill(tensor, out.reshape(array.shape))


def orthogonal_(tensor, gain: float = 1.0, generator=None):
    """A (semi-)orthogonal matrix from the QR decomposition of a Gaussian one (Saxe et al.).

    The tensor is viewed as (rows, numel // rows); rows or columns come out orthonormal, times
    ``gain``. The signs of R's diagonal fix Q so that it is uniformly distributed. (Computed
    on the host, where the generator draws; the result is copied to the tensor's device.)
    """
    array = _array(tensor)
    if array.ndim < 2:
        raise ValueError(
            f"orthogonal_: only tensors with 2 or more dimensions are supported, got shape "
            f"{array.shape}"
        )
    if array.size == 0:
        return tensor
    rows = array.shape[0]
    cols = array.size // rows
    flat = _rng(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(array.shape))
