"""The affine map of a dense layer as one primitive, and its fusion with a ReLU.

:class:`LinearOp` is ``x @ W.T + b`` forward and ``dx = g @ W``, ``dW = g.T @ x``,
``db = g.sum(0)`` backward, skipping what no input needs: one graph node instead of a
transpose, a matmul and an add. :class:`LinearReluOp` adds the ReLU in place on the GEMM's
output; :class:`gradlab.nn.Sequential` runs ``Linear`` -> ``ReLU`` on it (see
:mod:`gradlab.nn.fusion`), and views of the graph show the two parts.
"""

from __future__ import annotations

from gradlab.autograd import Function
from gradlab.ops.activation import relu_values

__all__ = ["LinearOp", "LinearReluOp"]


class LinearOp(Function):
    """y = x @ W.T + b for x (*, in), W (out, in), b (out,) or None; y is (*, out)."""

    __slots__ = ()

    def forward(self, x, weight, bias=None):
        self.saved = (x, weight)
        out = x @ weight.T
        if bias is not None:
            out += bias
        return out

    def backward(self, grad):
        x, weight = self.saved
        return self._backward(grad, x, weight)

    def _backward(self, grad, x, weight):
        grad_x = grad @ weight if self.needs_input_grad(0) else None
        grad_w = grad_b = None
        if x.ndim != 2:  # (*, in): every leading dimension is a batch dimension
            x = x.reshape(-1, x.shape[-1])
            grad = grad.reshape(-1, grad.shape[-1])
        if self.needs_input_grad(1):
            grad_w = grad.T @ x
        if len(self.inputs) > 2 and self.needs_input_grad(2):
            grad_b = grad.sum(axis=0)
        return grad_x, grad_w, grad_b

    def backward_graph(self, grad):  # the same on Tensors (see gradlab.autograd_graph)
        return self._backward_graph(grad, self.inputs[0], self.inputs[1])

    def _backward_graph(self, grad, x, weight):
        grad_x = grad @ weight if self.needs_input_grad(0) else None
        grad_w = grad_b = None
        if x.ndim != 2:
            x = x.reshape(-1, x.shape[-1])
            grad = grad.reshape(-1, grad.shape[-1])
        if self.needs_input_grad(1):
            grad_w = grad.T @ x
        if len(self.inputs) > 2 and self.needs_input_grad(2):
            grad_b = grad.sum(dim=0)
        return grad_x, grad_w, grad_b


class LinearReluOp(LinearOp):
    """relu(x @ W.T + b) as one node, relu in place on the GEMM's fresh output, with a mask
    kept for backward. :class:`gradlab.nn.Sequential` runs a ``Linear`` followed by a ``ReLU``
    on it (see :mod:`gradlab.nn.fusion`)."""

    __slots__ = ()
    parts = ("LinearOp", "Relu")

    def forward(self, x, weight, bias=None):
        out = x @ weight.T
        if bias is not None:
            out += bias
        relu_values(out, out=out)
        self.saved = (x, weight, out > 0)
        return out

    def backward(self, grad):
        x, weight, positive = self.saved
        return self._backward(grad * positive, x, weight)

    def backward_graph(self, grad):
        return self._backward_graph(grad * self.saved[2], self.inputs[0], self.inputs[1])
