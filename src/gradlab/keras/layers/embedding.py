"""Embedding, as Keras 3: integer indices (batch, ...) -> vectors (batch, ..., output_dim)
from a table ``embeddings`` (input_dim, output_dim), initialized U(-0.05, 0.05). Masking
(``mask_zero=True``) is not supported."""

from __future__ import annotations

import numpy as np

from gradlab.keras.layers.layer import Layer
from gradlab.nn.embedding import embedding
from gradlab.tensor import Tensor


class Embedding(Layer):
    def __init__(
        self,
        input_dim,
        output_dim,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        weights=None,
        lora_rank=None,
        input_length=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = embeddings_initializer
        self.embeddings_regularizer = embeddings_regularizer
        self.embeddings_constraint = embeddings_constraint
        if mask_zero:
            raise NotImplementedError(
                "Embedding: mask_zero=True is not supported (gradlab.keras does not propagate "
                "masks to the layers after it)"
            )
        self.mask_zero = mask_zero
        self._initial_weights = weights
        self.build(None)

    def build(self, input_shape=None):
        if self.built:
            return
        self.add_weight(
            (self.input_dim, self.output_dim),
            self.embeddings_initializer,
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
            name="embeddings",
        )
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)

    def __call__(self, inputs, *args, **kwargs):
        if not isinstance(inputs, Tensor) and not hasattr(inputs, "node"):
            inputs = Tensor(np.asarray(inputs).astype(np.int64, copy=False))
        return super().__call__(inputs, *args, **kwargs)

    def call(self, inputs):
        indices = inputs.numpy()
        if indices.dtype.kind == "f":
            indices = indices.astype(np.int64)
        if indices.size and (indices.min() < 0 or indices.max() >= self.input_dim):
            raise ValueError(
                f"Embedding {self.name!r}: indices must be in [0, {self.input_dim}), got values "
                f"from {indices.min()} to {indices.max()}"
            )
        return embedding(Tensor(indices), self.embeddings)

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape), self.output_dim)
