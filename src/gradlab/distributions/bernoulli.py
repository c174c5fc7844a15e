"""Bernoulli(probs | logits): 1 with probability p, 0 otherwise."""

from __future__ import annotations

import numpy as np

from gradlab.backend import default_generator
from gradlab.distributions.categorical import clamp_probs
from gradlab.distributions.distribution import (
    Distribution,
    as_parameter,
    as_value,
    broadcast_all,
)
from gradlab.nn.classification_losses import binary_cross_entropy_with_logits
from gradlab.ops.activation import sigmoid
from gradlab.tensor import Tensor


class Bernoulli(Distribution):
    """``Bernoulli(probs=None, logits=None)``: give exactly one; samples are 0./1. in the
    parameter's dtype."""

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
            self._given = "probs"
            clamped = clamp_probs(self.probs)
            self.logits = clamped.log() - (1 - clamped).log()
            raw = self.probs.numpy()
            shape = self.probs.shape
        else:
            (self.logits,) = broadcast_all(as_parameter(logits))
            self._given = "logits"
            self.probs = sigmoid(self.logits)
            raw = None
            shape = self.logits.shape
        super().__init__(shape, (), validate_args)
        if raw is not None:
            self._check_parameter("probs", self.probs, (raw >= 0) & (raw <= 1),
                                  "Interval(lower_bound=0.0, upper_bound=1.0)")  # fmt: skip

    def _param_names(self) -> tuple:
        return (self._given,)

    @property
    def mean(self):
        return self.probs

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    @property
    def mode(self):
        p = self.probs.numpy()
        mode = (p >= 0.5).astype(p.dtype)
        mode[p == 0.5] = np.nan
        return Tensor(mode)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        p = np.broadcast_to(self.probs.numpy(), shape)
        draws = default_generator().random(shape) < p
        return Tensor(draws.astype(self.probs.dtype))

    def log_prob(self, value):
        value = as_value(value, self.probs.dtype)
        raw = value.numpy()
        self._check_value(value, (raw == 0) | (raw == 1), "Boolean()")
        logits, value = broadcast_all(self.logits, value)
        return -binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self):
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")
