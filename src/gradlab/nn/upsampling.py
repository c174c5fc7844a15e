"""Upsampling: ``F.interpolate`` and ``nn.Upsample``, every mode PyTorch has for float tensors:
nearest, nearest-exact, linear (3-D), bilinear and bicubic (4-D), trilinear (5-D), area.

Every mode is separable: along each spatial axis, output position ``dst`` mixes input
positions with weights, so the resize is one (out, in) matrix per axis applied with matmul
(nearest modes gather instead); gradients flow through the graph. The weights are PyTorch's:

* nearest: ``floor(dst * scale)``, nearest-exact ``floor((dst + 0.5) * scale)`` (clamped to
  the last input), computed in float32 as PyTorch does (and, as PyTorch's 2-d nearest
  kernel, ``dst`` itself when the size is unchanged, ``dst // 2`` when it doubles);
* linear modes: the two neighbours of ``(dst + 0.5) * scale - 0.5`` (clamped at 0), or of
  ``dst * (in - 1) / (out - 1)`` with ``align_corners=True``;
* bicubic: the four neighbours of the same source (not clamped), Keys' cubic convolution
  with A = -0.75, indices clamped to the edges;
* area: adaptive average pooling, output ``i`` averaging inputs
  ``[floor(i * in / out), ceil((i + 1) * in / out))``.

``scale`` is ``1 / scale_factor`` when a scale factor is given (unless
``recompute_scale_factor=True``), else ``in / out``; the output size is
``floor(in * scale_factor)``. An axis whose size does not change is copied (every mode but
bicubic and nearest-exact, as PyTorch's kernels do), whatever the scale factor.
"""

from __future__ import annotations

import math

import numpy as np

from gradlab.backend import backend_of, to_backend
from gradlab.nn.module import Module
from gradlab.ops.linalg import matmul
from gradlab.ops.movement import getitem, transpose
from gradlab.tensor import Tensor

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]

_INPUT_DIMS = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")
_CUBIC_A = -0.75


def _per_axis(name: str, value, count: int, in_sizes) -> tuple:
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * count
    if len(values) != count:
        raise ValueError(
            f"Input and {'output' if name == 'size' else 'scale_factor'} must have the same "
            f"number of spatial dimensions, but got input with spatial dimensions of "
            f"{list(in_sizes)} and {'output size' if name == 'size' else name} of {value}. "
            f"Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in "
            f"(o1, o2, ...,oK) format."
        )
    return values


def _scale(n_in: int, n_out: int, factor, align_corners: bool) -> float:
    """PyTorch's area_pixel_compute_scale."""
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1.0 / factor if factor is not None and factor > 0 else n_in / n_out


def _nearest_index(n_in: int, n_out: int, factor, exact: bool, legacy: bool) -> np.ndarray:
    if legacy and n_out == n_in:  # PyTorch's 2-d nearest kernel keeps these two shortcuts
        return np.arange(n_out)
    if legacy and n_out == 2 * n_in:
        return np.arange(n_out) >> 1
    scale = np.float32(1.0 / factor if factor is not None and factor > 0 else n_in / n_out)
    dst = np.arange(n_out, dtype=np.float32) + (np.float32(0.5) if exact else np.float32(0))
    return np.minimum(np.floor(dst * scale).astype(np.int64), n_in - 1)


def _weights(mode: str, n_in: int, n_out: int, factor, align_corners: bool) -> np.ndarray:
    """The (n_out, n_in) float64 resampling matrix of one axis for a linear, cubic or area
    mode."""
    matrix = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    if mode == "area":
        start = (rows * n_in) // n_out
        end = -((-(rows + 1) * n_in) // n_out)  # ceil
        for i in range(n_out):
            matrix[i, start[i] : end[i]] = 1.0 / (end[i] - start[i])
        return matrix
    scale = _scale(n_in, n_out, factor, align_corners)
    src = rows * scale if align_corners else (rows + 0.5) * scale - 0.5
    if mode == "bicubic":
        base = np.floor(src)
        t = src - base
        a = _CUBIC_A
        coeffs = (
            ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a,
            ((a + 2) * t - (a + 3)) * t * t + 1,
            ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1,
            ((a * (2 - t) - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a,
        )
        for k, c in enumerate(coeffs):
            np.add.at(matrix, (rows, np.clip(base.astype(np.int64) - 1 + k, 0, n_in - 1)), c)
        return matrix
    src = np.maximum(src, 0.0)
    low = np.floor(src).astype(np.int64)
    high = np.where(low < n_in - 1, low + 1, low)
    frac = src - low
    np.add.at(matrix, (rows, low), 1.0 - frac)
    np.add.at(matrix, (rows, high), frac)
    return matrix


def _check(input, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias):  # noqa: A002
    if mode not in _MODES:
        raise NotImplementedError(
            f"Input Error: mode {mode!r} is not one of nearest | linear | bilinear | bicubic | "
            f"trilinear | area | nearest-exact (lanczos is not implemented in gradlab)"
        )
    if mode in ("nearest", "area", "nearest-exact") and align_corners is not None:
        raise ValueError(
            "align_corners option can only be set with the interpolating modes: linear | "
            "bilinear | bicubic | trilinear"
        )
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if size is not None and recompute_scale_factor:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if antialias and not (mode in ("bilinear", "bicubic") and input.ndim == 4):
        raise ValueError(
            "Anti-alias option is restricted to bilinear and bicubic modes and requires a 4-D "
            "tensor as input"
        )
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not implemented in gradlab")
    if input.ndim not in (3, 4, 5):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
            f"the modes: nearest | linear | bilinear | bicubic | trilinear | area | "
            f"nearest-exact (got {mode})"
        )
    if mode in _INPUT_DIMS and input.ndim != _INPUT_DIMS[mode]:
        raise NotImplementedError(
            f"Got {input.ndim}D input, but {mode} mode needs {_INPUT_DIMS[mode]}D input"
        )


def interpolate(
    input,  # noqa: A002
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners=None,
    recompute_scale_factor=None,
    antialias: bool = False,
):
    """Resize (N, C, *spatial) (1 to 3 spatial dims) to ``size`` or by ``scale_factor``;
    returns (N, C, *size). See the module docstring for each mode's weights."""
    _check(input, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias)
    spatial = input.ndim - 2
    in_sizes = tuple(input.shape[2:])
    if size is not None:
        out_sizes = tuple(int(s) for s in _per_axis("size", size, spatial, in_sizes))
        factors = (None,) * spatial
    else:
        factors = tuple(
            float(f) for f in _per_axis("scale_factor", scale_factor, spatial, in_sizes)
        )
        out_sizes = tuple(math.floor(s * f) for s, f in zip(in_sizes, factors))
        if recompute_scale_factor:
            factors = (None,) * spatial
    if any(s <= 0 for s in out_sizes) or any(s <= 0 for s in in_sizes):
        raise RuntimeError(
            f"Input and output sizes should be greater than 0, but got input "
            f"{tuple(in_sizes)} and output {tuple(out_sizes)}"
        )
    align = bool(align_corners)
    dtype = input._data.dtype
    out = input
    backend = backend_of(input._data)  # the weights are made on the host, then moved
    for k, (n_in, n_out, factor) in enumerate(zip(in_sizes, out_sizes, factors)):
        axis = 2 + k
        if mode in ("nearest", "nearest-exact"):
            index = [slice(None)] * out.ndim
            legacy = mode == "nearest" and input.ndim == 4
            index[axis] = _nearest_index(n_in, n_out, factor, mode == "nearest-exact", legacy)
            out = getitem(out, tuple(index))
            continue
        if n_in == n_out and mode != "bicubic":
            continue  # PyTorch copies an axis whose size does not change (bicubic excepted)
        weights = _weights(mode, n_in, n_out, factor, align).T.astype(dtype)
        weights = Tensor(to_backend(weights, backend))
        out = transpose(matmul(transpose(out, axis, -1), weights), axis, -1)
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
