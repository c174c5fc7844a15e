"""1-d convolution and 2-d transposed convolution: ``Conv1d``, ``ConvTranspose2d`` and their
functional forms, as ``torch.nn``.

``Conv1d`` runs the 2-d convolution on (N, C, 1, L); ``ConvTranspose2d`` has its own op
(:mod:`gradlab.ops.conv_transpose`). Output length of a transposed convolution, per axis:
``(L - 1)*stride - 2*padding + dilation*(kernel - 1) + output_padding + 1``.
"""

from __future__ import annotations

import math

import numpy as np

from gradlab.backend import array_module, xp
from gradlab.nn.conv import (
    Conv2d,
    _pair,
    add_parameters,
    check_channels,
    conv2d,
    init_conv_parameters,
)
from gradlab.nn.module import Module, Parameter
from gradlab.ops.conv_transpose import ConvTranspose2dOp, conv_transpose_output_hw
from gradlab.ops.movement import reshape
from gradlab.tensor import Tensor

__all__ = ["Conv1d", "ConvTranspose2d", "conv1d", "conv_transpose2d"]


def _single(name: str, owner: str, value, low: int) -> int:
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise ValueError(f"{owner}: {name} must be an int or a 1-tuple, got {value!r}")
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{owner}: {name} must be an integer >= {low}, got {value!r}")
    return int(value)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """1-d cross-correlation: input (N, C, L) or (C, L), weight (O, C, k) -> (N, O, L_out)."""
    owner = "conv1d"
    if weight.ndim != 3:
        raise ValueError(
            f"{owner}: weight has shape {tuple(weight.shape)}, expected (out_channels, "
            f"in_channels, kernel_size)"
        )
    if input.ndim not in (2, 3) or input.shape[-2] != weight.shape[1] * groups:
        raise ValueError(
            f"{owner}: input has shape {tuple(input.shape)}, expected "
            f"(N, {weight.shape[1] * groups}, L)"
        )
    stride = _single("stride", owner, stride, 1)
    dilation = _single("dilation", owner, dilation, 1)
    if not isinstance(padding, str):
        padding = (0, _single("padding", owner, padding, 0))
    x = reshape(input, *input.shape[:-1], 1, input.shape[-1])
    w = reshape(weight, *weight.shape[:2], 1, weight.shape[2])
    out = conv2d(x, w, bias, (1, stride), padding, (1, dilation), groups)
    return reshape(out, *out.shape[:-2], out.shape[-1])


class Conv1d(Conv2d):
    """1-d convolution over (N, in_channels, L), as ``torch.nn.Conv1d``: weight
    (out_channels, in_channels, kernel_size), bias (out_channels,), both
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in_channels * kernel_size."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros", *,
                 generator=None, dtype=None):  # fmt: skip
        owner = f"Conv1d(in_channels={in_channels})"
        k = _single("kernel_size", owner, kernel_size, 1)
        s = _single("stride", owner, stride, 1)
        d = _single("dilation", owner, dilation, 1)
        pad = padding if isinstance(padding, str) else (0, _single("padding", owner, padding, 0))
        super().__init__(in_channels, out_channels, (1, k), (1, s), pad, (1, d), groups, bias,
                         padding_mode, generator=generator, dtype=dtype)  # fmt: skip
        with_axis = self.weight.numpy().reshape(out_channels, in_channels // groups, k)
        self.weight = Parameter(xp.ascontiguousarray(with_axis))
        self.kernel_size, self.stride, self.dilation = (k,), (s,), (d,)
        self.padding = padding if isinstance(padding, str) else (pad[1],)

    def reset_parameters(self, generator=None) -> None:
        init_conv_parameters(self, math.prod(self.weight.shape[1:]), generator)

    def forward(self, input):  # noqa: A002
        xp = array_module(input)
        shape = input.shape
        if len(shape) not in (2, 3) or shape[-2] != self.in_channels:
            raise ValueError(
                f"Conv1d(in_channels={self.in_channels}): input has shape {tuple(shape)}, "
                f"expected (N, {self.in_channels}, L)"
            )
        if not isinstance(input, Tensor):
            input = Tensor(xp.asarray(input))  # noqa: A001
        from gradlab.nn.conv import _conv

        x = reshape(input, *shape[:-1], 1, shape[-1])
        w = reshape(self.weight, *self.weight.shape[:2], 1, self.weight.shape[2])
        owner = f"Conv1d(in_channels={self.in_channels})"
        out = _conv(owner, x, w, self.bias, (1, self.stride[0]), self._pads,
                    (1, self.dilation[0]), self.padding_mode, self.groups)  # fmt: skip
        return reshape(out, *out.shape[:-2], out.shape[-1])

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
        text += f"stride={self.stride}"
        if isinstance(self.padding, str) or self.padding != (0,):
            text += f", padding={self.padding!r}"
        if self.dilation != (1,):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,  # noqa: A002
                     groups=1, dilation=1):  # fmt: skip
    """Transposed 2-d convolution: input (N, C_in, H, W) or (C_in, H, W), weight
    (C_in, C_out, kh, kw), bias (C_out,) -> (N, C_out, Ho, Wo)."""
    owner = "conv_transpose2d"
    if groups != 1:
        raise NotImplementedError(f"{owner}: groups={groups} is not supported (only groups=1)")
    if weight.ndim != 4:
        raise ValueError(
            f"{owner}: weight has shape {tuple(weight.shape)}, expected (in_channels, "
            f"out_channels, kH, kW)"
        )
    if input.ndim not in (3, 4) or input.shape[-3] != weight.shape[0]:
        raise ValueError(
            f"{owner}: input has shape {tuple(input.shape)}, expected (N, {weight.shape[0]}, H, W)"
        )
    stride = _pair("stride", owner, stride, 1)
    padding = _pair("padding", owner, padding, 0)
    dilation = _pair("dilation", owner, dilation, 1)
    output_padding = _pair("output_padding", owner, output_padding, 0)
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= max(s, d):
            raise ValueError(
                f"{owner}: output padding must be smaller than either stride or dilation, "
                f"but got output_padding={output_padding}, stride={stride}, dilation={dilation}"
            )
    unbatched = input.ndim == 3
    x = reshape(input, 1, *input.shape) if unbatched else input
    ho, wo = conv_transpose_output_hw(x.shape, weight.shape, stride, padding, dilation,
                                      output_padding)  # fmt: skip
    if ho <= 0 or wo <= 0:
        raise ValueError(
            f"{owner}: input of shape {tuple(input.shape)} gives an empty output ({ho}, {wo})"
        )
    settings = {"stride": stride, "padding": padding, "dilation": dilation,
                "output_padding": output_padding}  # fmt: skip
    if bias is None:
        out = ConvTranspose2dOp.apply(x, weight, **settings)
    else:
        out = ConvTranspose2dOp.apply(x, weight, bias, **settings)
    return reshape(out, *out.shape[1:]) if unbatched else out


class ConvTranspose2d(Module):
    """Transposed 2-d convolution layer, as ``torch.nn.ConvTranspose2d``: weight
    (in_channels, out_channels, kH, kW), bias (out_channels,), both
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = out_channels * kH * kW (PyTorch's
    fan-in of this weight layout)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", *, generator=None, dtype=None):  # fmt: skip
        super().__init__()
        owner = f"ConvTranspose2d(in_channels={in_channels})"
        check_channels(owner, in_channels, out_channels, groups)
        if padding_mode != "zeros":
            raise ValueError(
                f'Only "zeros" padding mode is supported for ConvTranspose2d, got {padding_mode!r}'
            )
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = _pair("kernel_size", owner, kernel_size, 1)
        self.stride = _pair("stride", owner, stride, 1)
        self.padding = _pair("padding", owner, padding, 0)
        self.output_padding = _pair("output_padding", owner, output_padding, 0)
        self.dilation = _pair("dilation", owner, dilation, 1)
        self.groups = 1
        self.padding_mode = padding_mode
        shape = (self.in_channels, self.out_channels, *self.kernel_size)
        add_parameters(self, shape, self.out_channels if bias else 0, dtype)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        # PyTorch's fan-in of this weight layout is dim 1 (out_channels) times the kernel
        init_conv_parameters(self, self.out_channels * math.prod(self.kernel_size), generator)

    def forward(self, input, output_size=None):  # noqa: A002
        xp = array_module(input)
        output_padding = self.output_padding
        if output_size is not None:
            output_padding = self._output_padding_for(input.shape, output_size)
        if not isinstance(input, Tensor):
            input = Tensor(xp.asarray(input))  # noqa: A001
        return conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                output_padding, 1, self.dilation)  # fmt: skip

    def _output_padding_for(self, shape, output_size) -> tuple:
        wanted = tuple(output_size)[-2:]
        base = conv_transpose_output_hw((0, 0, *shape[-2:]), self.weight.shape, self.stride,
                                        self.padding, self.dilation, (0, 0))  # fmt: skip
        extra = tuple(w - b for w, b in zip(wanted, base))
        if any(e < 0 or e >= s for e, s in zip(extra, self.stride)):
            raise ValueError(
                f"ConvTranspose2d: requested an output size of {wanted}, but valid sizes range "
                f"from {base} to {tuple(b + s - 1 for b, s in zip(base, self.stride))} (for an "
                f"input of {tuple(shape[-2:])})"
            )
        return extra

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
        text += f"stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.output_padding != (0, 0):
            text += f", output_padding={self.output_padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.bias is None:
            text += ", bias=False"
        return text
