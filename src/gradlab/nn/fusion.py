"""Consecutive layers that :class:`~gradlab.nn.Sequential` runs as one op.

Three patterns. The convolutional block and its tail, where the pooling is ``MaxPool2d(2)``
(kernel 2, stride 2, no padding, dilation 1, floor mode, no indices):

- ``Conv2d`` (zeros padding) -> ``ReLU`` -> ``MaxPool2d(2)``:
  :class:`gradlab.ops.conv_block.ConvReluMaxPool2dOp` runs the three a few images at a time,
  so that each chunk's conv output is pooled while it is in cache.
- ``ReLU`` -> ``MaxPool2d(2)``: ``max_pool2d(relu(x), 2)`` equals ``relu(max_pool2d(x, 2))``,
  values and gradients, so :class:`gradlab.ops.pool.ReluMaxPool2dOp` pools first and applies
  relu to a quarter of the elements.

And the dense layer: ``Linear`` -> ``ReLU`` runs as :class:`gradlab.ops.linear.LinearReluOp`,
relu in place on the GEMM's output.

An optimization never hides a layer from a graph: each fused op names the layers it computes
(:attr:`gradlab.autograd.Function.parts`), so a graph a user renders with
:func:`gradlab.explain.graph`, or walks through ``grad_fn.next_functions``, shows a node for
every layer, in training as in evaluation. What a fused op does not keep is the intermediate
tensors (the conv output, the pre-pooling ReLU output): the layers run fused only while none
of their modules has a forward hook (a hook must see its own module's output), so no user code
can hold one of them. Backward through a fused op gives the gradients of the separate layers;
a graph recorded by ``create_graph=True`` runs the parts as separate ops (each fused op's
``composite`` or ``backward_graph``).

A group is not fused under ``gradlab.use_reference_kernels(True)`` or off the CPU (the
readable references and the other devices run layer by layer), nor unless each module is
exactly ``Linear``, ``Conv2d``, ``ReLU`` or ``MaxPool2d`` (a subclass may override
``forward``) and the input is a Tensor the layers accept (for the convolutional patterns a
floating-point 4-d one); otherwise the modules run one after the other, as always, and raise
their own errors.
"""

from __future__ import annotations

from gradlab.nn.activations import ReLU
from gradlab.nn.conv import Conv2d
from gradlab.nn.linear import Linear
from gradlab.nn.pooling import MaxPool2d
from gradlab.nn.reference.switch import wants_reference
from gradlab.ops.conv import conv_output_hw
from gradlab.ops.conv_block import ConvReluMaxPool2dOp
from gradlab.ops.linear import LinearReluOp
from gradlab.ops.pool import ReluMaxPool2dOp
from gradlab.tensor import Tensor

__all__ = ["fusion_plan", "run_plan"]


def _is_2x2(pool: MaxPool2d) -> bool:
    return (
        pool.kernel_size in (2, (2, 2))
        and pool.stride in (2, (2, 2))
        and pool.padding in (0, (0, 0))
        and pool.dilation in (1, (1, 1))
        and not pool.ceil_mode
        and not pool.return_indices
    )


def fusion_plan(modules: tuple) -> tuple:
    """The steps for ``modules`` in order: a module, or a tuple of modules (Conv2d, ReLU,
    MaxPool2d), (ReLU, MaxPool2d) or (Linear, ReLU) that may run fused (checked again at each
    call by :func:`run_plan`)."""
    kinds = [type(m) for m in modules]
    steps = []
    i = 0
    while i < len(modules):
        if kinds[i : i + 3] == [Conv2d, ReLU, MaxPool2d]:
            steps.append(modules[i : i + 3])
            i += 3
        elif kinds[i : i + 2] in ([ReLU, MaxPool2d], [Linear, ReLU]):
            steps.append(modules[i : i + 2])
            i += 2
        else:
            steps.append(modules[i])
            i += 1
    return tuple(steps)


def _fusable_input(x) -> bool:
    return isinstance(x, Tensor) and x.ndim == 4 and x.dtype.kind == "f"


def _relu_max_pool(relu: ReLU, pool: MaxPool2d, x):
    if (
        relu._forward_hooks
        or pool._forward_hooks
        or not _fusable_input(x)
        or x.shape[2] < 2
        or x.shape[3] < 2
        or not _is_2x2(pool)
    ):
        return pool(relu(x))
    return ReluMaxPool2dOp.apply(x)


def _conv_relu_max_pool(conv: Conv2d, relu: ReLU, pool: MaxPool2d, x):
    if (
        conv._forward_hooks
        or conv.padding_mode != "zeros"
        or conv.groups != 1
        or not _fusable_input(x)
        or x.shape[1] != conv.in_channels
        or min(conv_output_hw(x.shape, conv.weight.shape, conv.stride, conv._pads,
                              conv.dilation)) < 2
        or relu._forward_hooks
        or pool._forward_hooks
        or not _is_2x2(pool)
    ):  # fmt: skip
        return _relu_max_pool(relu, pool, conv(x))
    settings = {"stride": conv.stride, "padding": conv._pads, "dilation": conv.dilation}
    if conv.bias is None:
        return ConvReluMaxPool2dOp.apply(x, conv.weight, **settings)
    return ConvReluMaxPool2dOp.apply(x, conv.weight, conv.bias, **settings)


def _linear_relu(linear: Linear, relu: ReLU, x):
    if linear._forward_hooks or relu._forward_hooks or not isinstance(x, Tensor):
        return relu(linear(x))
    return linear._apply(LinearReluOp, x)


def _one_by_one(step: tuple, x):
    for module in step:
        x = module(x)
    return x


def run_plan(steps: tuple, x):
    """Run the steps of :func:`fusion_plan` on ``x``."""
    for step in steps:
        if type(step) is not tuple:
            x = step(x)
        elif wants_reference(x):  # the readable references, or not the CPU
            x = _one_by_one(step, x)
        elif len(step) == 3:
            x = _conv_relu_max_pool(*step, x)
        elif type(step[0]) is Linear:
            x = _linear_relu(*step, x)
        else:
            x = _relu_max_pool(*step, x)
    return x
