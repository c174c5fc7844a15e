"""2-d pooling from Tensor ops: every window's elements as kh*kw strided slices, then a max or
a mean across them.

The readable reference of :mod:`gradlab.ops.pool` (whose ops visit the same kernel offsets on
raw arrays, with masks or argmax offsets kept for a hand-written backward). Here autograd
differentiates the slices and the reduction: ``max`` sends each window's gradient to its
first maximum in row-major order, as PyTorch does.
"""

from __future__ import annotations

from gradlab import creation
from gradlab.nn.reference.conv import window_slices
from gradlab.ops.movement import pad, stack
from gradlab.ops.windows import window_out_size

__all__ = ["max_pool2d", "max_pool2d_indices", "avg_pool2d", "adaptive_avg_pool2d"]


def _padded_windows(x, kernel, stride, padding, dilation, ceil_mode, fill):
    """(N, C, kh*kw, Ho, Wo): the windows of x (N, C, H, W) padded with ``fill`` by
    ``padding`` (ph, pw) on each side, and on the bottom/right as far as ceil mode's last
    window reaches."""
    h, w = x.shape[2:]
    ho = window_out_size(h, kernel[0], stride[0], padding[0], dilation[0], ceil_mode)
    wo = window_out_size(w, kernel[1], stride[1], padding[1], dilation[1], ceil_mode)
    (ph, pw), (sh, sw), (dh, dw), (kh, kw) = padding, stride, dilation, kernel
    eh = max(0, (ho - 1) * sh + dh * (kh - 1) + 1 - h - 2 * ph)  # ceil mode's last window
    ew = max(0, (wo - 1) * sw + dw * (kw - 1) + 1 - w - 2 * pw)
    if ph or pw or eh or ew:
        x = pad(x, (pw, pw + ew, ph, ph + eh), value=fill)
    return stack(window_slices(x, kernel, stride, dilation, (ho, wo)), dim=2)


def max_pool2d(x, kernel=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1),
               ceil_mode=False):  # fmt: skip
    """Max over each window of x (N, C, H, W) -> (N, C, Ho, Wo); padding counts as -inf."""
    windows = _padded_windows(x, kernel, stride, padding, dilation, ceil_mode, -float("inf"))
    return windows.max(dim=2).values


def max_pool2d_indices(x, kernel=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1),
                       ceil_mode=False):  # fmt: skip
    """int64 (N, C, Ho, Wo): where in each (H, W) plane of x the window's first maximum is,
    as the flat index h * W + w (PyTorch's ``return_indices``)."""
    windows = _padded_windows(x, kernel, stride, padding, dilation, ceil_mode, -float("inf"))
    k = windows.max(dim=2).indices  # the kernel offset of each maximum, row-major
    ho, wo, width = k.shape[2], k.shape[3], x.shape[3]
    top = creation.arange(ho, device=x.device).reshape(ho, 1) * stride[0] - padding[0]
    left = creation.arange(wo, device=x.device) * stride[1] - padding[1]
    # kernel offset (i, j) lies i*dh rows and j*dw columns from its window's corner
    steps = [i * dilation[0] * width + j * dilation[1]
             for i in range(kernel[0]) for j in range(kernel[1])]  # fmt: skip
    return top * width + left + creation.tensor(steps, device=x.device)[k]


def _window_counts(size, k, s, p, out, include_pad):
    """How many elements each window along one axis averages, as PyTorch's avg_pool2d: a
    window may reach into the padding (counted with ``include_pad``), never past it."""
    counts = []
    for i in range(out):
        start, end = i * s - p, min(i * s - p + k, size + p)
        counts.append(end - start if include_pad else min(end, size) - max(start, 0))
    return counts


def avg_pool2d(x, kernel=(2, 2), stride=(2, 2), padding=(0, 0), ceil_mode=False,
               count_include_pad=True, divisor=None):  # fmt: skip
    """Mean over each window of x (N, C, H, W) -> (N, C, Ho, Wo); padding counts as 0. The
    divisor is ``divisor`` if given, else the window's size with or without its padding."""
    windows = _padded_windows(x, kernel, stride, padding, (1, 1), ceil_mode, 0.0)
    total = windows.sum(dim=2)
    if divisor is not None:
        return total / divisor
    ho, wo = total.shape[2:]
    rows = _window_counts(x.shape[2], kernel[0], stride[0], padding[0], ho, count_include_pad)
    cols = _window_counts(x.shape[3], kernel[1], stride[1], padding[1], wo, count_include_pad)
    counts = creation.tensor([[r * c for c in cols] for r in rows], dtype=x.dtype, device=x.device)
    return total / counts


def adaptive_avg_pool2d(x, output_size=(1, 1)):
    """Mean of x (N, C, H, W) over PyTorch's adaptive windows -> (N, C, Ho, Wo): window i
    along an axis of size S spans [floor(i*S/Ho), ceil((i+1)*S/Ho))."""
    (h, w), (ho, wo) = x.shape[2:], output_size
    rows = []
    for i in range(ho):
        top, bottom = (i * h) // ho, -((-(i + 1) * h) // ho)
        row = []
        for j in range(wo):
            left, right = (j * w) // wo, -((-(j + 1) * w) // wo)
            row.append(x[:, :, top:bottom, left:right].mean(dim=(2, 3)))
        rows.append(stack(row, dim=2))
    return stack(rows, dim=2)
