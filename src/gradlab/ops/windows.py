"""The size of a sliding window's output along one axis: the one formula behind convolution,
pooling, transposed convolution and 'same' padding (PyTorch's and Keras's layers alike).

A window of ``kernel`` taps spaced ``dilation`` apart spans ``dilation*(kernel - 1) + 1``
positions. Slid by ``stride`` over an input of ``size`` padded by ``before`` and ``after``,
it fits

    out = floor((size + before + after - span) / stride) + 1

times; pooling's ``ceil_mode`` rounds up instead, but the last window must still start
inside the input or its left padding. A transposed convolution maps ``out`` back to ``size``.
"""

from __future__ import annotations

__all__ = ["same_padding", "transposed_out_size", "window_out_size", "window_span"]


def window_span(kernel: int, dilation: int = 1) -> int:
    """Positions covered by ``kernel`` taps ``dilation`` apart: ``dilation*(kernel-1) + 1``."""
    return dilation * (kernel - 1) + 1


def window_out_size(size: int, kernel: int, stride: int = 1, padding=0, dilation: int = 1,
                    ceil_mode: bool = False) -> int:  # fmt: skip
    """Output length of a window slid over ``size`` inputs; ``padding`` is an int (each
    side) or ``(before, after)``. ``window_out_size(32, 6, 2, 1) == 15``."""
    before, after = (padding, padding) if isinstance(padding, int) else padding
    room = size + before + after - window_span(kernel, dilation)
    out = (room + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + before:
        out -= 1
    return out


def transposed_out_size(size: int, kernel: int, stride: int = 1, padding: int = 0,
                        dilation: int = 1, output_padding: int = 0) -> int:  # fmt: skip
    """Output length of a transposed convolution (the input length of the convolution it
    is the gradient of): ``(size-1)*stride - 2*padding + span + output_padding``."""
    return (size - 1) * stride - 2 * padding + window_span(kernel, dilation) + output_padding


def same_padding(kernel: int, dilation: int = 1, stride: int = 1, size: int | None = None):
    """``(before, after)`` zero padding for 'same': ``ceil(size / stride)`` outputs, the odd
    pixel after (TensorFlow's and PyTorch's rule). ``size`` matters only when ``stride > 1``."""
    if stride == 1:
        total = window_span(kernel, dilation) - 1
    else:
        if size is None:
            raise ValueError("same_padding: a strided 'same' padding depends on the input size")
        out = -(-size // stride)
        total = max((out - 1) * stride + window_span(kernel, dilation) - size, 0)
    return total // 2, total - total // 2
