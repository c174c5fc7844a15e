"""``gradlab.accelerator``: PyTorch's device-agnostic accelerator queries (``torch.accelerator``).

gradlab's only backend is the CPU, which PyTorch does not count as an accelerator: so
``is_available()`` is False, ``device_count()`` 0 and ``current_accelerator()`` None, as
PyTorch answers on a CPU-only machine. A program that picks
``torch.accelerator.current_accelerator() if torch.accelerator.is_available() else "cpu"``
runs on the CPU.
"""

from __future__ import annotations

__all__ = ["is_available", "device_count", "current_accelerator", "synchronize"]


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def current_accelerator(check_available: bool = False):
    """The accelerator's device type, or None when there is none (always, here)."""
    return None


def synchronize(device=None) -> None:
    """Wait for an accelerator's work: there is none."""
