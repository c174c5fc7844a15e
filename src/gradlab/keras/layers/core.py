"""Core layers: Dense, Activation, Dropout, Flatten, Reshape, Lambda (Keras 3's semantics).

Shapes: Dense maps (batch, ..., in) to (batch, ..., units) with a kernel (in, units) and a
bias (units,); Flatten maps (batch, d1, d2, ...) to (batch, d1*d2*...) in row-major order
(channels last, so it matches Keras's flattening of an image batch).
"""

from __future__ import annotations

import math

import numpy as np

from gradlab.keras import activations
from gradlab.keras.layers.kernel import add_kernel_and_bias, set_kernel_options
from gradlab.keras.layers.layer import Layer
from gradlab.nn.dropout import dropout as _dropout
from gradlab.ops.linalg import matmul
from gradlab.ops.movement import reshape


class Dense(Layer):
    """``activation(inputs @ kernel + bias)``; kernel (in, units) glorot_uniform, bias zeros."""

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        lora_rank=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if lora_rank is not None:
            raise NotImplementedError("Dense: lora_rank is not supported")
        if not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        self.units = int(units)
        set_kernel_options(self, activation, use_bias, kernel_initializer, bias_initializer,
                           kernel_regularizer, bias_regularizer, kernel_constraint,
                           bias_constraint)  # fmt: skip
        if self._batch_input_shape is not None:
            self._maybe_build(self._batch_input_shape)

    def build(self, input_shape):
        in_features = input_shape[-1]
        if in_features is None:
            raise ValueError(f"Dense {self.name!r}: the last dimension of the input must be known")
        add_kernel_and_bias(self, (in_features, self.units), self.units)

    def call(self, inputs):
        if inputs.shape[-1] != self.kernel.shape[0]:
            raise ValueError(
                f"Dense {self.name!r}: input has shape {tuple(inputs.shape)}, expected last "
                f"dimension {self.kernel.shape[0]}"
            )
        out = matmul(inputs, self.kernel)
        if self.use_bias:
            out = out + self.bias
        return self.activation(out)

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape[:-1]), self.units)

    def extra_repr(self) -> str:
        name = activations.serialize(self.activation)
        return f"name={self.name!r}, units={self.units}, activation={name}"


class Activation(Layer):
    """Applies an activation by name or callable."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape


class Dropout(Layer):
    """In training, zero each input with probability ``rate`` and scale the rest by
    1/(1-rate); in inference the identity."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(f"Dropout: rate must be in [0, 1], got {rate!r}")
        if noise_shape is not None:
            raise NotImplementedError("Dropout: noise_shape is not supported")
        self.rate, self.noise_shape, self.seed = float(rate), noise_shape, seed
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        return _dropout(inputs, self.rate, training=True, generator=self._rng)

    def compute_output_shape(self, input_shape):
        return input_shape


class Flatten(Layer):
    """(batch, d1, d2, ...) -> (batch, d1*d2*...)."""

    def call(self, inputs):
        return reshape(inputs, inputs.shape[0], -1) if inputs.ndim != 2 else inputs

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(s is None for s in rest) else math.prod(rest)
        return (input_shape[0], size)


class Reshape(Layer):
    """(batch, ...) -> (batch, *target_shape); one entry may be -1."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(target_shape)

    def call(self, inputs):
        return reshape(inputs, inputs.shape[0], *self.target_shape)

    def compute_output_shape(self, input_shape):
        shape = list(self.target_shape)
        if -1 in shape and all(s is not None for s in input_shape[1:]):
            known = math.prod(s for s in shape if s != -1)
            shape[shape.index(-1)] = math.prod(input_shape[1:]) // known
        return (input_shape[0], *[None if s == -1 else s for s in shape])


class Lambda(Layer):
    """Wraps ``function(inputs)`` (built from gradlab ops) as a layer."""

    def __init__(self, function, output_shape=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        self.function, self.arguments = function, arguments or {}

    def call(self, inputs):
        return self.function(inputs, **self.arguments)
