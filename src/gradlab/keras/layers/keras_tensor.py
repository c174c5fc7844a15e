"""Symbolic tensors of the functional API: ``x = Input((28, 28, 1)); y = Dense(10)(x)``.

A :class:`KerasTensor` holds a shape (batch first, None where unknown) and the :class:`Node`
that made it: the layer called, the call's input KerasTensors and its outputs. A functional
Model walks these nodes from its outputs back to its inputs.
"""

from __future__ import annotations


class KerasTensor:
    """A placeholder for a batch of a given ``shape`` (None = any size) and ``dtype``."""

    def __init__(self, shape, dtype="float32", node=None, index=0, name=None):
        self.shape = tuple(None if s is None else int(s) for s in shape)
        self.dtype = dtype
        self.node, self.index, self.name = node, index, name

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __getitem__(self, key):
        raise TypeError(
            "KerasTensor: indexing a symbolic tensor is not supported; wrap the operation in "
            "a layer (e.g. keras.layers.Lambda)"
        )


class Node:
    """One call of ``layer`` on KerasTensors: ``inputs`` (flat list), ``structure`` (how the
    call's first argument was shaped: a tensor or a list), and ``outputs``."""

    def __init__(self, layer, inputs, structure, kwargs):
        self.layer, self.inputs, self.structure, self.kwargs = layer, inputs, structure, kwargs
        self.outputs: list[KerasTensor] = []

    @property
    def parents(self) -> list:
        return [t.node for t in self.inputs if t.node is not None]


def flatten(value) -> list:
    """The tensors of a (possibly nested) list/tuple/dict, in order."""
    if isinstance(value, dict):
        return [t for v in value.values() for t in flatten(v)]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in flatten(v)]
    return [value]


def is_symbolic(value) -> bool:
    return any(isinstance(t, KerasTensor) for t in flatten(value))
