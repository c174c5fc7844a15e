"""2-d convolution as plain im2col and one matrix product, from Tensor ops.

The readable reference of :class:`gradlab.ops.conv.Conv2dOp` (which does the same work
channels-last with pooled buffers, a hand-written backward and no graph inside). Here each
kernel offset (i, j) is a strided slice of the padded input, the slices are stacked into the
im2col matrix, and autograd differentiates the slices, the stack and the product.
"""

from __future__ import annotations

from gradlab.ops.conv import conv_output_hw
from gradlab.ops.movement import pad, stack

__all__ = ["conv2d", "window_slices"]


def window_slices(x, kernel, stride, dilation, out_hw):
    """For each kernel offset (i, j) in row-major order, the input pixel that every output
    position sees: a list of kh*kw tensors (N, C, Ho, Wo), strided slices of x (N, C, H, W)."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    return [
        x[:, :, i * dh : i * dh + sh * (ho - 1) + 1 : sh, j * dw : j * dw + sw * (wo - 1) + 1 : sw]
        for i in range(kh)
        for j in range(kw)
    ]


def conv2d(x, weight, bias=None, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1),
           groups=1):  # fmt: skip
    """Cross-correlation of x (N, C, H, W) with weight (O, C / groups, kh, kw), plus bias (O,).

    ``padding`` is (top, bottom, left, right) of zeros. Returns (N, O, Ho, Wo) with
    Ho = (H + top + bottom - dh*(kh - 1) - 1) // sh + 1, and Wo likewise. With ``groups`` G,
    output channels [g*O/G, (g+1)*O/G) see only input channels [g*C/G, (g+1)*C/G).
    """
    n, c, _, _ = x.shape
    o, _, kh, kw = weight.shape
    g = groups
    top, bottom, left, right = padding
    ho, wo = conv_output_hw(x.shape, weight.shape, stride, padding, dilation)
    if any(padding):
        x = pad(x, (left, right, top, bottom))
    patches = window_slices(x, (kh, kw), stride, dilation, (ho, wo))
    # im2col: one column per output position, one row per (channel, kernel offset), by group
    cols = stack(patches, dim=2).reshape(n, g, c // g * kh * kw, ho * wo)
    # every window times every filter of its group: (G, O/G, K) @ (N, G, K, Ho*Wo)
    out = weight.reshape(g, o // g, c // g * kh * kw) @ cols
    out = out.reshape(n, o, ho * wo)
    if bias is not None:
        out = out + bias.reshape(1, o, 1)
    return out.reshape(n, o, ho, wo)
