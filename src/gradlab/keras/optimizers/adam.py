"""Keras's Adam and AdamW: epsilon 1e-7 outside the root of the *uncorrected* second moment,
    alpha = lr·√(1 − β2^t) / (1 − β1^t),  θ −= alpha·m / (√v + ε)
(PyTorch puts ε after the bias correction, so the two differ while v is small). AdamW adds
Keras's decoupled decay θ −= θ·weight_decay·lr before the update (weight_decay 0.004)."""

from __future__ import annotations

import numpy as np

from gradlab.keras.optimizers.optimizer import Optimizer


class Adam(Optimizer):
    def __init__(
        self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **kwargs
    ):
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.amsgrad = amsgrad
        self.slots = (
            ("momentum", "velocity", "velocity_hat") if amsgrad else ("momentum", "velocity")
        )
        super().__init__(learning_rate=learning_rate, **kwargs)

    def update_step(self, gradient, variable, learning_rate, slots):
        dtype = variable.dtype.type
        t = dtype(self.iterations + 1)
        alpha = learning_rate * np.sqrt(1 - dtype(self.beta_2) ** t) / (1 - dtype(self.beta_1) ** t)
        m, v = slots["momentum"], slots["velocity"]
        m += (gradient - m) * dtype(1 - self.beta_1)
        v += (np.square(gradient) - v) * dtype(1 - self.beta_2)
        if self.amsgrad:
            v_hat = slots["velocity_hat"]
            np.maximum(v_hat, v, out=v_hat)
            v = v_hat
        variable -= (m * alpha) / (np.sqrt(v) + dtype(self.epsilon))


class AdamW(Adam):
    def __init__(
        self,
        learning_rate=0.001,
        weight_decay=0.004,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        **kwargs,
    ):
        if weight_decay is None:
            raise ValueError("AdamW: weight_decay must be a number, got None")
        super().__init__(
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
            weight_decay=weight_decay,
            **kwargs,
        )
