"""Weight initializers, as ``keras.initializers`` (names, arguments and distributions).

An initializer is called as ``init(shape, dtype)`` and returns a NumPy array. Fans follow
Keras's layouts: a Dense kernel (in, out) has fan_in = in, fan_out = out; a Conv2D kernel
(kh, kw, in, out) has fan_in = kh*kw*in, fan_out = kh*kw*out. Randomness comes from gradlab's
generator (``gradlab.manual_seed``), or from ``seed`` when one is given.
"""

from __future__ import annotations

import math

import numpy as np

from gradlab.backend import default_generator
from gradlab.keras.backend import floatx


def compute_fans(shape) -> tuple[float, float]:
    """(fan_in, fan_out) of a weight of ``shape`` in Keras's layouts."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    receptive = math.prod(shape[:-2])
    return float(shape[-2] * receptive), float(shape[-1] * receptive)


class Initializer:
    """Base class: ``__call__(shape, dtype=None) -> np.ndarray``."""

    def __init__(self, seed=None):
        self.seed = seed
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def generator(self) -> np.random.Generator:
        return self._rng if self._rng is not None else default_generator()

    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self) -> dict:
        return {"seed": self.seed} if self.seed is not None else {}


def _dtype(dtype):
    return np.dtype(dtype or floatx())


class Zeros(Initializer):
    def __call__(self, shape, dtype=None):
        return np.zeros(shape, dtype=_dtype(dtype))


class Ones(Initializer):
    def __call__(self, shape, dtype=None):
        return np.ones(shape, dtype=_dtype(dtype))


class Constant(Initializer):
    def __init__(self, value=0.0):
        super().__init__()
        self.value = value

    def __call__(self, shape, dtype=None):
        return np.full(shape, self.value, dtype=_dtype(dtype))


class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None):
        return self.generator().uniform(self.minval, self.maxval, shape).astype(_dtype(dtype))


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        return self.generator().normal(self.mean, self.stddev, shape).astype(_dtype(dtype))


def _truncated_normal(rng, mean, stddev, shape):
    """Normal samples redrawn until within two standard deviations of the mean."""
    out = rng.normal(0.0, 1.0, shape)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = rng.normal(0.0, 1.0, int(bad.sum()))
        bad = np.abs(out) > 2.0
    return mean + stddev * out


class TruncatedNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        out = _truncated_normal(self.generator(), self.mean, self.stddev, shape)
        return out.astype(_dtype(dtype))


class VarianceScaling(Initializer):
    """scale / n with n = fan_in, fan_out or their mean (``mode``), drawn from a truncated
    normal (std corrected by 0.8796, as Keras), a normal, or a uniform of that variance."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        if scale <= 0.0:
            raise ValueError(f"VarianceScaling: scale must be positive, got {scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: mode must be fan_in/fan_out/fan_avg, got {mode!r}")
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(f"VarianceScaling: unknown distribution {distribution!r}")
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        rng = self.generator()
        if self.distribution == "truncated_normal":
            out = _truncated_normal(rng, 0.0, math.sqrt(scale) / 0.87962566103423978, shape)
        elif self.distribution == "untruncated_normal":
            out = rng.normal(0.0, math.sqrt(scale), shape)
        else:
            limit = math.sqrt(3.0 * scale)
            out = rng.uniform(-limit, limit, shape)
        return out.astype(_dtype(dtype))


class GlorotUniform(VarianceScaling):
    """U(-l, l) with l = sqrt(6 / (fan_in + fan_out)): Keras's default kernel initializer."""

    def __init__(self, seed=None):
        super().__init__(1.0, "fan_avg", "uniform", seed)


class GlorotNormal(VarianceScaling):
    def __init__(self, seed=None):
        super().__init__(1.0, "fan_avg", "truncated_normal", seed)


class HeNormal(VarianceScaling):
    def __init__(self, seed=None):
        super().__init__(2.0, "fan_in", "truncated_normal", seed)


class HeUniform(VarianceScaling):
    def __init__(self, seed=None):
        super().__init__(2.0, "fan_in", "uniform", seed)


class LecunNormal(VarianceScaling):
    def __init__(self, seed=None):
        super().__init__(1.0, "fan_in", "truncated_normal", seed)


class LecunUniform(VarianceScaling):
    def __init__(self, seed=None):
        super().__init__(1.0, "fan_in", "uniform", seed)


class Orthogonal(Initializer):
    """A (scaled) orthogonal matrix from the QR decomposition of a normal sample."""

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        rows = math.prod(shape[:-1])
        cols = shape[-1]
        flat = (max(rows, cols), min(rows, cols))
        a = self.generator().normal(0.0, 1.0, flat)
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(_dtype(dtype))


class Identity(Initializer):
    def __init__(self, gain=1.0):
        super().__init__()
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError(f"Identity initializer needs a 2-D shape, got {tuple(shape)}")
        return (self.gain * np.eye(*shape)).astype(_dtype(dtype))


_ALIASES = {
    "zeros": Zeros,
    "ones": Ones,
    "constant": Constant,
    "uniform": RandomUniform,
    "random_uniform": RandomUniform,
    "normal": RandomNormal,
    "random_normal": RandomNormal,
    "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_normal": HeNormal,
    "he_uniform": HeUniform,
    "lecun_normal": LecunNormal,
    "lecun_uniform": LecunUniform,
    "orthogonal": Orthogonal,
    "identity": Identity,
}


def get(identifier) -> Initializer:
    """A name ("glorot_uniform", "he_normal", "zeros", ...), an Initializer, a class, or a
    callable ``fn(shape, dtype)``."""
    if isinstance(identifier, str):
        key = identifier if identifier in _ALIASES else _snake(identifier)
        if key not in _ALIASES:
            raise ValueError(
                f"Unknown initializer {identifier!r}; expected one of {sorted(_ALIASES)}"
            )
        return _ALIASES[key]()
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret initializer {identifier!r}")


def _snake(name: str) -> str:
    from gradlab.keras.backend import to_snake_case

    return to_snake_case(name)


# Keras's function-style aliases
zeros, ones, glorot_uniform, glorot_normal = Zeros, Ones, GlorotUniform, GlorotNormal
he_normal, he_uniform, orthogonal = HeNormal, HeUniform, Orthogonal
