"""Keras's RMSprop: rho 0.9, epsilon 1e-7 *inside* the root,
    v = ρ·v + (1 − ρ)·g²,  θ −= lr·g / √(v + ε)
(centered: √(v − ḡ² + ε); with momentum μ: b = μ·b + lr·g/√(...), θ −= b). PyTorch's
defaults differ (alpha 0.99, eps 1e-8 outside the root)."""

from __future__ import annotations

import numpy as np

from gradlab.keras.optimizers.optimizer import Optimizer


class RMSprop(Optimizer):
    def __init__(
        self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, **kwargs
    ):
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered
        self.slots = (
            ("velocity",)
            + (("momentum",) if momentum > 0 else ())
            + (("average_gradient",) if centered else ())
        )
        super().__init__(learning_rate=learning_rate, **kwargs)

    def update_step(self, gradient, variable, learning_rate, slots):
        dtype = variable.dtype.type
        rho = dtype(self.rho)
        v = slots["velocity"]
        v[...] = rho * v + (1 - rho) * np.square(gradient)
        if self.centered:
            a = slots["average_gradient"]
            a[...] = rho * a + (1 - rho) * gradient
            denominator = v - np.square(a) + dtype(self.epsilon)
        else:
            denominator = v + dtype(self.epsilon)
        increment = learning_rate * gradient / np.sqrt(denominator)
        if self.momentum > 0:
            b = slots["momentum"]
            b[...] = dtype(self.momentum) * b + increment
            variable -= b
        else:
            variable -= increment
