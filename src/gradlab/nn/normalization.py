"""Normalization layers: BatchNorm1d, BatchNorm2d (Ioffe & Szegedy 2015) and LayerNorm
(Ba et al. 2016), with PyTorch's parameters, buffers and running-statistics rules.

Batch norm normalizes each channel over the batch (and spatial) axes; in training it updates
``running_mean`` and ``running_var`` with ``momentum`` (running = (1 - m) running + m batch,
the *unbiased* batch variance; ``momentum=None`` gives the cumulative average
1/num_batches_tracked), and in eval it normalizes with them. Both run one fused primitive
(:mod:`gradlab.ops.normalization`).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from gradlab.backend import as_array, get_default_dtype
from gradlab.nn import init
from gradlab.nn.module import Module, Parameter
from gradlab.ops.normalization import BatchNormOp, LayerNormOp
from gradlab.tensor import Tensor

# The functional forms below belong in gradlab.nn.functional, not in gradlab.nn's star import:
# torch.nn has none, and names like ``linear`` would shadow the submodules of the same name.
__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm"]


def _data(t):
    return None if t is None else (t._data if isinstance(t, Tensor) else as_array(t))


def batch_norm(
    input,
    running_mean,
    running_var,
    weight=None,
    bias=None,  # noqa: A002
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
):
    """Normalize (N, C, *) input per channel; PyTorch's ``F.batch_norm``.

    In training the batch's statistics are used and ``running_mean``/``running_var`` (Tensors
    or arrays of shape (C,), or None) are updated in place; otherwise the running statistics.
    """
    shape = input.shape
    if len(shape) < 2:
        raise ValueError(f"batch_norm: input has shape {tuple(shape)}, expected (N, C, *)")
    if training:
        count = input._data.size // shape[1] if shape[1] else 0
        if count <= 1:
            raise ValueError(
                f"batch_norm: expected more than 1 value per channel when training, got input "
                f"of shape {tuple(shape)}"
            )
    elif running_mean is None or running_var is None:
        raise ValueError("batch_norm: running_mean and running_var are needed when not training")
    return BatchNormOp.apply(
        input,
        weight,
        bias,
        training=training,
        running_mean=_data(running_mean),
        running_var=_data(running_var),
        momentum=momentum,
        eps=eps,
    )


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5):  # noqa: A002
    """Normalize over the trailing ``normalized_shape`` dimensions; PyTorch's ``F.layer_norm``."""
    normalized_shape = _as_shape(normalized_shape)
    shape = tuple(input.shape)
    k = len(normalized_shape)
    if k == 0 or shape[len(shape) - k :] != normalized_shape or len(shape) < k:
        raise ValueError(
            f"layer_norm: input has shape {shape}, expected trailing dimensions {normalized_shape}"
        )
    return LayerNormOp.apply(input, weight, bias, ndim_norm=k, eps=eps)


def _as_shape(normalized_shape) -> tuple:
    if isinstance(normalized_shape, numbers.Integral):
        return (int(normalized_shape),)
    return tuple(int(s) for s in normalized_shape)


class _BatchNorm(Module):
    _ranks: tuple = ()  # the accepted input ranks; subclasses also name the layouts

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        *,
        generator=None,
        dtype=None,
    ):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        dtype = np.dtype(dtype) if dtype is not None else get_default_dtype()
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype))
            self.bias = Parameter(np.zeros(num_features, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def _check_input(self, shape) -> None:
        if len(shape) not in self._ranks or shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}(num_features={self.num_features}): input has shape "
                f"{tuple(shape)}, expected {self._expected}"
            )
        if self.training and math.prod(shape) // shape[1] <= 1:
            raise ValueError(
                f"{type(self).__name__}(num_features={self.num_features}): input has shape "
                f"{tuple(shape)}; training needs more than 1 value per channel"
            )

    def forward(self, input):  # noqa: A002
        self._check_input(input.shape)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked._data += 1
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked._data)
        # Without running statistics (track_running_stats=False) eval uses the batch's too.
        use_batch_stats = self.training or self.running_mean is None
        return batch_norm(
            input,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            use_batch_stats,
            factor,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch norm of (N, C) or (N, C, L) input over N (and L); weight/bias/running stats (C,)."""

    _ranks = (2, 3)

    @property
    def _expected(self) -> str:
        c = self.num_features
        return f"(N, {c}) or (N, {c}, L)"


class BatchNorm2d(_BatchNorm):
    """Batch norm of (N, C, H, W) input over N, H and W; weight/bias/running stats (C,)."""

    _ranks = (4,)

    @property
    def _expected(self) -> str:
        return f"(N, {self.num_features}, H, W)"


class LayerNorm(Module):
    """Normalize each sample over its trailing ``normalized_shape`` dimensions, then scale and
    shift elementwise: weight (ones) and bias (zeros) of shape ``normalized_shape``."""

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        *,
        generator=None,
        dtype=None,
    ):
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        dtype = np.dtype(dtype) if dtype is not None else get_default_dtype()
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype))
            if bias:
                self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input):  # noqa: A002
        shape = tuple(input.shape)
        k = len(self.normalized_shape)
        if len(shape) < k or shape[len(shape) - k :] != self.normalized_shape:
            raise ValueError(
                f"LayerNorm(normalized_shape={self.normalized_shape}): input has shape {shape}, "
                f"expected trailing dimensions {self.normalized_shape}"
            )
        return LayerNormOp.apply(input, self.weight, self.bias, ndim_norm=k, eps=self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )
