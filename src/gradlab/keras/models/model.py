"""``Model``: Keras's functional API (``Model(inputs, outputs)``) and subclassed models
(``class M(Model)`` with layers as attributes and a ``call``), a gradlab Module underneath
(its layers are registered submodules under their names), with Keras's training API from
:class:`~gradlab.keras.models.trainer.KerasTrainer`.

Functional: ``inputs`` and ``outputs`` are KerasTensors (one, a list, or a dict of outputs);
calling the model runs the layers' nodes in topological order. Inputs are given as one
array, a list in ``inputs`` order, or a dict by Input name.
"""

from __future__ import annotations

from gradlab.keras import backend as K
from gradlab.keras.layers.input_layer import InputLayer
from gradlab.keras.layers.keras_tensor import KerasTensor, flatten
from gradlab.keras.layers.layer import Layer
from gradlab.keras.models import saving, summary
from gradlab.keras.models.trainer import KerasTrainer


def _topological(outputs) -> list:
    """The nodes that lead to ``outputs``, each after the nodes it depends on."""
    order, seen = [], set()

    def visit(node):
        if id(node) in seen:
            return
        seen.add(id(node))
        for parent in node.parents:
            visit(parent)
        order.append(node)

    for t in outputs:
        visit(t.node)
    return order


class Model(KerasTrainer, Layer):
    """Functional or subclassed Keras model; see the module docstring."""

    def __init__(self, *args, **kwargs):
        inputs = kwargs.pop("inputs", args[0] if args else None)
        outputs = kwargs.pop("outputs", args[1] if len(args) > 1 else None)
        name = kwargs.pop("name", None)
        default = "functional" if inputs is not None else K.to_snake_case(type(self).__name__)
        Layer.__init__(self, name=name or K.unique_name(default), **kwargs)
        KerasTrainer.__init__(self)
        self._functional = inputs is not None
        if self._functional:
            self._init_graph(inputs, outputs)

    # ------------------------------------------------------------------ functional graph
    def _init_graph(self, inputs, outputs):
        if outputs is None:
            raise ValueError("Model: give both inputs and outputs")
        self._input_struct = inputs
        self._output_struct = outputs
        self.inputs = flatten(inputs)
        self.outputs = flatten(outputs)
        for t in self.inputs + self.outputs:
            if not isinstance(t, KerasTensor):
                raise TypeError(f"Model: inputs and outputs must be KerasTensors, got {t!r}")
        self._nodes = _topological(self.outputs)
        known = {id(t) for t in self.inputs}
        for node in self._nodes:
            if isinstance(node.layer, InputLayer) and id(node.outputs[0]) not in known:
                raise ValueError(
                    f"Model: output depends on Input {node.layer.name!r}, which is not among "
                    f"the model's inputs"
                )
        self._layers = []
        for node in self._nodes:
            if not any(node.layer is layer for layer in self._layers):
                self._layers.append(node.layer)
                self.add_module(node.layer.name, node.layer)
        self.output_names = [t.node.layer.name for t in self.outputs]
        if isinstance(outputs, dict):
            self.output_names = list(outputs)
        self.input_names = [t.node.layer.name for t in self.inputs]
        self.built = True

    @property
    def layers(self) -> list:
        if self._functional:
            return list(self._layers)
        return [m for m in self._modules.values() if isinstance(m, Layer)]

    def get_layer(self, name=None, index=None):
        layers = self.layers
        if index is not None:
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: {[l.name for l in layers]}.")

    def _feed(self, inputs) -> dict:
        if isinstance(inputs, dict):
            missing = [n for n in self.input_names if n not in inputs]
            if missing:
                raise ValueError(f"Model {self.name!r}: missing inputs {missing}")
            values = [inputs[n] for n in self.input_names]
        elif len(self.inputs) == 1:
            values = [
                inputs[0] if isinstance(inputs, (list, tuple)) and len(inputs) == 1 else inputs
            ]
        else:
            values = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
            if len(values) != len(self.inputs):
                raise ValueError(
                    f"Model {self.name!r}: expected {len(self.inputs)} inputs "
                    f"({self.input_names}), got {len(values)}"
                )
        return {id(t): v for t, v in zip(self.inputs, values)}

    def call(self, inputs, training=None):
        if not self._functional:
            raise NotImplementedError(f"{type(self).__name__}: define call() or build with Input")
        values = self._feed(inputs)
        for node in self._nodes:
            if isinstance(node.layer, InputLayer):
                continue
            args = [values[id(t)] for t in node.inputs]
            arg = args[0] if node.structure == "tensor" else args
            kwargs = dict(node.kwargs)
            if node.layer._takes_training:
                kwargs["training"] = training
            out = node.layer(arg, **kwargs)
            outs = out if isinstance(out, (list, tuple)) else [out]
            for t, v in zip(node.outputs, outs):
                values[id(t)] = v
        results = [values[id(t)] for t in self.outputs]
        if isinstance(self._output_struct, dict):
            return dict(zip(self._output_struct, results))
        if isinstance(self._output_struct, (list, tuple)):
            return results
        return results[0]

    def compute_output_shape(self, input_shape):
        if self._functional:
            shapes = [t.shape for t in self.outputs]
            return shapes if len(shapes) > 1 else shapes[0]
        return super().compute_output_shape(input_shape)

    # ------------------------------------------------------------------ Keras API
    def summary(
        self,
        line_length=None,
        positions=None,
        print_fn=None,
        expand_nested=False,
        show_trainable=False,
        layer_range=None,
    ):
        """Print (or pass to ``print_fn``) Keras's table: layer (type), output shape, params."""
        text = summary.render(self, line_length)
        (print_fn or print)(text)

    def save_weights(self, filepath, overwrite=True):
        saving.save_weights(self, filepath, overwrite)

    def load_weights(self, filepath, skip_mismatch=False):
        saving.load_weights(self, filepath, skip_mismatch)

    def save(self, filepath, *args, **kwargs):
        raise NotImplementedError(
            "Model.save: saving a whole model (architecture + weights) is not supported by "
            "gradlab.keras; use model.save_weights(path) and rebuild the model in code"
        )

    def get_config(self) -> dict:
        return {"name": self.name, "layers": [layer.get_config() for layer in self.layers]}
