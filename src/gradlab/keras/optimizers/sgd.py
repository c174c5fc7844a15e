"""Keras's SGD: learning_rate 0.01; with momentum, velocity m = μ·m − lr·g and θ += m
(Nesterov: θ += μ·m − lr·g). The rate sits inside the velocity, as Keras (PyTorch keeps it
outside; the two differ only when the rate changes during training)."""

from __future__ import annotations

from gradlab.keras.optimizers.optimizer import Optimizer


class SGD(Optimizer):
    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        if not isinstance(momentum, (int, float)) or momentum < 0 or momentum > 1:
            raise ValueError(f"SGD: momentum must be a float in [0, 1], got {momentum!r}")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)
        self.slots = ("momentum",) if self.momentum else ()
        super().__init__(learning_rate=learning_rate, **kwargs)

    def update_step(self, gradient, variable, learning_rate, slots):
        if not self.momentum:
            variable -= gradient * learning_rate
            return
        m = slots["momentum"]
        m[...] = m * self.momentum - gradient * learning_rate
        if self.nesterov:
            variable += m * self.momentum - gradient * learning_rate
        else:
            variable += m
