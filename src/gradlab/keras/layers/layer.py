"""``Layer``: the base of every Keras layer, a gradlab :class:`~gradlab.nn.Module` underneath.

A layer creates its weights in ``build(input_shape)`` with :meth:`Layer.add_weight` (trainable
weights are Parameters, the others buffers, so gradlab's optimizers, ``state_dict`` and
``gradlab.explain`` see them), the first time it is called: on a batch (eager) or on a
:class:`KerasTensor` (functional API). ``call(inputs, training=None)`` computes the output from
gradlab Tensors; ``training=None`` means the module's mode (``train()``/``eval()``): Keras
layers start in inference mode, and ``fit`` switches to training for its steps.

Keyword arguments of every layer: ``name`` (default: the class name in snake case, made unique
per session), ``trainable``, ``dtype``, ``input_shape`` / ``input_dim`` (build at once, batch
dimension left out), ``activity_regularizer``.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np

from gradlab import autograd
from gradlab.keras import backend as K
from gradlab.keras import constraints as C
from gradlab.keras import initializers as I
from gradlab.keras import regularizers as R
from gradlab.keras.layers.keras_tensor import KerasTensor, Node, flatten, is_symbolic
from gradlab.nn.module import Module, Parameter
from gradlab.tensor import Tensor


class Layer(Module):
    """Base class of Keras layers; see the module docstring."""

    def __init__(
        self,
        *,
        name=None,
        trainable=True,
        dtype=None,
        input_shape=None,
        input_dim=None,
        batch_input_shape=None,
        batch_size=None,
        activity_regularizer=None,
        **kwargs,
    ):
        super().__init__()
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}: unexpected keyword argument(s) {sorted(kwargs)}"
            )
        object.__setattr__(self, "training", False)  # Keras layers infer unless told to train
        self.name = name or K.unique_name(K.to_snake_case(type(self).__name__))
        self.trainable = bool(trainable)
        self.dtype = dtype or K.floatx()
        self.built = False
        self.activity_regularizer = R.get(activity_regularizer)
        self._weight_specs: list[tuple] = []  # (name, trainable, regularizer, constraint)
        self._activity_losses: list = []
        self._inbound_nodes: list[Node] = []
        shape = None
        if batch_input_shape is not None:
            shape = tuple(batch_input_shape)
        elif input_shape is not None:
            shape = (batch_size, *tuple(input_shape))
        elif input_dim is not None:
            shape = (batch_size, int(input_dim))
        self._batch_input_shape = shape
        if shape is not None:
            warnings.warn(
                "Do not pass an `input_shape`/`input_dim` argument to a layer. When using "
                "Sequential models, prefer using an `Input(shape)` object as the first layer "
                "in the model instead.",
                UserWarning,
                stacklevel=3,
            )

    # ------------------------------------------------------------------ weights
    def add_weight(
        self,
        shape=None,
        initializer=None,
        dtype=None,
        trainable=True,
        regularizer=None,
        constraint=None,
        name=None,
    ):
        """Create a weight of ``shape`` from ``initializer`` (default glorot_uniform for
        floats); register it as a Parameter (trainable) or a buffer (not)."""
        shape = () if shape is None else tuple(int(s) for s in shape)
        init = I.get(initializer if initializer is not None else "glorot_uniform")
        array = np.asarray(init(shape, dtype or self.dtype))
        name = name or f"variable_{len(self._weight_specs)}"
        if trainable:
            tensor = Parameter(np.ascontiguousarray(array))
            self.register_parameter(name, tensor)
        else:
            tensor = Tensor(np.ascontiguousarray(array))
            self.register_buffer(name, tensor)
        self._weight_specs.append((name, trainable, R.get(regularizer), C.get(constraint)))
        return tensor

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value) -> None:
        """Freeze (False) or unfreeze the layer and every layer inside it, as Keras."""
        object.__setattr__(self, "_trainable", bool(value))
        for layer in self._sublayers():
            layer.trainable = value

    def _own_weights(self, trainable=None) -> list:
        out = []
        for name, is_trainable, _, _ in self._weight_specs:
            if trainable is None or (is_trainable and self.trainable) == trainable:
                out.append(getattr(self, name))
        return out

    def _sublayers(self) -> list:
        return [m for m in self._modules.values() if isinstance(m, Layer)]

    @property
    def weights(self) -> list:
        """Every weight, in creation order (Keras's ``get_weights`` order)."""
        out = self._own_weights()
        for layer in self._sublayers():
            out += [w for w in layer.weights if not any(w is o for o in out)]
        return out

    @property
    def trainable_weights(self) -> list:
        if not self.trainable:
            return []
        out = self._own_weights(trainable=True)
        for layer in self._sublayers():
            out += [w for w in layer.trainable_weights if not any(w is o for o in out)]
        return out

    @property
    def non_trainable_weights(self) -> list:
        trainable = self.trainable_weights
        return [w for w in self.weights if not any(w is t for t in trainable)]

    trainable_variables = trainable_weights
    variables = weights

    def get_weights(self) -> list:
        """The weights as NumPy arrays (copies), in Keras's order and layouts."""
        return [np.array(w.numpy(), copy=True) for w in self.weights]

    def set_weights(self, weights) -> None:
        """Load arrays in ``get_weights`` order; shapes must match exactly."""
        mine = self.weights
        weights = list(weights)
        if len(weights) != len(mine):
            raise ValueError(
                f"Layer {self.name!r}: set_weights got {len(weights)} arrays, expected "
                f"{len(mine)} (the layer's weights: {[tuple(w.shape) for w in mine]})"
            )
        for i, (w, value) in enumerate(zip(mine, weights)):
            value = np.asarray(value)
            if tuple(value.shape) != tuple(w.shape):
                raise ValueError(
                    f"Layer {self.name!r}: weight {i} has shape {tuple(w.shape)}, the array "
                    f"given has shape {tuple(value.shape)}"
                )
            w.numpy()[...] = value

    def count_params(self) -> int:
        return int(sum(int(np.prod(w.shape)) for w in self.weights))

    def _constraints(self) -> list:
        """(weight, constraint) pairs of this layer and its sublayers."""
        out = [(getattr(self, n), c) for n, _, _, c in self._weight_specs if c is not None]
        for layer in self._sublayers():
            out += layer._constraints()
        return out

    @property
    def losses(self) -> list:
        """Regularization penalties (scalar Tensors) of the weights, and activity penalties
        of the last call."""
        out = [r(getattr(self, n)) for n, _, r, _ in self._weight_specs if r is not None]
        out += self._activity_losses
        for layer in self._sublayers():
            out += layer.losses
        return out

    # ------------------------------------------------------------------ building and calling
    def build(self, input_shape) -> None:
        self.built = True

    def _maybe_build(self, input_shape) -> None:
        if not self.built:
            self.build(input_shape)
            self.built = True

    def call(self, inputs, training=None):
        raise NotImplementedError(f"{type(self).__name__}.call is not defined")

    def forward(self, inputs, training=None, **kwargs):
        if training is None:
            training = self.training
        out = (
            self.call(inputs, training=training, **kwargs)
            if self._takes_training
            else (self.call(inputs, **kwargs))
        )
        if self.activity_regularizer is not None:
            self._activity_losses = [
                self.activity_regularizer(t) / t.shape[0] for t in flatten(out)
            ]
        return out

    @property
    def _takes_training(self) -> bool:
        cls = type(self)
        if "_call_takes_training" not in cls.__dict__:
            cls._call_takes_training = "training" in inspect.signature(cls.call).parameters
        return cls._call_takes_training

    def __call__(self, inputs, *args, **kwargs):
        if is_symbolic(inputs):
            return self._symbolic_call(inputs, kwargs)
        inputs = _as_tensors(inputs)
        self._maybe_build(_shapes(inputs))
        return super().__call__(inputs, *args, **kwargs)

    def compute_output_shape(self, input_shape):
        """The output shape(s) for ``input_shape`` (batch dimension first, None allowed).
        By default: run the layer on zeros (unknown sizes taken as 1) and read the shape."""
        dummy = _zeros(input_shape)
        was = self.training
        self.train(False)
        try:
            with autograd.no_grad():
                out = self.call(dummy, training=False) if self._takes_training else self.call(dummy)
        finally:
            self.train(was)
        return _restore_batch(out, input_shape)

    def _symbolic_call(self, inputs, kwargs):
        flat = flatten(inputs)
        for t in flat:
            if not isinstance(t, KerasTensor):
                raise TypeError(
                    f"Layer {self.name!r}: mixing KerasTensors and other values in one call is "
                    f"not supported, got {type(t).__name__}"
                )
        shape = _symbolic_shapes(inputs)
        self._maybe_build(shape)
        out_shape = self.compute_output_shape(shape)
        node = Node(self, flat, _structure(inputs), kwargs)
        self._inbound_nodes.append(node)
        if isinstance(out_shape, list):
            outs = [KerasTensor(s, node=node, index=i) for i, s in enumerate(out_shape)]
            node.outputs = outs
            return outs
        out = KerasTensor(out_shape, node=node, index=0)
        node.outputs = [out]
        return out

    # ------------------------------------------------------------------ display
    def extra_repr(self) -> str:
        return f"name={self.name!r}"

    def get_config(self) -> dict:
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}

    @property
    def output(self):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name!r} has never been called on a KerasTensor")
        outs = self._inbound_nodes[0].outputs
        return outs[0] if len(outs) == 1 else outs

    @property
    def input(self):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name!r} has never been called on a KerasTensor")
        node = self._inbound_nodes[0]
        return node.inputs[0] if node.structure == "tensor" else list(node.inputs)


def _as_tensors(inputs):
    if isinstance(inputs, (list, tuple)):
        return [_as_tensors(t) for t in inputs]
    if isinstance(inputs, dict):
        return {k: _as_tensors(v) for k, v in inputs.items()}
    return K.as_tensor(inputs)


def _shapes(inputs):
    if isinstance(inputs, (list, tuple)):
        return [_shapes(t) for t in inputs]
    if isinstance(inputs, dict):
        return {k: _shapes(v) for k, v in inputs.items()}
    return tuple(inputs.shape)


def _symbolic_shapes(inputs):
    if isinstance(inputs, (list, tuple)):
        return [_symbolic_shapes(t) for t in inputs]
    return inputs.shape


def _structure(inputs):
    return "list" if isinstance(inputs, (list, tuple)) else "tensor"


def _zeros(shape):
    if isinstance(shape, list):
        return [_zeros(s) for s in shape]
    return Tensor(np.zeros(tuple(1 if s is None else s for s in shape), dtype=K.floatx()))


def _restore_batch(out, input_shape):
    first = input_shape[0] if isinstance(input_shape, list) else input_shape
    unknown_batch = first[0] is None
    if isinstance(out, (list, tuple)):
        return [_restore_batch(o, input_shape) for o in out]
    shape = tuple(out.shape)
    return ((None,) + shape[1:]) if unknown_batch and shape else shape
