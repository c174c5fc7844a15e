"""BatchNormalization and LayerNormalization, as Keras 3 (channels last: ``axis=-1``).

BatchNormalization in training normalizes with the batch's mean and (biased) variance over
every axis but ``axis`` and updates ``moving = moving·momentum + batch·(1 − momentum)``
(momentum 0.99, epsilon 1e-3); in inference it uses the moving statistics. Weights, in
Keras's order: gamma, beta (trainable), moving_mean, moving_variance (not trainable).
"""

from __future__ import annotations

from gradlab.keras.layers.layer import Layer
from gradlab.ops.elementwise import sqrt
from gradlab.ops.reduce import mean


class BatchNormalization(Layer):
    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        synchronized=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.axis, self.momentum, self.epsilon = axis, float(momentum), float(epsilon)
        self.center, self.scale = center, scale
        self._inits = (
            gamma_initializer,
            beta_initializer,
            moving_mean_initializer,
            moving_variance_initializer,
        )
        self._regs = (gamma_regularizer, beta_regularizer)
        self._cons = (gamma_constraint, beta_constraint)
        if self._batch_input_shape is not None:
            self._maybe_build(self._batch_input_shape)

    def build(self, input_shape):
        size = input_shape[self.axis]
        if size is None:
            raise ValueError(f"BatchNormalization {self.name!r}: axis {self.axis} must be known")
        self.gamma = self.beta = None
        if self.scale:
            self.add_weight(
                (size,),
                self._inits[0],
                regularizer=self._regs[0],
                constraint=self._cons[0],
                name="gamma",
            )
        if self.center:
            self.add_weight(
                (size,),
                self._inits[1],
                regularizer=self._regs[1],
                constraint=self._cons[1],
                name="beta",
            )
        self.add_weight((size,), self._inits[2], trainable=False, name="moving_mean")
        self.add_weight((size,), self._inits[3], trainable=False, name="moving_variance")
        self.built = True

    def _broadcast(self, t, ndim):
        axis = self.axis % ndim
        shape = [1] * ndim
        shape[axis] = t.shape[0]
        return t.reshape(*shape)

    def call(self, inputs, training=None):
        ndim = inputs.ndim
        axis = self.axis % ndim
        reduce_axes = tuple(a for a in range(ndim) if a != axis)
        if training and self.trainable:  # a frozen BatchNormalization infers (Keras 3)
            m = mean(inputs, dim=reduce_axes, keepdim=True)
            centered = inputs - m
            var = mean(centered * centered, dim=reduce_axes, keepdim=True)
            rate = 1.0 - self.momentum
            for moving, batch in ((self.moving_mean, m), (self.moving_variance, var)):
                arr = moving.numpy()
                arr[...] = arr * self.momentum + batch.numpy().reshape(-1) * rate
            out = centered / sqrt(var + self.epsilon)
        else:
            out = (inputs - self._broadcast(self.moving_mean, ndim)) / self._broadcast(
                sqrt(self.moving_variance + self.epsilon), ndim
            )
        if self.scale:
            out = out * self._broadcast(self.gamma, ndim)
        if self.center:
            out = out + self._broadcast(self.beta, ndim)
        return out

    def compute_output_shape(self, input_shape):
        return input_shape


class LayerNormalization(Layer):
    """Normalize each sample over ``axis`` (default the last), then scale and shift."""

    def __init__(
        self,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.axis, self.epsilon, self.center, self.scale = axis, float(epsilon), center, scale
        self._inits = (gamma_initializer, beta_initializer)

    def build(self, input_shape):
        size = input_shape[self.axis]
        if self.scale:
            self.add_weight((size,), self._inits[0], name="gamma")
        if self.center:
            self.add_weight((size,), self._inits[1], name="beta")
        self.built = True

    def call(self, inputs):
        axis = self.axis % inputs.ndim
        m = mean(inputs, dim=axis, keepdim=True)
        centered = inputs - m
        var = mean(centered * centered, dim=axis, keepdim=True)
        out = centered / sqrt(var + self.epsilon)
        if self.scale:
            out = out * self.gamma
        if self.center:
            out = out + self.beta
        return out

    def compute_output_shape(self, input_shape):
        return input_shape


__all__ = ["BatchNormalization", "LayerNormalization"]
