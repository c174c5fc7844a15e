"""Merging layers: Concatenate (along ``axis``, default the last), Add, Subtract, Multiply,
Average, Maximum; each takes a list of tensors of matching shapes."""

from __future__ import annotations

from gradlab.keras.layers.layer import Layer
from gradlab.ops.elementwise import maximum
from gradlab.ops.movement import cat


class _Merge(Layer):
    def _check(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: expected a list of at least 2 inputs, "
                f"got {type(inputs).__name__}"
            )

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def call(self, inputs):
        self._check(inputs)
        out = inputs[0]
        for t in inputs[1:]:
            out = self._merge(out, t)
        return out


class Add(_Merge):
    def _merge(self, a, b):
        return a + b


class Subtract(_Merge):
    def call(self, inputs):
        if len(inputs) != 2:
            raise ValueError(f"Subtract {self.name!r}: expected exactly 2 inputs")
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    def _merge(self, a, b):
        return a * b


class Maximum(_Merge):
    def _merge(self, a, b):
        return maximum(a, b)


class Average(_Merge):
    def call(self, inputs):
        return Add.call(self, inputs) * (1.0 / len(inputs))

    _merge = Add._merge


class Concatenate(Layer):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 1:
            raise ValueError(f"Concatenate {self.name!r}: expected a list of inputs")
        return cat(list(inputs), dim=self.axis)

    def compute_output_shape(self, input_shape):
        shapes = [list(s) for s in input_shape]
        out = shapes[0][:]
        axis = self.axis % len(out)
        sizes = [s[axis] for s in shapes]
        out[axis] = None if any(s is None for s in sizes) else sum(sizes)
        return tuple(out)


def add(inputs, **kwargs):
    return Add(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    return Concatenate(axis=axis, **kwargs)(inputs)
