"""2-d convolution as im2col and one GEMM, channels-last inside; and the buffer pool it uses.

Layout. The interface is NCHW (PyTorch's), but the work is done on NHWC arrays: the output
is an NHWC buffer returned as its NCHW *view* (``out.transpose(0, 3, 1, 2)``), so a chain
conv -> relu -> pool -> conv stays channels-last in memory (numpy's ufuncs keep the layout)
and the next conv reads its input with no copy. NCHW-contiguous inputs work too (one
strided gather); with a few channels (an image batch into the first layer) they are gathered
straight into transposed columns, with a row of ones that carries the bias through the GEMMs
(:func:`nchw_cols`).

Forward, for x (N, C, H, W), weight (O, C, kh, kw), output (N, O, Ho, Wo)::

    cols (N*Ho*Wo, kh*kw*C) = sliding windows of the padded NHWC input (one strided copy)
    out  (N*Ho*Wo, O)       = cols @ weight.transpose(2, 3, 1, 0).reshape(kh*kw*C, O) + bias

Backward: dweight = grad.T @ cols, dbias = grad summed over N, Ho, Wo, and dx as one GEMM per
kernel offset (grad @ weight[:, :, i, j]) added into a strided view of the padded dx buffer
(contiguous adds; never ``np.add.at``). dx is skipped when the input needs no gradient.

Convolution here is memory-bound, and fresh multi-megabyte arrays each step cost page
faults, so the large work arrays (the im2col matrix kept for backward, padded copies, the
per-offset products) are taken from the buffer pool of :mod:`gradlab._fast.buffers` and given
back when the op, or the node after backward, is done with them. Outputs and returned
gradients, which a user may keep, are allocated normally.

The readable reference, im2col from Tensor ops with autograd's backward, is
:func:`gradlab.nn.reference.conv.conv2d`; the tests compare the two.
"""

from __future__ import annotations

from numpy.lib.stride_tricks import as_strided

from gradlab._fast.buffers import POOL
from gradlab.autograd import Function
from gradlab.backend import xp
from gradlab.ops.windows import window_out_size

__all__ = [
    "Conv2dOp",
    "conv_output_hw",
    "im2col",
    "weight_matrix",
    "add_input_grad",
]


def nhwc_padded(xn, padding, fill=0.0):
    """An NHWC view ``xn`` (N, H, W, C) padded by (top, bottom, left, right) with ``fill``,
    in a buffer the caller owns (give it back to :data:`POOL`); ``xn`` itself when there is
    no padding."""
    top, bottom, left, right = padding
    if not (top or bottom or left or right):
        return xn
    n, h, w, c = xn.shape
    out = POOL.take((n, h + top + bottom, w + left + right, c), xn.dtype)
    out[:, :top] = fill
    out[:, top + h :] = fill
    out[:, top : top + h, :left] = fill
    out[:, top : top + h, left + w :] = fill
    out[:, top : top + h, left : left + w] = xn
    return out


def windows(xp_, kh, kw, stride, dilation, ho, wo):
    """Strided view (N, Ho, Wo, kh, kw, C) of the windows of a padded NHWC array (no copy)."""
    s0, s1, s2, s3 = xp_.strides
    sh, sw = stride
    dh, dw = dilation
    return as_strided(
        xp_,
        (xp_.shape[0], ho, wo, kh, kw, xp_.shape[3]),
        (s0, s1 * sh, s2 * sw, s1 * dh, s2 * dw, s3),
        writeable=False,
    )


NCHW_GATHER_MAX_CHANNELS = 4
"""NCHW-contiguous inputs with at most this many channels (images: the first layer) are
gathered straight into transposed columns by :func:`nchw_cols`, faster there than the NHWC
copy plus the window gather (figures in benchmarks/results/cnn.md)."""


def nchw_cols(x, kh, kw, stride, padding, dilation, ho, wo, ones=False):
    """The im2col matrix (N*Ho*Wo, kh*kw*C) of an NCHW-contiguous ``x``, as the transposed
    view of a (kh, kw, C, N, Ho, Wo) buffer: the gather reads runs of Wo contiguous inputs
    (an NHWC gather of a few channels reads runs of only kw*C). Same row and column order as
    the NHWC path, so the weight matrix and backward are shared. ``ones``: one more column
    of ones (a contiguous row of the buffer), so that the GEMM adds the bias and the weight
    gradient's GEMM sums the bias gradient. The buffer is the caller's (from :data:`POOL`)."""
    n, c, h, w = x.shape
    top, bottom, left, right = padding
    if top or bottom or left or right:
        padded = POOL.take((n, c, h + top + bottom, w + left + right), x.dtype)
        padded[:, :, :top] = 0
        padded[:, :, top + h :] = 0
        padded[:, :, top : top + h, :left] = 0
        padded[:, :, top : top + h, left + w :] = 0
        padded[:, :, top : top + h, left : left + w] = x
        x = padded
    s0, s1, s2, s3 = x.strides
    sh, sw = stride
    dh, dw = dilation
    gathered = as_strided(
        x, (kh, kw, c, n, ho, wo), (s2 * dh, s3 * dw, s1, s0, s2 * sh, s3 * sw), writeable=False
    )
    k, m = kh * kw * c, n * ho * wo
    cols_t = POOL.take((k + 1 if ones else k, m), x.dtype)
    xp.copyto(cols_t[:k].reshape(kh, kw, c, n, ho, wo), gathered)
    POOL.give(x)  # the padded copy, when there is one
    if ones:
        cols_t[k] = 1
    return cols_t.T


def offset_view(a, i, j, stride, dilation, ho, wo):
    """a[:, i*dh + sh*oh, j*dw + sw*ow, :] for oh < ho, ow < wo: kernel offset (i, j)'s inputs."""
    sh, sw = stride
    h0 = i * dilation[0]
    w0 = j * dilation[1]
    return a[:, h0 : h0 + sh * (ho - 1) + 1 : sh, w0 : w0 + sw * (wo - 1) + 1 : sw]


def conv_output_hw(x_shape, w_shape, stride, padding, dilation) -> tuple[int, int]:
    """(Ho, Wo) of a convolution of x (N, C, H, W) with weight (O, C, kh, kw)."""
    top, bottom, left, right = padding
    ho = window_out_size(x_shape[2], w_shape[2], stride[0], (top, bottom), dilation[0])
    wo = window_out_size(x_shape[3], w_shape[3], stride[1], (left, right), dilation[1])
    return ho, wo


def im2col(x, kh, kw, stride, padding, dilation, ho, wo, dtype, bias_column):
    """The im2col matrix (N*ho*wo, kh*kw*C) of x (N, C, H, W) for the output positions
    oh < ho, ow < wo (fewer than the full output when a caller needs only those), columns
    ordered (i, j, c). ``bias_column``: the small-channel gather adds a column of ones (see
    :func:`nchw_cols`); the caller tells by the width. A 1x1 convolution's matrix is the NHWC
    input itself, when that is contiguous; otherwise it is a view of a :data:`POOL` buffer
    that the caller owns (``POOL.give(cols.base)`` hands it back)."""
    n, c, h, w = x.shape
    m = n * ho * wo
    xn = x.transpose(0, 2, 3, 1)
    if xn.dtype != dtype:
        xn = xn.astype(dtype)
    if (kh == kw == 1 and stride == (1, 1) and not any(padding) and xn.flags.c_contiguous
            and (ho, wo) == (h, w)):  # fmt: skip
        return xn.reshape(m, c)  # a 1x1 convolution is a plain GEMM on the NHWC input
    if c <= NCHW_GATHER_MAX_CHANNELS and x.flags.c_contiguous and x.dtype == dtype:
        return nchw_cols(x, kh, kw, stride, padding, dilation, ho, wo, bias_column)
    if any(padding):
        xp_ = nhwc_padded(xn, padding)
    elif not xn.flags.c_contiguous:
        # an NCHW input: one transposing copy first makes the window gather read
        # contiguous runs (faster than gathering across channel planes directly)
        xp_ = POOL.take(xn.shape, dtype)
        xp.copyto(xp_, xn)
    else:
        xp_ = xn
    cols = POOL.take((n, ho, wo, kh, kw, c), dtype)
    xp.copyto(cols, windows(xp_, kh, kw, stride, dilation, ho, wo))
    POOL.give(xp_)  # the padded or transposed copy, when there is one
    return cols.reshape(m, kh * kw * c)


def weight_matrix(weight, bias, width, dtype):
    """weight (O, C, kh, kw) as the (kh*kw*C, O) right-hand side of the im2col GEMM, with the
    bias as one more row when the columns (``width`` wide) carry a column of ones."""
    o, c, kh, kw = weight.shape
    k = kh * kw * c
    w2 = weight.transpose(2, 3, 1, 0).reshape(k, o).astype(dtype, copy=False)
    if width > k:  # the bias rides in the GEMM as a last row of the weights
        w2 = xp.concatenate([w2, bias.reshape(1, o).astype(dtype, copy=False)])
    return w2


def weight_grad(dw_full, w_shape):
    """The weight gradient (O, C, kh, kw) from the GEMM's (O, kh*kw*C [+ 1]) result, whose
    extra last column, when there is one, is the bias gradient."""
    o, c, kh, kw = w_shape
    k = kh * kw * c
    return xp.ascontiguousarray(dw_full[:, :k].reshape(o, kh, kw, c).transpose(0, 3, 1, 2))


def windows_graph(x, pads, fill, kernel, stride, dilation, ho, wo):
    """The windows of a Tensor x (N, C, H, W) as a Tensor (N, C, Ho, Wo, kh*kw), offsets in
    row-major order, padded by ``pads`` (top, bottom, left, right) with ``fill``: recorded
    indexing, for the ``composite`` forms that create_graph differentiates."""
    from gradlab.ops.movement import getitem, pad

    top, bottom, left, right = pads
    if top or bottom or left or right:
        x = pad(x, (left, right, top, bottom), value=fill)
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    rows = (xp.arange(ho) * sh)[:, None, None, None] + (xp.arange(kh) * dh)[None, None, :, None]
    cols = (xp.arange(wo) * sw)[None, :, None, None] + (xp.arange(kw) * dw)[None, None, None, :]
    patches = getitem(x, (slice(None), slice(None), rows, cols))  # (N, C, Ho, Wo, kh, kw)
    return patches.reshape(*patches.shape[:4], kh * kw)


def conv2d_graph(x, weight, bias, stride, padding, dilation):
    """Conv2dOp's forward on Tensors, as windows and one matmul (recorded)."""
    from gradlab.tensor import Tensor

    x = x if isinstance(x, Tensor) else Tensor(x)
    weight = weight if isinstance(weight, Tensor) else Tensor(weight)
    n, c = x.shape[:2]
    o, _, kh, kw = weight.shape
    ho, wo = conv_output_hw(x.shape, weight.shape, stride, padding, dilation)
    patches = windows_graph(x, padding, 0.0, (kh, kw), stride, dilation, ho, wo)
    cols = patches.permute(0, 2, 3, 1, 4).reshape(n * ho * wo, c * kh * kw)
    out = cols @ weight.reshape(o, c * kh * kw).t()
    if bias is not None:
        out = out + bias
    return out.reshape(n, ho, wo, o).permute(0, 3, 1, 2)


class Conv2dOp(Function):
    """Cross-correlation of x (N, C, H, W) with weight (O, C, kh, kw), plus bias (O,) if given.

    Settings: ``stride`` (sh, sw), ``padding`` (top, bottom, left, right) of zeros,
    ``dilation`` (dh, dw); already validated by :func:`gradlab.nn.conv.conv2d`.
    Returns (N, O, Ho, Wo) as a view of an NHWC buffer.
    """

    __slots__ = ("buffers",)  # the im2col matrix's pool buffer, given back by release()

    def forward(self, x, weight, bias=None, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1)):
        n, c, h, w = x.shape
        o, _, kh, kw = weight.shape
        dtype = xp.result_type(x, weight)
        ho, wo = conv_output_hw(x.shape, weight.shape, stride, padding, dilation)
        cols = im2col(x, kh, kw, stride, padding, dilation, ho, wo, dtype, bias is not None)
        w2 = weight_matrix(weight, bias, cols.shape[1], dtype)
        out = xp.empty((n * ho * wo, o), dtype)
        xp.matmul(cols, w2, out=out)
        if bias is not None and cols.shape[1] == kh * kw * c:  # no column of ones
            out += bias
        self.saved = (cols, w2, x.shape, weight.shape, stride, padding, dilation)
        self.buffers = cols.base
        return out.reshape(n, ho, wo, o).transpose(0, 3, 1, 2)

    def release(self):
        POOL.give(self.buffers)

    def backward(self, grad):
        cols, w2, x_shape, w_shape, stride, padding, dilation = self.saved
        n, c, h, w = x_shape
        o, _, kh, kw = w_shape
        _, _, ho, wo = grad.shape
        m = n * ho * wo
        gn = grad.transpose(0, 2, 3, 1)
        buffer = None
        if not gn.flags.c_contiguous or gn.dtype != cols.dtype:
            buffer = POOL.take(gn.shape, cols.dtype)
            xp.copyto(buffer, gn)
            gn = buffer
        g2 = gn.reshape(m, o)
        k = kh * kw * c
        dx = dw = db = None
        if self.needs_input_grad(1):
            dw_full = g2.T @ cols  # (O, k), or (O, k + 1) with the column of ones
            dw = weight_grad(dw_full, w_shape)
        if len(self.inputs) > 2 and self.needs_input_grad(2):
            if cols.shape[1] > k:  # the column of ones: db is the GEMM's last column
                db = xp.ascontiguousarray(dw_full[:, k]) if dw is not None else g2.T @ cols[:, k]
            else:
                db = xp.einsum("mo->o", g2)  # several times faster than g2.sum(axis=0) here
        if self.needs_input_grad(0):
            dx = self._grad_input(g2, w2[:k], x_shape, kh, kw, ho, wo, stride, padding, dilation)
        POOL.give(buffer)
        if len(self.inputs) > 2:
            return dx, dw, db
        return dx, dw

    def composite(self, x, weight, bias=None):  # the forward in primitive ops, for create_graph
        stride, padding, dilation = self.saved[4:7]
        return conv2d_graph(x, weight, bias, stride, padding, dilation)

    @staticmethod
    def _grad_input(g2, w2, x_shape, kh, kw, ho, wo, stride, padding, dilation):
        n, c, h, w = x_shape
        top, bottom, left, right = padding
        if kh == kw == 1 and stride == (1, 1) and not any(padding):
            return (g2 @ w2.T).reshape(n, h, w, c).transpose(0, 3, 1, 2)
        dxp = xp.zeros((n, h + top + bottom, w + left + right, c), g2.dtype)  # dx is its view
        add_input_grad(g2, w2, dxp, kh, kw, ho, wo, stride, dilation)
        return dxp[:, top : top + h, left : left + w].transpose(0, 3, 1, 2)


def add_input_grad(g2, w2, dxp, kh, kw, ho, wo, stride, dilation):
    """Add the input gradient of the output positions oh < ho, ow < wo into ``dxp``
    (N, H_padded, W_padded, C), from g2 (N*ho*wo, O) and the weight matrix w2 (kh*kw*C, O):
    one GEMM per kernel offset and a contiguous add into a strided view (never np.add.at)."""
    n, c = dxp.shape[0], dxp.shape[3]
    part = POOL.take((n * ho * wo, c), g2.dtype)
    part4 = part.reshape(n, ho, wo, c)
    w4 = w2.reshape(kh, kw, c, -1)
    for i in range(kh):
        for j in range(kw):
            xp.matmul(g2, w4[i, j].T, out=part)
            view = offset_view(dxp, i, j, stride, dilation, ho, wo)
            xp.add(view, part4, out=view)
    POOL.give(part)
