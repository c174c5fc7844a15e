"""Keras's Adagrad: learning_rate 0.001, accumulators start at 0.1, epsilon 1e-7 inside
the root:  acc += g²,  θ −= lr·g / √(acc + ε). (PyTorch starts at 0 with eps 1e-10 outside.)"""

from __future__ import annotations

import numpy as np

from gradlab.keras.optimizers.optimizer import Optimizer


class Adagrad(Optimizer):
    slots = ("accumulator",)

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon
        super().__init__(learning_rate=learning_rate, **kwargs)

    def initial_slot(self, name, value):
        return np.full_like(value, self.initial_accumulator_value)

    def update_step(self, gradient, variable, learning_rate, slots):
        acc = slots["accumulator"]
        acc += np.square(gradient)
        variable -= learning_rate * gradient / np.sqrt(acc + variable.dtype.type(self.epsilon))
