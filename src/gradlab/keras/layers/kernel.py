"""What Keras's layers with a kernel and an optional bias (Dense, Conv1D, Conv2D) share: the
arguments that describe the two weights, and the weights themselves, made at ``build``."""

from __future__ import annotations

from gradlab.keras import activations


def set_kernel_options(layer, activation, use_bias, kernel_initializer, bias_initializer,
                       kernel_regularizer, bias_regularizer, kernel_constraint,
                       bias_constraint) -> None:  # fmt: skip
    """Keep the kernel's and the bias's arguments on ``layer`` under Keras's names."""
    layer.activation = activations.get(activation)
    layer.use_bias = use_bias
    layer.kernel_initializer, layer.bias_initializer = kernel_initializer, bias_initializer
    layer.kernel_regularizer, layer.bias_regularizer = kernel_regularizer, bias_regularizer
    layer.kernel_constraint, layer.bias_constraint = kernel_constraint, bias_constraint


def add_kernel_and_bias(layer, kernel_shape: tuple, units: int) -> None:
    """``layer.kernel`` (kernel_shape) and, with ``use_bias``, ``layer.bias`` (units,), each
    with its initializer, regularizer and constraint; marks the layer built."""
    layer.add_weight(
        kernel_shape,
        layer.kernel_initializer,
        regularizer=layer.kernel_regularizer,
        constraint=layer.kernel_constraint,
        name="kernel",
    )
    if layer.use_bias:
        layer.add_weight(
            (units,),
            layer.bias_initializer,
            regularizer=layer.bias_regularizer,
            constraint=layer.bias_constraint,
            name="bias",
        )
    layer.built = True
