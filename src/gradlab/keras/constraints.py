"""Weight constraints, as ``keras.constraints``, applied by the optimizer after each update.

A constraint maps a weight array (NumPy) to its projected value: ``MaxNorm(3)`` rescales
every column (the weights into one unit, ``axis=0``) whose L2 norm exceeds 3 back to norm 3.
"""

from __future__ import annotations

import numpy as np


class Constraint:
    def __call__(self, w: np.ndarray) -> np.ndarray:
        return w

    def get_config(self) -> dict:
        return {}


class MaxNorm(Constraint):
    """w · clip(norm, 0, max_value) / (eps + norm), norms along ``axis`` (Keras's formula)."""

    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        norms = np.sqrt(np.sum(np.square(w), axis=self.axis, keepdims=True))
        desired = np.clip(norms, 0, self.max_value)
        return (w * (desired / (1e-7 + norms))).astype(w.dtype)


class NonNeg(Constraint):
    def __call__(self, w):
        return (w * (w >= 0.0)).astype(w.dtype)


class UnitNorm(Constraint):
    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        norms = np.sqrt(np.sum(np.square(w), axis=self.axis, keepdims=True))
        return (w / (1e-7 + norms)).astype(w.dtype)


class MinMaxNorm(Constraint):
    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        norms = np.sqrt(np.sum(np.square(w), axis=self.axis, keepdims=True))
        desired = self.rate * np.clip(norms, self.min_value, self.max_value)
        desired = desired + (1 - self.rate) * norms
        return (w * (desired / (1e-7 + norms))).astype(w.dtype)


max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm


def get(identifier):
    if identifier is None:
        return None
    if isinstance(identifier, str):
        table = {
            "max_norm": MaxNorm,
            "non_neg": NonNeg,
            "unit_norm": UnitNorm,
            "min_max_norm": MinMaxNorm,
        }
        if identifier not in table:
            raise ValueError(f"Unknown constraint {identifier!r}; expected one of {sorted(table)}")
        return table[identifier]()
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret constraint {identifier!r}")
