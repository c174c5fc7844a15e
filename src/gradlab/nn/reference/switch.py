"""The one setting that runs layers on the readable references instead of the fast paths.

``gradlab.use_reference_kernels(True)`` (or ``with gradlab.reference_kernels():``) makes every
layer with a fast path (RNN, LSTM, GRU and their cells, Conv1d/Conv2d, MaxPool2d, AvgPool2d,
AdaptiveAvgPool2d, cross-entropy and NLL, Sequential's fusion) compute with the references
of :mod:`gradlab.nn.reference`: a few lines of Tensor ops each, whose backward is autograd's,
so a learner can step through them and the graph shows every gate and window. The optional
compiled kernels (:mod:`gradlab._fast`, the optimizers' one-pass updates included) are held
off too: every update runs its NumPy reference. Values and
gradients equal the fast paths' to rounding (the tests compare them).

Tensors on a device other than the CPU always take the references: the fast paths are NumPy
code for host memory.
"""

from __future__ import annotations

import contextlib

from numpy import ndarray

from gradlab._fast import compiled
from gradlab.backend import backend_of

__all__ = ["use_reference_kernels", "are_reference_kernels_enabled", "reference_kernels"]

_enabled = False


def use_reference_kernels(mode: bool = True) -> None:
    """Run layers on the readable references (True) or on the fast paths (False, the default)."""
    global _enabled
    if not isinstance(mode, bool):
        raise TypeError(f"use_reference_kernels: expected True or False, got {mode!r}")
    _enabled = mode
    compiled.hold_off(mode)


def are_reference_kernels_enabled() -> bool:
    """Whether :func:`use_reference_kernels` is on."""
    return _enabled


@contextlib.contextmanager
def reference_kernels(mode: bool = True):
    """``with gradlab.reference_kernels(): ...`` runs the block on the references, then
    restores the previous setting."""
    global _enabled
    if not isinstance(mode, bool):
        raise TypeError(f"reference_kernels: expected True or False, got {mode!r}")
    previous, _enabled = _enabled, mode
    compiled.hold_off(mode)
    try:
        yield
    finally:
        _enabled = previous
        compiled.hold_off(previous)


def wants_reference(*values) -> bool:
    """Whether a layer should run its reference: the switch is on, or one of ``values``
    (Tensors, arrays or None) lives on a device other than the CPU."""
    if _enabled:
        return True
    for value in values:
        data = getattr(value, "_data", value)
        if data is not None and type(data) is not ndarray and backend_of(data).type != "cpu":
            return True
    return False
