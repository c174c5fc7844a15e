"""Linear layers and shape helpers: Linear, Identity, Flatten, Unflatten; functional ``linear``.

``Linear`` runs one fused primitive, :class:`LinearOp` (``x @ W.T + b`` forward; ``dx = g @ W``,
``dW = g.T @ x``, ``db = g.sum(0)`` backward, skipping what no input needs): at small batches a
training step is bound by per-op overhead, and one node instead of a transpose, a matmul and an
add saves two graph nodes and two temporaries per layer.
"""

from __future__ import annotations

import math

import numpy as np

from gradlab.autograd import Function
from gradlab.backend import get_default_dtype, xp
from gradlab.nn import init
from gradlab.nn.module import Module, Parameter
from gradlab.ops.activation import relu_values
from gradlab.ops.movement import flatten as _flatten
from gradlab.ops.movement import reshape as _reshape
from gradlab.tensor import Tensor

# The functional forms below belong in gradlab.nn.functional, not in gradlab.nn's star import:
# torch.nn has none, and names like ``linear`` would shadow the submodules of the same name.
__all__ = ["Linear", "Identity", "Flatten", "Unflatten"]


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
    """relu(x @ W.T + b) as one node: how :class:`gradlab.nn.Sequential` runs a ``Linear``
    followed by a ``ReLU`` (see :mod:`gradlab.nn.fusion`). relu runs in place on the GEMM's
    fresh output and keeps a mask for backward: at small batches a step is bound by per-op
    overhead, and this saves a node, a temporary and two passes per layer."""

    __slots__ = ()

    def forward(self, x, weight, bias=None):
        out = x @ weight.T
        if bias is not None:
            out += bias
        relu_values(out, out=out)
        self.saved = (x, weight, xp.greater(out, 0))
        return out

    def backward(self, grad):
        x, weight, positive = self.saved
        return self._backward(grad * positive, x, weight)

    def backward_graph(self, grad):
        return self._backward_graph(grad * self.saved[2], self.inputs[0], self.inputs[1])


def linear(input, weight, bias=None):  # noqa: A002 - PyTorch's argument name
    """``input @ weight.T + bias``: input (*, in), weight (out, in), bias (out,) or None."""
    in_shape = input.shape
    w_shape = weight.shape
    if len(w_shape) != 2 or not in_shape or in_shape[-1] != w_shape[1]:
        raise ValueError(
            f"linear: input has shape {tuple(in_shape)}, expected last dimension {w_shape[-1]} "
            f"(weight has shape {tuple(w_shape)})"
        )
    if bias is None:
        return LinearOp.apply(input, weight)
    return LinearOp.apply(input, weight, bias)


class Linear(Module):
    """y = x W^T + b. Input (*, in_features), output (*, out_features).

    weight (out_features, in_features) ~ kaiming_uniform_(a=sqrt(5)), i.e.
    U(-1/sqrt(in_features), 1/sqrt(in_features)); bias (out_features,) ~ the same uniform.
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, *, generator=None, dtype=None
    ):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        dtype = np.dtype(dtype) if dtype is not None else get_default_dtype()
        self.weight = Parameter(xp.empty((out_features, in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(xp.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=generator)
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound, generator=generator)

    def forward(self, input):  # noqa: A002
        return self._apply(LinearOp, input)

    def _apply(self, op, input):  # noqa: A002
        """Run ``op`` (LinearOp, or LinearReluOp for a fused ReLU) on a checked input."""
        shape = input.shape
        if not shape or shape[-1] != self.in_features:
            raise ValueError(
                f"Linear(in_features={self.in_features}): input has shape {tuple(shape)}, "
                f"expected last dimension {self.in_features}"
            )
        if self.bias is None:
            return op.apply(input, self.weight)
        return op.apply(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Identity(Module):
    """Returns its input unchanged; accepts and ignores any constructor arguments."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):  # noqa: A002
        return input


class Flatten(Module):
    """Merge dimensions start_dim..end_dim: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):  # noqa: A002
        return _flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size``: (N, 48) -> (N, 3, 4, 4) with
    ``Unflatten(1, (3, 4, 4))``; one entry may be -1."""

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        if isinstance(unflattened_size, int) or not all(
            isinstance(s, (int, np.integer)) for s in unflattened_size
        ):
            raise TypeError(
                f"Unflatten: unflattened_size must be a tuple of ints, got {unflattened_size!r}"
            )
        self.dim = dim
        self.unflattened_size = tuple(int(s) for s in unflattened_size)

    def forward(self, input):  # noqa: A002
        shape = input.shape
        ndim = len(shape)
        if not -ndim <= self.dim < ndim:
            raise ValueError(
                f"Unflatten(dim={self.dim}): input has shape {tuple(shape)}, dim out of range"
            )
        dim = self.dim % ndim
        sizes = self.unflattened_size
        known = math.prod(s for s in sizes if s != -1)
        if (-1 not in sizes and known != shape[dim]) or (
            -1 in sizes and (known == 0 or shape[dim] % known)
        ):
            raise ValueError(
                f"Unflatten(dim={self.dim}, unflattened_size={sizes}): input has shape "
                f"{tuple(shape)}, dimension {self.dim} of size {shape[dim]} cannot be split "
                f"into {sizes}"
            )
        new_shape = tuple(shape[:dim]) + sizes + tuple(shape[dim + 1 :])
        if isinstance(input, Tensor):
            return _reshape(input, *new_shape)
        return Tensor(xp.asarray(input).reshape(new_shape))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
