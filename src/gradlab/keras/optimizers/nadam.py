"""Keras's Nadam (Dozat's momentum schedule u_t = β1·(1 − ½·0.96^t), epsilon 1e-7):
m̂ = u_{t+1}·m / (1 − Π_{i≤t+1} u_i) + (1 − u_t)·g / (1 − Π_{i≤t} u_i),
v̂ = v / (1 − β2^t),   θ −= lr·m̂ / (√v̂ + ε)."""

from __future__ import annotations

import numpy as np

from gradlab.keras.optimizers.optimizer import Optimizer


class Nadam(Optimizer):
    slots = ("momentum", "velocity")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.u_product = np.float32(1.0)
        super().__init__(learning_rate=learning_rate, **kwargs)

    def before_updates(self):
        t = np.float32(self.iterations + 1)
        self.u_product = np.float32(
            self.u_product * np.float32(self.beta_1) * (1.0 - 0.5 * np.float32(0.96) ** t)
        )

    def update_step(self, gradient, variable, learning_rate, slots):
        dtype = variable.dtype.type
        t, t1 = dtype(self.iterations + 1), dtype(self.iterations + 2)
        beta_1, beta_2 = dtype(self.beta_1), dtype(self.beta_2)
        u_t = beta_1 * (1.0 - 0.5 * dtype(0.96) ** t)
        u_t_1 = beta_1 * (1.0 - 0.5 * dtype(0.96) ** t1)
        u_product_t = dtype(self.u_product)
        u_product_t_1 = u_product_t * u_t_1
        m, v = slots["momentum"], slots["velocity"]
        m += (gradient - m) * (1 - beta_1)
        v += (np.square(gradient) - v) * (1 - beta_2)
        m_hat = u_t_1 * m / (1 - u_product_t_1) + (1 - u_t) * gradient / (1 - u_product_t)
        v_hat = v / (1 - beta_2**t)
        variable -= m_hat * learning_rate / (np.sqrt(v_hat) + dtype(self.epsilon))

    def state_dict(self) -> dict:
        state = super().state_dict()
        state["u_product"] = float(self.u_product)
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        state_dict = dict(state_dict)
        self.u_product = np.float32(state_dict.pop("u_product", 1.0))
        super().load_state_dict(state_dict)
