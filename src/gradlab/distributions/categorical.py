"""Categorical(probs | logits): one of K categories, per batch element."""

from __future__ import annotations

import numpy as np

from gradlab.backend import default_generator
from gradlab.distributions.distribution import Distribution, as_parameter, sample_size
from gradlab.ops.movement import getitem, reshape
from gradlab.ops.reduce import logsumexp
from gradlab.ops.softmax import softmax
from gradlab.tensor import Tensor


def clamp_probs(probs):
    """Probabilities kept inside (eps, 1 - eps), as PyTorch's ``clamp_probs``."""
    eps = float(np.finfo(probs.dtype).eps)
    return probs.clamp(eps, 1 - eps)


class Categorical(Distribution):
    """``Categorical(probs=None, logits=None)``: give exactly one, of shape (*batch, K).

    ``probs`` are normalized along the last axis (they need not sum to 1), ``logits`` are
    unnormalized log-probabilities. Samples are int64 indices of shape sample_shape + batch.
    """

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            probs = as_parameter(probs)
            if probs.ndim < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self._given = "probs"
            self.probs = probs / probs.sum(dim=-1, keepdim=True)
            self.logits = clamp_probs(self.probs).log()
        else:
            logits = as_parameter(logits)
            if logits.ndim < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self._given = "logits"
            self.logits = logits - logsumexp(logits, dim=-1, keepdim=True)
            self.probs = softmax(self.logits, dim=-1)
        self._num_events = self.probs.shape[-1]
        super().__init__(self.probs.shape[:-1], (), validate_args)
        if probs is not None:
            raw = probs.numpy()
            ok = (raw >= 0).all() and np.all(raw.sum(-1) > 0)
            self._check_parameter("probs", probs, ok, "Simplex()")

    def _param_names(self) -> tuple:
        return (self._given,)

    @property
    def param_shape(self) -> tuple:
        return tuple(self.probs.shape)

    @property
    def mean(self):
        return Tensor(np.full(self.batch_shape, np.nan, self.probs.dtype))

    @property
    def variance(self):
        return self.mean

    @property
    def mode(self):
        return Tensor(self.probs.numpy().argmax(axis=-1))

    def sample(self, sample_shape=()):
        shape = sample_size(sample_shape)
        probs = self.probs.numpy().astype(np.float64)
        probs = probs / probs.sum(axis=-1, keepdims=True)
        cumulative = np.cumsum(probs.reshape(-1, self._num_events), axis=-1)
        draws = default_generator().random(shape + (cumulative.shape[0],))
        index = (draws[..., None] > cumulative).sum(axis=-1)
        index = np.minimum(index, self._num_events - 1)
        return Tensor(index.reshape(shape + self.batch_shape).astype(np.int64))

    def log_prob(self, value):
        value = value if isinstance(value, Tensor) else Tensor(np.asarray(value))
        raw = value.numpy()
        ok = (raw == np.round(raw)) & (raw >= 0) & (raw < self._num_events)
        self._check_value(value, ok, f"IntegerInterval(lower_bound=0, upper_bound="
                                     f"{self._num_events - 1})")  # fmt: skip
        index = raw.astype(np.int64)
        shape = np.broadcast_shapes(index.shape, self.batch_shape)
        logits = self.logits
        if tuple(logits.shape[:-1]) != shape:
            logits = logits.expand(*shape, self._num_events)
        flat = reshape(logits, -1, self._num_events)
        rows = np.arange(flat.shape[0])
        picked = getitem(flat, (rows, np.broadcast_to(index, shape).reshape(-1)))
        return reshape(picked, *shape)

    def entropy(self):
        logits = self.logits.clamp(min=float(np.finfo(self.logits.dtype).min))
        return -(logits * self.probs).sum(dim=-1)
