"""2-d pooling layers and functions, as PyTorch: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d.

Input (N, C, H, W) or unbatched (C, H, W). Output size per spatial axis:
``floor((H + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1`` (``ceil`` with
``ceil_mode=True``, where the last window must start inside the input or its left padding).
``stride`` defaults to ``kernel_size``; padding may be at most half the kernel size.
"""

from __future__ import annotations

import numpy as np

from gradlab.backend import xp
from gradlab.nn.conv import _pair
from gradlab.nn.module import Module
from gradlab.nn.reference import pool as reference
from gradlab.nn.reference.switch import wants_reference
from gradlab.ops.movement import reshape
from gradlab.ops.pool import (
    AdaptiveAvgPool2dOp,
    AvgPool2dOp,
    MaxPool2dOp,
    max_pool2d_indices,
)
from gradlab.ops.windows import window_out_size
from gradlab.tensor import Tensor

__all__ = [
    "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "max_pool2d", "avg_pool2d",
    "adaptive_avg_pool2d",
]  # fmt: skip


def _as_tensor(input):  # noqa: A002
    return input if isinstance(input, Tensor) else Tensor(xp.asarray(input))


def _check_input(owner: str, input) -> None:  # noqa: A002
    if input.ndim not in (3, 4):
        raise ValueError(
            f"{owner}: input has shape {tuple(input.shape)}, expected (N, C, H, W) or (C, H, W)"
        )


def _geometry(owner, input, kernel_size, stride, padding, dilation, ceil_mode):  # noqa: A002
    """Checked (kernel, stride, padding, dilation) pairs; ValueError naming what is wrong."""
    kernel = _pair("kernel_size", owner, kernel_size, 1)
    stride = kernel if stride is None or stride == () else _pair("stride", owner, stride, 1)
    padding = _pair("padding", owner, padding, 0)
    dilation = _pair("dilation", owner, dilation, 1)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(
            f"{owner}: padding {padding} must be at most half of the kernel size {kernel}"
        )
    h, w = input.shape[-2:]
    out = tuple(
        window_out_size(size, k, s, p, d, ceil_mode)
        for size, k, s, p, d in zip((h, w), kernel, stride, padding, dilation)
    )
    if min(out) < 1:
        raise ValueError(
            f"{owner}: input has shape {tuple(input.shape)}; the padded input size "
            f"{(h + 2 * padding[0], w + 2 * padding[1])} is smaller than the (dilated) kernel "
            f"size {tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))}"
        )
    return kernel, stride, padding, dilation


def _run(op, readable, input, **settings):  # noqa: A002
    """``op`` on a 4-d input, or its readable reference under the reference switch and off
    the CPU (see :mod:`gradlab.nn.reference`)."""
    run = readable if wants_reference(input) else op.apply
    if input.ndim == 3:
        out = run(reshape(input, 1, *input.shape), **settings)
        return reshape(out, *out.shape[1:])
    return run(input, **settings)


def max_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,  # noqa: A002
    return_indices=False,
    *,
    _owner="max_pool2d",
):
    """Max over kernel_size windows; with ``return_indices`` also the int64 flat index
    (h * W + w) of each maximum, as PyTorch. Input (N, C, H, W) or (C, H, W)."""
    input = _as_tensor(input)  # noqa: A001
    _check_input(_owner, input)
    kernel, stride, padding, dilation = _geometry(
        _owner, input, kernel_size, stride, padding, dilation, ceil_mode
    )
    out = _run(
        MaxPool2dOp,
        reference.max_pool2d,
        input,
        kernel=kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        ceil_mode=bool(ceil_mode),
    )
    if not return_indices:
        return out
    if wants_reference(input):
        geometry = (kernel, stride, padding, dilation, bool(ceil_mode))
        x = input.detach()
        if input.ndim == 3:
            return out, reference.max_pool2d_indices(x.unsqueeze(0), *geometry)[0]
        return out, reference.max_pool2d_indices(x, *geometry)
    data = input._data if input.ndim == 4 else input._data[None]
    indices = max_pool2d_indices(data, kernel, stride, padding, dilation, bool(ceil_mode))
    return out, Tensor(indices if input.ndim == 4 else indices[0])


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,  # noqa: A002
    count_include_pad=True,
    divisor_override=None,
    *,
    _owner="avg_pool2d",
):
    """Mean over kernel_size windows with zero padding. The divisor is the window size
    (``count_include_pad``), else the count of real inputs, or ``divisor_override``."""
    input = _as_tensor(input)  # noqa: A001
    _check_input(_owner, input)
    kernel, stride, padding, _ = _geometry(
        _owner, input, kernel_size, stride, padding, 1, ceil_mode
    )
    if divisor_override is not None and (
        isinstance(divisor_override, bool)
        or not isinstance(divisor_override, (int, np.integer))
        or divisor_override < 1
    ):
        raise ValueError(
            f"{_owner}: divisor_override must be a positive integer, got {divisor_override!r}"
        )
    return _run(
        AvgPool2dOp,
        reference.avg_pool2d,
        input,
        kernel=kernel,
        stride=stride,
        padding=padding,
        ceil_mode=bool(ceil_mode),
        count_include_pad=bool(count_include_pad),
        divisor=divisor_override,
    )


def _adaptive_size(owner, output_size, input) -> tuple[int, int]:  # noqa: A002
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * 2
    if len(sizes) != 2:
        raise ValueError(f"{owner}: output_size must be an int or a pair, got {output_size!r}")
    resolved = []
    for size, current in zip(sizes, input.shape[-2:]):
        if size is None:
            size = current
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(
                f"{owner}: output_size must be positive ints or None, got {output_size!r}"
            )
        resolved.append(int(size))
    return tuple(resolved)


def adaptive_avg_pool2d(input, output_size, *, _owner="adaptive_avg_pool2d"):  # noqa: A002
    """Average to a fixed (Ho, Wo): window i spans [floor(i*H/Ho), ceil((i+1)*H/Ho)).
    ``output_size`` is an int or a pair; None keeps that input size."""
    input = _as_tensor(input)  # noqa: A001
    _check_input(_owner, input)
    size = _adaptive_size(_owner, output_size, input)
    return _run(AdaptiveAvgPool2dOp, reference.adaptive_avg_pool2d, input, output_size=size)


class MaxPool2d(Module):
    """Max pooling over (N, C, H, W); see :func:`max_pool2d`."""

    def __init__(
        self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False
    ):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode
        owner = f"MaxPool2d(kernel_size={kernel_size!r})"
        _pair("kernel_size", owner, kernel_size, 1)
        _pair("stride", owner, self.stride, 1)
        _pair("padding", owner, padding, 0)
        _pair("dilation", owner, dilation, 1)

    def forward(self, input):  # noqa: A002
        return max_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
            _owner=f"MaxPool2d(kernel_size={self.kernel_size!r})",
        )

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class AvgPool2d(Module):
    """Average pooling over (N, C, H, W); see :func:`avg_pool2d`."""

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode=False,
        count_include_pad=True,
        divisor_override=None,
    ):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override
        owner = f"AvgPool2d(kernel_size={kernel_size!r})"
        _pair("kernel_size", owner, kernel_size, 1)
        _pair("stride", owner, self.stride, 1)
        _pair("padding", owner, padding, 0)

    def forward(self, input):  # noqa: A002
        return avg_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
            _owner=f"AvgPool2d(kernel_size={self.kernel_size!r})",
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size; see :func:`adaptive_avg_pool2d`."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):  # noqa: A002
        return adaptive_avg_pool2d(
            input, self.output_size, _owner=f"AdaptiveAvgPool2d(output_size={self.output_size!r})"
        )

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
