"""Conv2D and Conv1D on channels-last inputs, as Keras 3.

Conv2D: input (batch, height, width, channels), kernel (kh, kw, in, filters), bias
(filters,), output (batch, out_h, out_w, filters). ``padding="valid"`` uses no padding;
``"same"`` pads so that out = ceil(in / stride), the odd pixel after (TensorFlow's rule).
The computation is gradlab's convolution on the NCHW view (:func:`gradlab.nn.conv.run_conv2d`).
"""

from __future__ import annotations

import numpy as np

from gradlab.keras.layers.kernel import add_kernel_and_bias, set_kernel_options
from gradlab.keras.layers.layer import Layer
from gradlab.nn.conv import run_conv2d
from gradlab.ops.movement import permute, reshape
from gradlab.ops.windows import same_padding, window_out_size


def as_tuple(name: str, value, n: int) -> tuple:
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    value = tuple(int(v) for v in value)
    if len(value) != n:
        raise ValueError(f"{name}: expected an int or {n} ints, got {value}")
    return value


def out_size(size, kernel, stride, padding, dilation=1):
    """Output length along one axis for Keras's ``padding`` ('valid' or 'same'); None for an
    unknown size."""
    if size is None:
        return None
    pads = same_padding(kernel, dilation, stride, size) if padding == "same" else 0
    return window_out_size(size, kernel, stride, pads, dilation)


class Conv2D(Layer):
    """2-D convolution, channels last; see the module docstring."""

    rank = 2

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        groups=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        owner = type(self).__name__
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{owner}: only data_format='channels_last' is supported")
        if groups != 1:
            raise NotImplementedError(f"{owner}: groups={groups} is not supported (only 1)")
        padding = str(padding).lower()
        if padding not in ("valid", "same"):
            raise ValueError(f"{owner}: padding must be 'valid' or 'same', got {padding!r}")
        self.filters = int(filters)
        self.kernel_size = as_tuple(f"{owner} kernel_size", kernel_size, self.rank)
        self.strides = as_tuple(f"{owner} strides", strides, self.rank)
        self.dilation_rate = as_tuple(f"{owner} dilation_rate", dilation_rate, self.rank)
        self.padding = padding
        set_kernel_options(self, activation, use_bias, kernel_initializer, bias_initializer,
                           kernel_regularizer, bias_regularizer, kernel_constraint,
                           bias_constraint)  # fmt: skip
        if self._batch_input_shape is not None:
            self._maybe_build(self._batch_input_shape)

    def build(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: expected input of rank {self.rank + 2} "
                f"(batch, {'height, width, ' if self.rank == 2 else 'steps, '}channels), got "
                f"shape {tuple(input_shape)}"
            )
        channels = input_shape[-1]
        add_kernel_and_bias(self, (*self.kernel_size, channels, self.filters), self.filters)

    def _pads(self, spatial) -> tuple:
        if self.padding == "valid":
            return (0, 0) * len(spatial)
        pads = ()
        for size, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate):
            pads += same_padding(k, d, s, size)
        return pads

    def _check(self, inputs):
        if inputs.ndim != self.rank + 2 or inputs.shape[-1] != self.kernel.shape[-2]:
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: input has shape {tuple(inputs.shape)}, "
                f"expected rank {self.rank + 2} with {self.kernel.shape[-2]} channels last"
            )

    def call(self, inputs):
        self._check(inputs)
        x = permute(inputs, 0, 3, 1, 2)
        weight = permute(self.kernel, 3, 2, 0, 1)
        settings = {
            "stride": self.strides,
            "padding": self._pads(inputs.shape[1:3]),
            "dilation": self.dilation_rate,
        }
        out = run_conv2d(x, weight, self.bias if self.use_bias else None, **settings)
        return self.activation(permute(out, 0, 2, 3, 1))

    def compute_output_shape(self, input_shape):
        spatial = [
            out_size(n, k, s, self.padding, d)
            for n, k, s, d in zip(
                input_shape[1:-1], self.kernel_size, self.strides, self.dilation_rate
            )
        ]
        return (input_shape[0], *spatial, self.filters)


class Conv1D(Conv2D):
    """1-D convolution over (batch, steps, channels); kernel (k, in, filters). Runs as a
    Conv2D over a height-1 image."""

    rank = 1

    def call(self, inputs):
        self._check(inputs)
        x = permute(reshape(inputs, inputs.shape[0], 1, *inputs.shape[1:]), 0, 3, 1, 2)
        weight = permute(reshape(self.kernel, 1, *self.kernel.shape), 3, 2, 0, 1)
        settings = {
            "stride": (1, *self.strides),
            "padding": (0, 0, *self._pads(inputs.shape[1:2])),
            "dilation": (1, *self.dilation_rate),
        }
        out = run_conv2d(x, weight, self.bias if self.use_bias else None, **settings)
        out = permute(out, 0, 2, 3, 1)
        return self.activation(reshape(out, out.shape[0], out.shape[2], out.shape[3]))
