"""The few ``tf.math`` functions the course notes call (``tf.math.exp(-0.05 * epoch)`` in a
learning-rate schedule): on a gradlab Tensor they are gradlab ops; on numbers they return a
float32 NumPy scalar, as a TensorFlow scalar would convert."""

from __future__ import annotations

import numpy as np

from gradlab.ops import elementwise as E
from gradlab.tensor import Tensor


def _apply(op, fn, x):
    if isinstance(x, Tensor):
        return op(x)
    return np.float32(fn(np.float32(x))) if np.ndim(x) == 0 else fn(np.asarray(x, np.float32))


def exp(x, name=None):
    return _apply(E.exp, np.exp, x)


def log(x, name=None):
    return _apply(E.log, np.log, x)


def sqrt(x, name=None):
    return _apply(E.sqrt, np.sqrt, x)


def abs(x, name=None):  # noqa: A001 - tf.math's name
    return _apply(E.abs, np.abs, x)


def square(x, name=None):
    return _apply(lambda t: t * t, np.square, x)


def cos(x, name=None):
    if isinstance(x, Tensor):
        raise NotImplementedError("tf.math.cos on Tensors is not supported")
    return _apply(None, np.cos, x)


def pow(x, y, name=None):  # noqa: A001 - tf.math's name
    if isinstance(x, Tensor):
        return x**y
    return np.float32(np.power(np.float32(x), np.float32(y)))
