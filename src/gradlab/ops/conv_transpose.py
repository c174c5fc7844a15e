"""Transposed 2-d convolution (the gradient of a convolution with respect to its input).

Each input pixel scatters ``x[n, c, h, w] * weight[c, :, i, j]`` to output position
``(h*sh + i*dh - top, w*sw + j*dw - left)``; the op adds the kernel offsets (i, j) one at a
time into an uncropped buffer and crops the padding off. Backward gathers the same positions.
"""

from __future__ import annotations

import numpy as np

from gradlab.autograd import Function
from gradlab.backend import array_module
from gradlab.ops.windows import transposed_out_size


def conv_transpose_output_hw(x_shape, w_shape, stride, padding, dilation, output_padding):
    """(Ho, Wo) with ``Ho = (H - 1)*sh - 2*ph + dh*(kh - 1) + output_padding_h + 1``."""
    return tuple(
        transposed_out_size(size, k, s, p, d, op)
        for size, k, s, p, d, op in zip(
            x_shape[2:], w_shape[2:], stride, padding, dilation, output_padding
        )
    )


class ConvTranspose2dOp(Function):
    """x (N, C_in, H, W), weight (C_in, C_out, kh, kw), optional bias (C_out,) ->
    (N, C_out, Ho, Wo). Settings ``stride``, ``padding`` (ph, pw), ``dilation``,
    ``output_padding``; validated by :func:`gradlab.nn.conv_transpose.conv_transpose2d`."""

    __slots__ = ()

    def forward(self, x, weight, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1),
                output_padding=(0, 0)):  # fmt: skip
        xp = array_module(x)
        n, _, h, w = x.shape
        _, cout, kh, kw = weight.shape
        ho, wo = conv_transpose_output_hw(x.shape, weight.shape, stride, padding, dilation,
                                          output_padding)  # fmt: skip
        (sh, sw), (dh, dw), (ph, pw) = stride, dilation, padding
        full = xp.zeros((n, cout, ph + ho + ph + sh, pw + wo + pw + sw), np.result_type(x, weight))
        for i in range(kh):
            for j in range(kw):
                contribution = xp.einsum("nchw,co->nohw", x, weight[:, :, i, j])
                full[:, :, i * dh : i * dh + (h - 1) * sh + 1 : sh,
                     j * dw : j * dw + (w - 1) * sw + 1 : sw] += contribution  # fmt: skip
        out = full[:, :, ph : ph + ho, pw : pw + wo]
        if bias is not None:
            out = out + bias[:, None, None]
        self.saved = (x, weight, full.shape, stride, padding, dilation)
        return xp.ascontiguousarray(out)

    def backward(self, grad):
        xp = array_module(grad)
        x, weight, full_shape, (sh, sw), (ph, pw), (dh, dw) = self.saved
        _, _, h, w = x.shape
        _, _, kh, kw = weight.shape
        ho, wo = grad.shape[2:]
        full = xp.zeros(full_shape, grad.dtype)
        full[:, :, ph : ph + ho, pw : pw + wo] = grad
        dx = xp.zeros_like(x) if self.needs_input_grad(0) else None
        dw_ = xp.zeros_like(weight) if self.needs_input_grad(1) else None
        for i in range(kh):
            for j in range(kw):
                part = full[:, :, i * dh : i * dh + (h - 1) * sh + 1 : sh,
                            j * dw : j * dw + (w - 1) * sw + 1 : sw]  # fmt: skip
                if dx is not None:
                    dx += xp.einsum("nohw,co->nchw", part, weight[:, :, i, j])
                if dw_ is not None:
                    dw_[:, :, i, j] = xp.einsum("nchw,nohw->co", x, part)
        if len(self.inputs) > 2:
            db = grad.sum(axis=(0, 2, 3)) if self.needs_input_grad(2) else None
            return dx, dw_, db
        return dx, dw_

    def composite(self, x, weight, bias=None):  # the forward in primitive ops, for create_graph
        xp = array_module(x)
        from gradlab.ops.movement import Index, IndexGrad
        from gradlab.ops.products import Einsum

        x_array, w_array, full_shape, (sh, sw), (ph, pw), (dh, dw) = self.saved
        (_, _, h, w), (_, cout, kh, kw) = x_array.shape, w_array.shape
        parts = Einsum.apply(x, weight, terms=("nchw", "cokl"), output="nohwkl")
        rows = (xp.arange(h) * sh)[:, None, None, None] + (xp.arange(kh) * dh)[None, None, :, None]
        cols = (xp.arange(w) * sw)[None, :, None, None] + (xp.arange(kw) * dw)[None, None, None, :]
        full = IndexGrad.apply(parts, shape=full_shape, key=(slice(None), slice(None), rows, cols))
        ho, wo = full_shape[2] - 2 * ph - sh, full_shape[3] - 2 * pw - sw
        out = Index.apply(
            full, key=(slice(None), slice(None), slice(ph, ph + ho), slice(pw, pw + wo))
        )
        return out if bias is None else out + bias.reshape(cout, 1, 1)
