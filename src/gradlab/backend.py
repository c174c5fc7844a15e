"""The array-module seam, the default dtype and the explicit random generator.

Ops never write ``np.`` on tensor data directly: they use ``backend.xp``, so a CuPy backend can
slot in later by swapping the module here. Randomness goes through one
``numpy.random.Generator`` (seeded by :func:`manual_seed`), never the global ``np.random`` state.
"""

from __future__ import annotations

import numpy as np

xp = np
"""The array module in use (NumPy today)."""

_default_dtype = np.dtype(np.float32)
_generator = np.random.default_rng()


def get_default_dtype() -> np.dtype:
    """The floating dtype that Python numbers, lists and factory functions get (float32)."""
    return _default_dtype


def set_default_dtype(dtype) -> None:
    """Set the default floating dtype; only float32 and float64 are accepted."""
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"set_default_dtype: expected float32 or float64, got {dtype}")
    _default_dtype = dtype


def manual_seed(seed: int) -> np.random.Generator:
    """Seed gradlab's generator (used by rand, randn, init and dropout) and return it."""
    global _generator
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed: expected an integer seed, got {seed!r}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def default_generator() -> np.random.Generator:
    """The generator that random functions use when none is passed."""
    return _generator


def get_rng_state() -> dict:
    """The default generator's state, as plain numbers (for checkpoints)."""
    return _generator.bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore a state returned by :func:`get_rng_state`."""
    _generator.bit_generator.state = state
