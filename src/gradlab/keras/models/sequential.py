"""``Sequential``: a stack of layers, each feeding the next (Keras 3's semantics).

The input shape comes from an ``Input``/``InputLayer`` first, from ``input_shape=`` on the
first layer, or from the first batch; once known the model is built (weights created, output
shapes known for ``summary``).
"""

from __future__ import annotations

from gradlab.keras import backend as K
from gradlab.keras.layers.input_layer import InputLayer
from gradlab.keras.layers.keras_tensor import KerasTensor
from gradlab.keras.layers.layer import Layer
from gradlab.keras.models.model import Model


class Sequential(Model):
    def __init__(self, layers=None, trainable=True, name=None):
        Model.__init__(self, name=name or K.unique_name("sequential"), trainable=trainable)
        self._stack: list = []
        self._input_shape = None
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._try_build()

    @property
    def layers(self) -> list:
        return [layer for layer in self._stack if not isinstance(layer, InputLayer)]

    def add(self, layer, rebuild=True) -> None:
        """Append a layer (or an ``Input`` KerasTensor, which sets the input shape)."""
        if isinstance(layer, KerasTensor):
            layer = layer.node.layer
        if not isinstance(layer, Layer):
            raise TypeError(
                f"Sequential: only Keras layers can be added, got {type(layer).__name__} "
                f"({layer!r})"
            )
        if isinstance(layer, InputLayer):
            if self._stack:
                raise ValueError("Sequential: an Input can only be the first layer")
            self._input_shape = layer.batch_shape
        elif not self._stack and layer._batch_input_shape is not None:
            self._input_shape = layer._batch_input_shape
        if any(layer is other for other in self._stack):
            raise ValueError(f"Sequential: layer {layer.name!r} is already in the model")
        self._stack.append(layer)
        if not isinstance(layer, InputLayer):
            self.add_module(layer.name, layer)
        self.built = False
        if rebuild:
            self._try_build()

    def pop(self):
        layer = self._stack.pop()
        self._drop(layer.name)
        self.built = False
        self._try_build()
        return layer

    def _try_build(self) -> None:
        if self._input_shape is not None and self.layers:
            self.build(self._input_shape)

    def build(self, input_shape=None) -> None:
        """Create every layer's weights by running a symbolic batch of ``input_shape``."""
        shape = tuple(input_shape)
        x = KerasTensor(shape)
        self._input_shape = shape
        for layer in self.layers:
            x = layer(x)
        self.built = True

    def _maybe_build(self, input_shape) -> None:
        if not self.built:
            shape = input_shape[0] if isinstance(input_shape, list) else input_shape
            self.build((None, *tuple(shape)[1:]))

    def call(self, inputs, training=None):
        x = inputs
        for layer in self.layers:
            x = layer(x, training=training) if layer._takes_training else layer(x)
        return x

    def compute_output_shape(self, input_shape):
        shape = input_shape
        for layer in self.layers:
            shape = layer.compute_output_shape(shape)
        return shape

    @property
    def output_names(self) -> list:
        return [self.layers[-1].name] if self.layers else []

    @output_names.setter
    def output_names(self, value) -> None:
        pass
