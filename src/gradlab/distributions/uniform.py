"""Uniform(low, high): constant density on [low, high), reparameterized."""

from __future__ import annotations

import numpy as np

from gradlab.backend import default_generator
from gradlab.distributions.distribution import Distribution, as_value, broadcast_all
from gradlab.tensor import Tensor


class Uniform(Distribution):
    """``Uniform(low, high)`` with low < high, broadcast together to ``batch_shape``."""

    has_rsample = True

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = broadcast_all(low, high)
        super().__init__(self.low.shape, (), validate_args)
        self._check_parameter("low", self.low, self.low.numpy() < self.high.numpy(),
                              "LessThan(upper_bound=high)")  # fmt: skip

    def _param_names(self) -> tuple:
        return ("low", "high")

    @property
    def mean(self):
        return (self.high + self.low) / 2

    @property
    def mode(self):
        return self.low * np.nan

    @property
    def stddev(self):
        return (self.high - self.low) / 12**0.5

    @property
    def variance(self):
        return (self.high - self.low) ** 2 / 12

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        rand = default_generator().random(shape).astype(self.low.dtype)
        return self.low + Tensor(rand) * (self.high - self.low)

    def log_prob(self, value):
        value = as_value(value, self.low.dtype)
        v, low, high = value.numpy(), self.low.numpy(), self.high.numpy()
        inside = (low <= v) & (v < high)
        self._check_value(value, inside, f"Interval(lower_bound={low}, upper_bound={high})")
        with np.errstate(divide="ignore"):
            log_inside = np.log(inside.astype(self.low.dtype))  # 0 inside, -inf outside
        return Tensor(log_inside) - (self.high - self.low).log()

    def entropy(self):
        return (self.high - self.low).log()
