"""Upsampling: ``F.interpolate`` (nearest, linear, bilinear) and ``nn.Upsample``, as PyTorch.

Each output position reads from a source coordinate in the input (PyTorch's rule):
nearest ``floor(dst * scale)``; linear modes ``(dst + 0.5) * scale - 0.5`` clamped at 0
(``align_corners=False``) or ``dst * (in - 1) / (out - 1)`` (``True``), mixing the two
neighbours. ``scale`` is ``1 / scale_factor`` when a scale factor is given (unless
``recompute_scale_factor``), else ``in / out``. Built from indexing and arithmetic ops, so
gradients flow through the graph.
"""

from __future__ import annotations

import math

import numpy as np

from gradlab.backend import array_module
from gradlab.nn.module import Module
from gradlab.ops.movement import getitem

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]

_LINEAR = {"linear": 3, "bilinear": 4}


def _per_axis(name: str, value, count: int) -> tuple:
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * count
    if len(values) != count:
        raise ValueError(
            f"Input and {name} must have the same number of spatial dimensions, but got input "
            f"with spatial dimensions of {count} and {name} of {values}"
        )
    return values


def _source(xp, out_size: int, in_size: int, scale_factor, mode: str, align_corners, recompute):
    """The source coordinate of each output position along one axis (float64, made by the
    array module ``xp``)."""
    dst = xp.arange(out_size, dtype=np.float64)
    if mode in _LINEAR and align_corners:
        scale = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
        return dst * scale
    scale = 1.0 / scale_factor if scale_factor is not None and not recompute else in_size / out_size
    if mode == "nearest":
        return xp.minimum(xp.floor(dst * scale), in_size - 1)
    return xp.maximum((dst + 0.5) * scale - 0.5, 0.0)


def _index(ndim: int, axis: int, idx):
    key = [slice(None)] * ndim
    key[axis] = idx
    return tuple(key)


def interpolate(
    input,
    size=None,
    scale_factor=None,
    mode: str = "nearest",  # noqa: A002
    align_corners=None,
    recompute_scale_factor=None,
    antialias: bool = False,
):
    """Resize (N, C, L) or (N, C, H, W) to ``size`` or by ``scale_factor``.

    Modes: 'nearest' (3-d or 4-d), 'linear' (3-d), 'bilinear' (4-d). Returns (N, C, *size).
    """
    if mode not in ("nearest", "linear", "bilinear"):
        raise NotImplementedError(
            f"interpolate: mode {mode!r} is not implemented in gradlab (nearest, linear, "
            f"bilinear are)"
        )
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not implemented in gradlab")
    if mode == "nearest" and align_corners is not None:
        raise ValueError(
            "align_corners option can only be set with the interpolating modes: linear | "
            "bilinear | bicubic | trilinear"
        )
    spatial = input.ndim - 2
    if spatial < 1:
        raise ValueError(f"interpolate: expected a 3-D or 4-D input, got shape {input.shape}")
    if mode in _LINEAR and input.ndim != _LINEAR[mode]:
        raise NotImplementedError(
            f"Got {input.ndim}D input, but {mode} mode needs {_LINEAR[mode]}D input"
        )
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    in_sizes = tuple(input.shape[2:])
    if size is not None:
        out_sizes = tuple(int(s) for s in _per_axis("size", size, spatial))
        factors = (None,) * spatial
    else:
        factors = tuple(float(f) for f in _per_axis("scale_factor", scale_factor, spatial))
        out_sizes = tuple(math.floor(s * f) for s, f in zip(in_sizes, factors))
    if any(s <= 0 for s in out_sizes):
        raise ValueError(f"interpolate: output size {out_sizes} must be positive")
    out = input
    xp = array_module(input)
    for k, (n_in, n_out, factor) in enumerate(zip(in_sizes, out_sizes, factors)):
        axis = 2 + k
        src = _source(xp, n_out, n_in, factor, mode, align_corners, recompute_scale_factor)
        if mode == "nearest":
            out = getitem(out, _index(out.ndim, axis, src.astype(np.int64)))
            continue
        low = xp.floor(src).astype(np.int64)
        high = xp.minimum(low + 1, n_in - 1)
        frac = (src - low).astype(input.dtype)
        shape = [1] * out.ndim
        shape[axis] = n_out
        frac = frac.reshape(shape)
        a = getitem(out, _index(out.ndim, axis, low))
        b = getitem(out, _index(out.ndim, axis, high))
        out = a * (1 - frac) + b * frac
    return out


class Upsample(Module):
    """``nn.Upsample(size=None, scale_factor=None, mode='nearest', align_corners=None,
    recompute_scale_factor=None)``: :func:`interpolate` as a layer."""

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                 recompute_scale_factor=None):  # fmt: skip
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, (tuple, list)):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):  # noqa: A002
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)  # fmt: skip

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = f"scale_factor={self.scale_factor!r}"
        else:
            info = f"size={self.size!r}"
        return info + f", mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
