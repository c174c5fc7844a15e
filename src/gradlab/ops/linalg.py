"""Matrix multiplication: 1-D, 2-D and batched with broadcast batch dimensions, as torch.matmul."""

from __future__ import annotations

from gradlab.autograd import Function
from gradlab.tensor import Tensor, unbroadcast


class MatMul(Function):
    """a @ b. A 1-D a is a row (1, n), a 1-D b a column (n, 1); that dimension is dropped."""

    __slots__ = ()

    def forward(self, a, b):
        self.saved = (a, b)
        return a @ b

    def backward(self, grad):
        a, b = self.saved
        if a.ndim == 2 and b.ndim == 2:  # the common case, kept short
            return (
                grad @ b.T if self.needs_input_grad(0) else None,
                a.T @ grad if self.needs_input_grad(1) else None,
            )
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        # b's dropped dimension was the last one, a's the one before it: restore b's first
        # (for 1-D @ 1-D the gradient is 0-d and becomes (1, 1)).
        if b.ndim == 1:
            grad = grad[..., None]
        if a.ndim == 1:
            grad = grad[..., None, :]
        grad_a = grad_b = None
        if self.needs_input_grad(0):
            grad_a = unbroadcast(grad @ b2.swapaxes(-1, -2), a2.shape)
            grad_a = grad_a.reshape(a.shape)
        if self.needs_input_grad(1):
            grad_b = unbroadcast(a2.swapaxes(-1, -2) @ grad, b2.shape)
            grad_b = grad_b.reshape(b.shape)
        return grad_a, grad_b

    def backward_graph(self, grad):  # the same on Tensors (see gradlab.autograd_graph)
        from gradlab.autograd_graph import unbroadcast_graph

        a, b = (t if isinstance(t, Tensor) else Tensor(t) for t in self.inputs)
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(-1) if b.ndim == 1 else b
        if b.ndim == 1:
            grad = grad.unsqueeze(-1)
        if a.ndim == 1:
            grad = grad.unsqueeze(-2)
        grad_a = grad_b = None
        if self.needs_input_grad(0):
            grad_a = unbroadcast_graph(grad @ b2.transpose(-1, -2), a2.shape).reshape(a.shape)
        if self.needs_input_grad(1):
            grad_b = unbroadcast_graph(a2.transpose(-1, -2) @ grad, b2.shape).reshape(b.shape)
        return grad_a, grad_b


def matmul(a, b):
    a_shape, b_shape = a.shape, getattr(b, "shape", None)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul: both arguments need at least 1 dimension, got {a_shape} @ {b_shape}"
        )
    inner_a = a_shape[-1]
    inner_b = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
    if inner_a != inner_b:
        raise ValueError(f"matmul: cannot multiply {a_shape} @ {b_shape}")
    try:
        return MatMul.apply(a, b)
    except ValueError:
        raise ValueError(
            f"matmul: cannot broadcast the batch dimensions of {a_shape} @ {b_shape}"
        ) from None
