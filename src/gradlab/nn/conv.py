"""2-d convolution: the ``Conv2d`` layer, the functional ``conv2d`` and ``conv_output_size``.

Input (N, C_in, H, W) or unbatched (C_in, H, W); output (N, C_out, H_out, W_out) with, per
spatial axis, ``H_out = floor((H + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1``.
The work is im2col and one GEMM, channels-last inside (see :mod:`gradlab.ops.conv`); its
readable reference, :func:`gradlab.nn.reference.conv.conv2d`, runs instead under
``gradlab.use_reference_kernels(True)`` and for tensors on a device other than the CPU.
"""

from __future__ import annotations

import math

import numpy as np

from gradlab.backend import get_default_dtype, xp
from gradlab.nn import init
from gradlab.nn.module import Module, Parameter
from gradlab.nn.reference import conv as reference
from gradlab.nn.reference.switch import wants_reference
from gradlab.ops.conv import Conv2dOp
from gradlab.ops.movement import cat, getitem, reshape
from gradlab.ops.windows import same_padding, window_out_size, window_span
from gradlab.tensor import Tensor

__all__ = ["Conv2d", "conv2d", "conv_output_size"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def conv_output_size(
    size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> int:
    """Output length along one axis: ``floor((size + 2*padding - dilation*(kernel-1) - 1)
    / stride) + 1``; ``conv_output_size(32, 6, 2, 1) == 15`` (the notes' example 9)."""
    for name, value, low in (
        ("size", size, 0),
        ("kernel", kernel, 1),
        ("stride", stride, 1),
        ("padding", padding, 0),
        ("dilation", dilation, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"conv_output_size: {name} must be an integer >= {low}, got {value!r}")
    effective = window_span(kernel, dilation)
    if effective > size + 2 * padding:
        raise ValueError(
            f"conv_output_size: kernel size {effective} (dilated) is larger than the padded "
            f"input size {size + 2 * padding}"
        )
    return window_out_size(size, kernel, stride, padding, dilation)


def _pair(name: str, owner: str, value, low: int) -> tuple[int, int]:
    """An int or a pair of ints, each >= low, as a 2-tuple; ValueError naming the argument."""
    values = (value, value) if not isinstance(value, (tuple, list)) else tuple(value)
    if len(values) != 2 or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values
    ):
        raise ValueError(f"{owner}: {name} must be an int or a pair of ints, got {value!r}")
    if any(v < low for v in values):
        raise ValueError(f"{owner}: {name} must be >= {low}, got {value!r}")
    return int(values[0]), int(values[1])


def _same_padding(kernel, dilation) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) keeping the size at stride 1; the odd pixel goes last."""
    return (*same_padding(kernel[0], dilation[0]), *same_padding(kernel[1], dilation[1]))


def _resolve_padding(owner: str, padding, kernel, stride, dilation):
    """padding (int, pair, 'same' or 'valid') as (top, bottom, left, right)."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ValueError(
                    f"{owner}: padding='same' is not supported for strided convolutions, got "
                    f"stride={stride}"
                )
            return _same_padding(kernel, dilation)
        raise ValueError(
            f"{owner}: padding must be 'same', 'valid', an int or a pair, got {padding!r}"
        )
    ph, pw = _pair("padding", owner, padding, 0)
    return (ph, ph, pw, pw)


def _check_sizes(owner: str, shape, kernel, pads, dilation) -> None:
    padded = (shape[-2] + pads[0] + pads[1], shape[-1] + pads[2] + pads[3])
    effective = tuple(window_span(k, d) for k, d in zip(kernel, dilation))
    if effective[0] > padded[0] or effective[1] > padded[1]:
        raise ValueError(
            f"{owner}: input has shape {tuple(shape)}; the padded input size {padded} is "
            f"smaller than the (dilated) kernel size {effective}"
        )


def _padded_index(size: int, before: int, after: int, mode: str):
    """Source index of each padded position along one axis, for the non-zero padding modes."""
    positions = xp.arange(-before, size + after)
    if mode == "circular":
        return positions % size
    if mode == "replicate":
        return xp.clip(positions, 0, size - 1)
    period = 2 * (size - 1)  # reflect: mirror about the edges, edge not repeated
    folded = xp.abs(positions) % period if period else xp.zeros_like(positions)
    return xp.where(folded >= size, period - folded, folded)


def _grouped(input, weight, bias, groups, settings):  # noqa: A002
    """A grouped convolution on the fast path: group g's output channels see only group g's
    input channels, one op per group, the outputs joined along the channels."""
    c, o = weight.shape[1], weight.shape[0] // groups
    outs = []
    for g in range(groups):
        params = [weight[g * o : (g + 1) * o]] + (
            [] if bias is None else [bias[g * o : (g + 1) * o]]
        )
        outs.append(Conv2dOp.apply(input[:, g * c : (g + 1) * c], *params, **settings))
    return cat(outs, dim=1)


def run_conv2d(x, weight, bias, stride, padding, dilation, groups=1):
    """The convolution of checked arguments, x (N, C, H, W), weight (O, C / groups, kh, kw),
    padding (top, bottom, left, right): the fast op, or its readable reference under
    ``gradlab.use_reference_kernels(True)`` and for tensors off the CPU."""
    settings = {"stride": stride, "padding": padding, "dilation": dilation}
    if wants_reference(x, weight):
        return reference.conv2d(x, weight, bias, **settings, groups=groups)
    if groups != 1:
        return _grouped(x, weight, bias, groups, settings)
    if bias is None:
        return Conv2dOp.apply(x, weight, **settings)
    return Conv2dOp.apply(x, weight, bias, **settings)


def _conv(owner, input, weight, bias, stride, pads, dilation, padding_mode="zeros", groups=1):  # noqa: A002
    """Run the op on a checked 4-d or 3-d input; non-zero padding modes gather first."""
    unbatched = input.ndim == 3
    if unbatched:
        input = reshape(input, 1, *input.shape)  # noqa: A001
    _check_sizes(owner, input.shape, weight.shape[2:], pads, dilation)
    if padding_mode != "zeros" and any(pads):
        top, bottom, left, right = pads
        h, w = input.shape[2:]
        if padding_mode == "reflect" and (max(top, bottom) >= h or max(left, right) >= w):
            raise ValueError(
                f"{owner}: reflect padding {pads} must be smaller than the input size {(h, w)}"
            )
        rows = _padded_index(h, top, bottom, padding_mode)
        cols = _padded_index(w, left, right, padding_mode)
        input = getitem(input, (slice(None), slice(None), rows[:, None], cols[None, :]))  # noqa: A001
        pads = (0, 0, 0, 0)
    out = run_conv2d(input, weight, bias, stride, pads, dilation, groups)
    return reshape(out, *out.shape[1:]) if unbatched else out


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """2-d cross-correlation: input (N, C, H, W) or (C, H, W), weight (O, C, kh, kw), bias (O,).

    ``stride``, ``padding`` and ``dilation`` are ints or pairs; padding may be 'same' (stride
    1 only) or 'valid'. Returns (N, O, H_out, W_out). With ``groups`` G, weight is
    (O, C / G, kh, kw) and output channels of group g see only input channels of group g.
    """
    owner = "conv2d"
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{owner}: groups must be a positive integer, got {groups!r}")
    groups = int(groups)
    if weight.ndim != 4:
        raise ValueError(
            f"{owner}: weight has shape {tuple(weight.shape)}, expected "
            f"(out_channels, in_channels, kH, kW)"
        )
    c = weight.shape[1] * groups
    if input.ndim not in (3, 4) or input.shape[-3] != c:
        raise ValueError(
            f"{owner}: input has shape {tuple(input.shape)}, expected (N, {c}, H, W) "
            f"(weight has shape {tuple(weight.shape)}, groups={groups})"
        )
    if weight.shape[0] % groups:
        raise ValueError(
            f"{owner}: weight has shape {tuple(weight.shape)}, expected out_channels "
            f"{weight.shape[0]} divisible by groups={groups}"
        )
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ValueError(
            f"{owner}: bias has shape {tuple(bias.shape)}, expected ({weight.shape[0]},)"
        )
    stride = _pair("stride", owner, stride, 1)
    dilation = _pair("dilation", owner, dilation, 1)
    pads = _resolve_padding(owner, padding, weight.shape[2:], stride, dilation)
    return _conv(owner, input, weight, bias, stride, pads, dilation, groups=groups)


def check_channels(owner: str, in_channels, out_channels, groups) -> None:
    """Channel counts and groups of a convolution layer: positive integers, groups 1."""
    for name, value in (
        ("in_channels", in_channels),
        ("out_channels", out_channels),
        ("groups", groups),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{owner}: {name} must be a positive integer, got {value!r}")
    if groups != 1:
        raise NotImplementedError(
            f"{owner}: groups={groups} is not supported (grouped and depthwise "
            f"convolutions are not implemented); use groups=1"
        )


def add_parameters(layer: Module, weight_shape: tuple, bias_size: int, dtype) -> None:
    """``layer.weight`` (weight_shape) and ``layer.bias`` (bias_size,), or no bias for size
    0, uninitialized, in ``dtype`` (default: the default dtype)."""
    dtype = np.dtype(dtype) if dtype is not None else get_default_dtype()
    layer.weight = Parameter(xp.empty(weight_shape, dtype=dtype))
    if bias_size:
        layer.bias = Parameter(xp.empty(bias_size, dtype=dtype))
    else:
        layer.register_parameter("bias", None)


def init_conv_parameters(layer: Module, fan_in: int, generator=None) -> None:
    """PyTorch's initialization of a convolution's weight and bias: kaiming_uniform_(a=√5)
    and U(-1/√fan_in, 1/√fan_in), i.e. both uniform within 1/√fan_in."""
    init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
    if layer.bias is not None:
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(layer.bias, -bound, bound, generator=generator)


class Conv2d(Module):
    """2-d convolution layer over (N, in_channels, H, W) inputs, as ``torch.nn.Conv2d``.

    weight (out_channels, in_channels, kH, kW) ~ kaiming_uniform_(a=sqrt(5)), i.e.
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in_channels * kH * kW; bias
    (out_channels,) ~ the same uniform. ``padding_mode`` is 'zeros', 'reflect',
    'replicate' or 'circular'. With ``groups`` G (dividing both channel counts), weight is
    (out_channels, in_channels / G, kH, kW): each group of output channels sees one group of
    input channels (G = in_channels: depthwise).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        *,
        generator=None,
        dtype=None,
    ):
        super().__init__()
        owner = f"Conv2d(in_channels={in_channels})"
        for name, value in (
            ("in_channels", in_channels),
            ("out_channels", out_channels),
            ("groups", groups),
        ):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{owner}: {name} must be a positive integer, got {value!r}")
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if value % groups:
                raise ValueError(f"{owner}: {name} must be divisible by groups, got "
                                 f"{name}={value} and groups={groups}")  # fmt: skip
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"{owner}: padding_mode must be one of {_PADDING_MODES}, got {padding_mode!r}"
            )
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.kernel_size = _pair("kernel_size", owner, kernel_size, 1)
        self.stride = _pair("stride", owner, stride, 1)
        self.dilation = _pair("dilation", owner, dilation, 1)
        self._pads = _resolve_padding(owner, padding, self.kernel_size, self.stride, self.dilation)
        self.padding = padding if isinstance(padding, str) else _pair("padding", owner, padding, 0)
        self.groups = int(groups)
        self.padding_mode = padding_mode
        shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
        add_parameters(self, shape, self.out_channels if bias else 0, dtype)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        init_conv_parameters(self, math.prod(self.weight.shape[1:]), generator)

    def forward(self, input):  # noqa: A002
        shape = input.shape
        if len(shape) not in (3, 4) or shape[-3] != self.in_channels:
            raise ValueError(
                f"Conv2d(in_channels={self.in_channels}): input has shape {tuple(shape)}, "
                f"expected (N, {self.in_channels}, H, W)"
            )
        if not isinstance(input, Tensor):
            input = Tensor(xp.asarray(input))  # noqa: A001
        owner = f"Conv2d(in_channels={self.in_channels})"
        return _conv(
            owner,
            input,
            self.weight,
            self.bias,
            self.stride,
            self._pads,
            self.dilation,
            self.padding_mode,
            self.groups,
        )

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0, 0):
            text += (
                f", padding={self.padding!r}"
                if isinstance(self.padding, str)
                else (f", padding={self.padding}")
            )
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text
