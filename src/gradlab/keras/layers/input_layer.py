"""``Input(shape)``: the start of a functional model (a KerasTensor made by an InputLayer)."""

from __future__ import annotations

from gradlab.keras import backend as K
from gradlab.keras.layers.keras_tensor import KerasTensor, Node
from gradlab.keras.layers.layer import Layer


class InputLayer(Layer):
    """The layer behind ``Input``: holds the batch shape; calling it returns its input."""

    def __init__(
        self,
        shape=None,
        batch_size=None,
        dtype=None,
        batch_shape=None,
        name=None,
        sparse=None,
        input_tensor=None,
        optional=False,
        **kwargs,
    ):
        if "input_shape" in kwargs:
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        super().__init__(name=name or K.unique_name("input_layer"), dtype=dtype, **kwargs)
        if batch_shape is None:
            if shape is None:
                raise ValueError("Input: give `shape` (without the batch dimension)")
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size, *tuple(shape))
        self.batch_shape = tuple(batch_shape)
        self.built = True
        node = Node(self, [], "tensor", {})
        self._inbound_nodes.append(node)
        self.output_tensor = KerasTensor(self.batch_shape, self.dtype, node=node, name=self.name)
        node.outputs = [self.output_tensor]

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "batch_shape": self.batch_shape}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None,
          tensor=None, optional=False):  # fmt: skip  # noqa: N802 - Keras's name
    """A symbolic batch of ``shape`` (batch dimension left out): ``Input((32, 32, 3))``."""
    layer = InputLayer(
        shape=shape, batch_size=batch_size, dtype=dtype, batch_shape=batch_shape, name=name
    )
    return layer.output_tensor
