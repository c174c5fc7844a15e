"""A convolutional block, conv2d -> relu -> 2x2 max pooling, as one op run a few images at a time.

The separate ops each stream a whole batch's conv output (64 x 30 x 30 x 32 floats, 7.4 MB, in
the notes' CIFAR network) through memory: the GEMM writes it, pooling reads it, and backward
writes and reads its gradient again. Run in chunks of images whose conv output fits in the
per-core L2 cache (:data:`CHUNK_BYTES`), each chunk's GEMM output is pooled while it is still
in cache, and in backward each chunk's output gradient goes straight into the weight gradient's
GEMM. Floor-mode 2x2 pooling never reads the last row or column of an odd-sized output, so
those are not computed at all.

:class:`gradlab.nn.Sequential` runs its three layers on this op (see :mod:`gradlab.nn.fusion`);
the node's :attr:`~gradlab.autograd.Function.parts` name them, so ``grad_fn.next_functions``
and a rendered graph still show the three layers.

Values are those of :class:`~gradlab.ops.conv.Conv2dOp` followed by
:class:`~gradlab.ops.pool.ReluMaxPool2dOp`; the weight gradient is summed chunk by chunk, so
its last bits can differ from the one-GEMM sum, as any change of summation order does.
"""

from __future__ import annotations

from gradlab._fast.buffers import POOL
from gradlab.autograd import Function
from gradlab.backend import xp
from gradlab.ops.conv import add_input_grad, conv_output_hw, im2col, weight_grad, weight_matrix
from gradlab.ops.pool import max_pool_2x2, max_pool_2x2_backward

__all__ = ["ConvReluMaxPool2dOp", "CHUNK_BYTES", "MAX_CHUNKS"]

CHUNK_BYTES = 1 << 19
"""Conv output per chunk, at most (unless one image's is larger): 512 KiB, half a core's L2."""

MAX_CHUNKS = 8
"""At most this many chunks: each keeps its im2col matrix (a pool buffer) for backward, and
the buffer pool keeps 8 free arrays of a shape for reuse (``BufferPool.per_key``)."""


def chunk_size(n: int, bytes_per_image: int) -> int:
    """Images per chunk: as many as fit in :data:`CHUNK_BYTES`, at least one, and enough that
    there are no more than :data:`MAX_CHUNKS` chunks."""
    fit = max(1, CHUNK_BYTES // max(bytes_per_image, 1))
    return max(fit, -(-n // MAX_CHUNKS))


class ConvReluMaxPool2dOp(Function):
    """``max_pool2d(relu(conv2d(x, weight, bias, stride, padding, dilation)), 2)``.

    x (N, C, H, W), weight (O, C, kh, kw), bias (O,) or None; the conv output (N, O, Ho, Wo)
    must be at least 2x2 (settings validated by the caller, :mod:`gradlab.nn.fusion`).
    Returns (N, O, Ho // 2, Wo // 2) as the NCHW view of an NHWC buffer.
    """

    __slots__ = ("buffers",)  # the chunks' im2col pool buffers, given back by release()
    parts = ("Conv2dOp", "Relu", "MaxPool2dOp")

    def forward(self, x, weight, bias=None, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1)):
        n = x.shape[0]
        o, c, kh, kw = weight.shape
        dtype = xp.result_type(x, weight)
        ho, wo = conv_output_hw(x.shape, weight.shape, stride, padding, dilation)
        hp, wp = ho // 2, wo // 2
        hu, wu = 2 * hp, 2 * wp  # the conv outputs that pooling reads
        step = chunk_size(n, hu * wu * o * xp.dtype(dtype).itemsize)
        pooled = xp.empty((n, hp, wp, o), dtype)
        chunks = []
        w2 = None
        for start in range(0, n, step):
            stop = min(start + step, n)
            cols = im2col(x[start:stop], kh, kw, stride, padding, dilation, hu, wu, dtype,
                          bias is not None)  # fmt: skip
            if w2 is None:
                w2 = weight_matrix(weight, bias, cols.shape[1], dtype)
            out = POOL.take((cols.shape[0], o), dtype)
            xp.matmul(cols, w2, out=out)
            if bias is not None and cols.shape[1] == kh * kw * c:  # no column of ones
                out += bias
            _, masks = max_pool_2x2(out.reshape(stop - start, hu, wu, o), hp, wp, relu=True,
                                    out=pooled[start:stop])  # fmt: skip
            POOL.give(out)
            chunks.append((start, stop, cols, masks))
        self.saved = (chunks, w2, x.shape, weight.shape, stride, padding, dilation, (hu, wu))
        self.buffers = [cols.base for _, _, cols, _ in chunks]
        return pooled.transpose(0, 3, 1, 2)

    def release(self):
        POOL.give(*self.buffers)

    def composite(self, x, weight, bias=None):  # the forward in primitive ops, for create_graph
        from gradlab.ops.activation import relu
        from gradlab.ops.conv import conv2d_graph
        from gradlab.ops.pool import max_pool_graph

        stride, padding, dilation = self.saved[4:7]
        out = relu(conv2d_graph(x, weight, bias, stride, padding, dilation))
        return max_pool_graph(out, (0, 0, 0, 0), (2, 2), (2, 2), (1, 1))

    def backward(self, grad):
        chunks, w2, x_shape, w_shape, stride, padding, dilation, (hu, wu) = self.saved
        n, c, h, w = x_shape
        o, _, kh, kw = w_shape
        k = kh * kw * c
        g = grad.transpose(0, 2, 3, 1)  # (N, hp, wp, O)
        hp, wp = g.shape[1], g.shape[2]
        want_x = self.needs_input_grad(0)
        want_w = self.needs_input_grad(1)
        want_b = len(self.inputs) > 2 and self.needs_input_grad(2)
        top, bottom, left, right = padding
        dxp = None
        if want_x:
            dxp = xp.zeros((n, h + top + bottom, w + left + right, c), w2.dtype)  # dx's base
        dw_full = xp.zeros((o, w2.shape[0]), w2.dtype) if want_w else None
        db = xp.zeros(o, w2.dtype) if want_b else None
        for start, stop, cols, masks in chunks:
            shape = (stop - start, hu, wu, o)
            dy = max_pool_2x2_backward(
                g[start:stop], masks, shape, hp, wp, POOL.take(shape, g.dtype)
            )
            g2 = dy.reshape(-1, o)
            if want_w:
                dw_full += g2.T @ cols  # (O, k), or (O, k + 1): the last column is db
            if want_b and (cols.shape[1] == k or not want_w):
                db += xp.einsum("mo->o", g2)
            if want_x:
                add_input_grad(g2, w2[:k], dxp[start:stop], kh, kw, hu, wu, stride, dilation)
            POOL.give(dy)
        dw = None
        if want_w:
            dw = weight_grad(dw_full, w_shape)
            if want_b and w2.shape[0] > k:
                db = xp.ascontiguousarray(dw_full[:, k])
        dx = None
        if want_x:
            dx = dxp[:, top : top + h, left : left + w].transpose(0, 3, 1, 2)
        if len(self.inputs) > 2:
            return dx, dw, db
        return dx, dw
