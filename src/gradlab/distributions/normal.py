"""Normal(loc, scale): the Gaussian, reparameterized (``rsample`` = loc + scale·ε)."""

from __future__ import annotations

import math

import numpy as np

from gradlab.backend import default_generator
from gradlab.distributions.distribution import (
    LOG_SQRT_2PI,
    Distribution,
    as_value,
    broadcast_all,
)
from gradlab.tensor import Tensor


class Normal(Distribution):
    """``Normal(loc, scale)``: mean ``loc``, standard deviation ``scale`` > 0 (broadcast
    together to ``batch_shape``)."""

    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, (), validate_args)
        self._check_parameter("loc", self.loc, ~np.isnan(self.loc.numpy()), "Real()")
        self._check_parameter("scale", self.scale, self.scale.numpy() > 0,
                              "GreaterThan(lower_bound=0.0)")  # fmt: skip

    def _param_names(self) -> tuple:
        return ("loc", "scale")

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.scale**2

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        eps = default_generator().standard_normal(shape).astype(self.loc.dtype)
        return self.loc + Tensor(eps) * self.scale

    def log_prob(self, value):
        value = as_value(value, self.loc.dtype)
        var = self.scale**2
        return -((value - self.loc) ** 2) / (2 * var) - self.scale.log() - LOG_SQRT_2PI

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()
