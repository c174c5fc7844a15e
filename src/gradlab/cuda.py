"""``gradlab.cuda``: PyTorch's ``torch.cuda`` queries, answered for a machine without CUDA.

gradlab has no CUDA backend, so ``is_available()`` is False and ``device_count()`` 0, as
PyTorch answers on a CPU-only build; seeding is accepted and does nothing (as PyTorch's lazy
seeding when no GPU exists). Code that asks for a CUDA tensor gets a clear error from
``Tensor.to`` / ``device=`` (see :func:`gradlab.backend.resolve_device`).
"""

from __future__ import annotations

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all", "is_initialized"]


def is_available() -> bool:
    """Whether a CUDA device can be used: never, in this build."""
    return False


def device_count() -> int:
    """The number of CUDA devices gradlab can use: 0."""
    return 0


def is_initialized() -> bool:
    return False


def manual_seed(seed: int) -> None:
    """Seed the current CUDA device's generator: nothing to seed without CUDA."""


def manual_seed_all(seed: int) -> None:
    """Seed every CUDA device's generator: nothing to seed without CUDA."""
