"""Fused normalization primitives: batch norm and layer norm, forward and closed-form backward.

With x̂ = (x - μ) / σ over a reduction set of M elements and y = γ x̂ + β, the gradient of the
input is ``dx = (1/σ) (dx̂ - mean(dx̂) - x̂ mean(dx̂ x̂))`` with ``dx̂ = γ dy``, which needs only
x̂ and 1/σ saved: one node instead of the ~10 a composite would record.
"""

from __future__ import annotations

import numpy as np

from gradlab.autograd import Function
from gradlab.backend import array_module

__all__ = ["BatchNormOp", "LayerNormOp"]


class BatchNormOp(Function):
    """Batch norm over every axis but 1: x (N, C, *), weight and bias (C,) or None.

    Settings: ``training`` True normalizes with the batch's statistics (and, when
    ``running_mean``/``running_var`` arrays are given, updates them in place with factor
    ``momentum`` and the unbiased batch variance, as PyTorch's kernel does); False normalizes
    with ``running_mean``/``running_var`` (then μ and σ are constants for backward).
    """

    __slots__ = ()

    def forward(
        self,
        x,
        weight=None,
        bias=None,
        *,
        training=True,
        running_mean=None,
        running_var=None,
        momentum=0.1,
        eps=1e-5,
    ):
        xp = array_module(x)
        axes = (0,) + tuple(range(2, x.ndim))
        bshape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        if training:
            mean = x.mean(axis=axes, keepdims=True)
            centered = x - mean
            var = xp.mean(centered * centered, axis=axes, keepdims=True)
            if running_mean is not None:
                count = x.size // x.shape[1]
                running_mean *= 1 - momentum
                running_mean += momentum * mean.reshape(-1)
                running_var *= 1 - momentum
                running_var += (momentum * count / (count - 1)) * var.reshape(-1)
        else:
            centered = x - running_mean.reshape(bshape)
            var = running_var.reshape(bshape)
        inv_std = 1.0 / xp.sqrt(var + eps)
        x_hat = centered * inv_std.astype(x.dtype, copy=False)
        # (eps, and in eval mode the mean used, for ``composite``)
        shift = None if training else running_mean.reshape(bshape).copy()
        self.saved = (x_hat, inv_std, weight, training, axes, bshape, eps, shift)
        out = x_hat * weight.reshape(bshape) if weight is not None else x_hat.copy()
        if bias is not None:
            out += bias.reshape(bshape)
        return out

    def backward(self, grad):
        x_hat, inv_std, weight, training, axes, bshape, _, _ = self.saved
        need_w = len(self.inputs) > 1 and self.needs_input_grad(1)
        need_b = len(self.inputs) > 2 and self.needs_input_grad(2)
        grad_b = grad.sum(axis=axes) if (need_b or training) else None
        grad_w = (grad * x_hat).sum(axis=axes) if (need_w or training) else None
        grad_x = None
        if self.needs_input_grad(0):
            scale = inv_std if weight is None else inv_std * weight.reshape(bshape)
            if training:
                m = x_hat.size // x_hat.shape[1]
                # mean(dx̂) = γ Σdy / M and mean(dx̂ x̂) = γ Σ(dy x̂) / M, both per channel
                grad_x = grad - (grad_b.reshape(bshape) + x_hat * grad_w.reshape(bshape)) / m
                grad_x *= scale.astype(grad_x.dtype, copy=False)
            else:
                grad_x = grad * scale.astype(grad.dtype, copy=False)
        return grad_x, grad_w if need_w else None, grad_b if need_b else None

    def composite(self, x, weight=None, bias=None):  # the forward in primitive ops
        _, inv_std, _, training, axes, bshape, eps, shift = self.saved
        if training:
            centered = x - x.mean(dim=axes, keepdim=True)
            x_hat = centered / ((centered * centered).mean(dim=axes, keepdim=True) + eps).sqrt()
        else:  # the running statistics are constants
            x_hat = (x - shift) * inv_std.astype(x.dtype)
        out = x_hat if weight is None else x_hat * _as_tensor(weight).reshape(bshape)
        return out if bias is None else out + _as_tensor(bias).reshape(bshape)


class LayerNormOp(Function):
    """Layer norm over the last ``ndim_norm`` axes: x (*, *normalized_shape), weight and bias
    of ``normalized_shape`` or None."""

    __slots__ = ()

    def forward(self, x, weight=None, bias=None, *, ndim_norm=1, eps=1e-5):
        xp = array_module(x)
        axes = tuple(range(x.ndim - ndim_norm, x.ndim))
        # accumulated in float64 and rounded once: a constant row's mean is then exactly its
        # value, so the row normalizes to 0 as in PyTorch (a float32 sum is off by ulps)
        mean = x.mean(axis=axes, keepdims=True, dtype=np.float64).astype(x.dtype, copy=False)
        centered = x - mean
        var = xp.mean(centered * centered, axis=axes, keepdims=True)
        inv_std = 1.0 / xp.sqrt(var + eps)
        x_hat = centered * inv_std
        self.saved = (x_hat, inv_std, weight, axes, eps)
        out = x_hat * weight if weight is not None else x_hat.copy()
        if bias is not None:
            out += bias
        return out

    def backward(self, grad):
        x_hat, inv_std, weight, axes, _ = self.saved
        lead = tuple(range(x_hat.ndim - len(axes)))
        grad_w = grad_b = grad_x = None
        if len(self.inputs) > 1 and self.needs_input_grad(1):
            grad_w = (grad * x_hat).sum(axis=lead)
        if len(self.inputs) > 2 and self.needs_input_grad(2):
            grad_b = grad.sum(axis=lead)
        if self.needs_input_grad(0):
            d_hat = grad * weight if weight is not None else grad
            grad_x = d_hat - d_hat.mean(axis=axes, keepdims=True)
            grad_x -= x_hat * (d_hat * x_hat).mean(axis=axes, keepdims=True)
            grad_x *= inv_std
        return grad_x, grad_w, grad_b

    def composite(self, x, weight=None, bias=None):  # the forward in primitive ops
        *_, axes, eps = self.saved
        centered = x - x.mean(dim=axes, keepdim=True)
        x_hat = centered / ((centered * centered).mean(dim=axes, keepdim=True) + eps).sqrt()
        out = x_hat if weight is None else x_hat * weight
        return out if bias is None else out + bias


def _as_tensor(value):
    from gradlab.tensor import Tensor

    return value if isinstance(value, Tensor) else Tensor(value)
