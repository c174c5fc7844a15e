"""Pooling on channels-last inputs, as Keras 3: MaxPooling2D, AveragePooling2D (pool_size
(2, 2), strides = pool_size, padding 'valid' or 'same'), GlobalAveragePooling2D,
GlobalMaxPooling2D, and the 1-D forms.

Shapes: (batch, h, w, c) -> (batch, out_h, out_w, c); global pooling -> (batch, c). With
'same', max pooling ignores the padding and average pooling divides by the number of real
pixels in each window (TensorFlow's rule).
"""

from __future__ import annotations

import numpy as np

from gradlab.keras.layers.conv import as_tuple, out_size
from gradlab.keras.layers.layer import Layer
from gradlab.nn.pooling import avg_pool2d, max_pool2d
from gradlab.ops import movement
from gradlab.ops.movement import Index, permute, reshape
from gradlab.ops.reduce import amax, mean
from gradlab.ops.windows import same_padding
from gradlab.tensor import Tensor


class _Pooling2D(Layer):
    rank = 2

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{owner}: only data_format='channels_last' is supported")
        self.pool_size = as_tuple(f"{owner} pool_size", pool_size, self.rank)
        self.strides = as_tuple(
            f"{owner} strides", strides if strides is not None else self.pool_size, self.rank
        )
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"{owner}: padding must be 'valid' or 'same', got {padding!r}")

    def _pool_nchw(self, x):
        raise NotImplementedError

    def call(self, inputs):
        if inputs.ndim != self.rank + 2:
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: input has shape {tuple(inputs.shape)}, "
                f"expected rank {self.rank + 2} (channels last)"
            )
        x = inputs if self.rank == 2 else reshape(inputs, inputs.shape[0], 1, *inputs.shape[1:])
        out = permute(self._pool_nchw(permute(x, 0, 3, 1, 2)), 0, 2, 3, 1)
        return out if self.rank == 2 else reshape(out, out.shape[0], out.shape[2], out.shape[3])

    def _geometry(self, x):
        kernel, stride = self.pool_size, self.strides
        if self.rank == 1:
            kernel, stride = (1, *kernel), (1, *stride)
        pads = (0, 0, 0, 0)
        if self.padding == "same":
            pads = (
                *same_padding(kernel[0], 1, stride[0], x.shape[2]),
                *same_padding(kernel[1], 1, stride[1], x.shape[3]),
            )
        return kernel, stride, pads

    def compute_output_shape(self, input_shape):
        spatial = [
            out_size(n, k, s, self.padding)
            for n, k, s in zip(input_shape[1:-1], self.pool_size, self.strides)
        ]
        return (input_shape[0], *spatial, input_shape[-1])


def _pad(x, pads, value):
    top, bottom, left, right = pads
    return movement.pad(x, (left, right, top, bottom), value=value)


class MaxPooling2D(_Pooling2D):
    def _pool_nchw(self, x):
        kernel, stride, pads = self._geometry(x)
        if any(pads):
            x = _pad(x, pads, float("-inf"))
        return max_pool2d(x, kernel, stride)


class AveragePooling2D(_Pooling2D):
    """Mean over each window. With 'same' padding, as Keras on its torch backend: when the
    padding is even on both sides the padded pixels are left out of each mean; when it is
    uneven the input is padded by repeating its edge pixels and every window counts them."""

    def _pool_nchw(self, x):
        kernel, stride, pads = self._geometry(x)
        if not any(pads):
            return avg_pool2d(x, kernel, stride)
        top, bottom, left, right = pads
        if top == bottom and left == right:
            ones = Tensor(x.numpy()[:1, :1] * 0 + 1)
            total = avg_pool2d(_pad(x, pads, 0.0), kernel, stride)
            count = avg_pool2d(_pad(ones, pads, 0.0), kernel, stride)
            return total / count
        h, w = x.shape[2], x.shape[3]
        rows = np.clip(np.arange(-top, h + bottom), 0, h - 1)
        cols = np.clip(np.arange(-left, w + right), 0, w - 1)
        padded = Index.apply(x, key=(slice(None), slice(None), rows[:, None], cols[None, :]))
        return avg_pool2d(padded, kernel, stride)


class MaxPooling1D(MaxPooling2D):
    rank = 1

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(AveragePooling2D):
    rank = 1

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class _GlobalPooling(Layer):
    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{type(self).__name__}: only channels_last is supported")
        self.keepdims = keepdims

    def _axes(self, inputs):
        return tuple(range(1, inputs.ndim - 1))

    def compute_output_shape(self, input_shape):
        if self.keepdims:
            return (input_shape[0], *([1] * (len(input_shape) - 2)), input_shape[-1])
        return (input_shape[0], input_shape[-1])


class GlobalAveragePooling2D(_GlobalPooling):
    """(batch, h, w, c) -> (batch, c): the mean over all positions."""

    def call(self, inputs):
        return mean(inputs, dim=self._axes(inputs), keepdim=self.keepdims)


class GlobalMaxPooling2D(_GlobalPooling):
    def call(self, inputs):
        return amax(inputs, dim=self._axes(inputs), keepdim=self.keepdims)


class GlobalAveragePooling1D(GlobalAveragePooling2D):
    """(batch, steps, c) -> (batch, c)."""


class GlobalMaxPooling1D(GlobalMaxPooling2D):
    """(batch, steps, c) -> (batch, c)."""


MaxPool2D, AvgPool2D, GlobalAvgPool2D = MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D
