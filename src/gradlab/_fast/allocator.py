"""How gradlab asks the C allocator to keep freed memory for the next training step.

Every step allocates the same large arrays again (activations, gradients, im2col columns),
and by default glibc gives freed memory at the top of its heap back to the system and maps
arrays above its mmap threshold fresh from the kernel each time: the next step then pays a
page fault per 4 KiB page on first touch. :func:`configure` raises glibc's thresholds so that
freed memory stays in the process and is reused, as PyTorch's caching allocator does for its
tensors.

It changes the whole process, so nothing runs it at ``import gradlab``: the training loop
(:class:`gradlab.train.Trainer`) and the ``gradlab`` command call it, and a user's own loop
may call :func:`gradlab.configure_allocator`. The cost: the process keeps its peak heap
instead of returning it. ``GRADLAB_MALLOC=system`` in the environment makes it do nothing.
Only glibc has ``mallopt``; elsewhere (macOS, musl) nothing changes.
"""

from __future__ import annotations

import os

__all__ = ["configure", "SETTINGS"]

M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3  # glibc's <malloc.h>

SETTINGS = {
    # arrays up to 32 MiB come from the heap (glibc's largest allowed value on 64-bit)
    M_MMAP_THRESHOLD: 32 << 20,
    # freed memory at the top of the heap is returned only beyond 1 GiB
    M_TRIM_THRESHOLD: 1 << 30,
    # each time the heap grows, it grows by 256 MiB more (untouched pages cost nothing)
    M_TOP_PAD: 256 << 20,
}
"""mallopt parameter -> value (the large top pad matters most; figures in benchmarks/results/)."""

_NAMES = {
    M_TRIM_THRESHOLD: "trim_threshold",
    M_TOP_PAD: "top_pad",
    M_MMAP_THRESHOLD: "mmap_threshold",
}


def configure(environ=None) -> dict[str, int]:
    """Apply :data:`SETTINGS` through glibc's ``mallopt``; returns the settings that took
    (name -> value), ``{}`` when ``GRADLAB_MALLOC=system`` or the C library is not glibc."""
    environ = os.environ if environ is None else environ
    choice = environ.get("GRADLAB_MALLOC", "").strip().lower()
    if choice == "system":
        return {}
    if choice not in ("", "keep"):
        raise ValueError(f"GRADLAB_MALLOC: expected 'system' or 'keep', got {choice!r}")
    mallopt = _mallopt()
    if mallopt is None:
        return {}
    applied = {}
    for parameter, value in SETTINGS.items():
        if mallopt(parameter, value) == 1:  # mallopt returns 1 on success
            applied[_NAMES[parameter]] = value
    global APPLIED
    APPLIED = applied
    return applied


APPLIED: dict | None = None
"""What the last :func:`configure` set (name -> value), None before any call."""


def _mallopt():
    """glibc's mallopt, or None where the C library has none (or is not glibc)."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    if not hasattr(libc, "gnu_get_libc_version") or not hasattr(libc, "mallopt"):
        return None  # not glibc
    mallopt = libc.mallopt
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return mallopt
