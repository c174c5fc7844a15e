"""The switch and bookkeeping of the optional compiled kernels (numba).

:func:`kernels` returns a module of compiled kernels (``"optim"``, ``"pool"``,
``"recurrent"``), importing numba and the module on first use, or None when numba is not
installed or the kernels are switched off: ``GRADLAB_KERNELS=numpy`` (or ``off``, ``0``) in
the environment, or :func:`set_enabled` at run time. Each kernel compiles on its first call,
for the argument types it gets, and numba caches the machine code on disk (``cache=True``),
so a process pays compilation only for the kernels it uses, and a later process not at all.

:data:`CALLS` counts the calls that took each compiled path, so that tests can assert that a
fast path was really taken.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections import Counter

__all__ = ["CALLS", "available", "enabled", "hold_off", "kernels", "set_enabled"]

CALLS: Counter = Counter()
"""Kernel name -> calls that ran compiled (e.g. ``CALLS["sgd"]``)."""

_enabled = os.environ.get("GRADLAB_KERNELS", "").strip().lower() not in ("numpy", "off", "0")
_held_off = False  # set while gradlab.use_reference_kernels(True) is on
_modules: dict = {}  # name -> module, or None where numba is missing
_UNLOADED = object()


def available() -> bool:
    """Whether numba is installed (without importing it)."""
    return importlib.util.find_spec("numba") is not None


def enabled() -> bool:
    """Whether the compiled kernels run: numba installed and the switch on."""
    return _enabled and not _held_off and available()


def set_enabled(flag: bool) -> bool:
    """Run the compiled kernels (where numba is installed) or the NumPy references from now
    on; returns the previous setting."""
    global _enabled
    old, _enabled = _enabled, bool(flag)
    return old


def hold_off(flag: bool) -> None:
    """Keep the kernels off while a model runs on the readable references
    (``gradlab.use_reference_kernels``), whatever :func:`set_enabled` says."""
    global _held_off
    _held_off = bool(flag)


def kernels(name: str):
    """The module ``gradlab._fast.<name>_kernels``, or None when the kernels are off."""
    if not _enabled or _held_off:
        return None
    module = _modules.get(name, _UNLOADED)
    if module is _UNLOADED:
        found = available()
        module = importlib.import_module(f"gradlab._fast.{name}_kernels") if found else None
        _modules[name] = module
    return module
