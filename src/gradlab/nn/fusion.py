"""Consecutive layers that :class:`~gradlab.nn.Sequential` runs as one op.

One pattern, the convolutional block's tail: ``ReLU()`` followed by ``MaxPool2d(2)`` (kernel
2, stride 2, no padding, dilation 1, floor mode, no indices) on a 4-d input at least 2x2.
``max_pool2d(relu(x), 2)`` equals ``relu(max_pool2d(x, 2))``, values and gradients, so
:class:`gradlab.ops.pool.ReluMaxPool2dOp` pools first and applies relu to a quarter of the
elements. The graph then shows one ``ReluMaxPool2dOp`` node where the layers are two.

A pair is fused only while neither module has a forward hook (a hook must see its own
module's output) and both are exactly ``ReLU`` and ``MaxPool2d`` (a subclass may override
``forward``); otherwise the modules run one after the other, as always.
"""

from __future__ import annotations

from gradlab.nn.activations import ReLU
from gradlab.nn.pooling import MaxPool2d
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
    """The steps for ``modules`` in order: a module, or a (ReLU, MaxPool2d) pair that may
    run fused (checked again at each call by :func:`run_plan`)."""
    steps = []
    i = 0
    while i < len(modules):
        module = modules[i]
        if type(module) is ReLU and i + 1 < len(modules) and type(modules[i + 1]) is MaxPool2d:
            steps.append((module, modules[i + 1]))
            i += 2
        else:
            steps.append(module)
            i += 1
    return tuple(steps)


def _relu_max_pool(relu: ReLU, pool: MaxPool2d, x):
    if (
        relu._forward_hooks
        or pool._forward_hooks
        or not isinstance(x, Tensor)
        or x.ndim != 4
        or x.shape[2] < 2
        or x.shape[3] < 2
        or x.dtype.kind != "f"
        or not _is_2x2(pool)
    ):
        return pool(relu(x))
    return ReluMaxPool2dOp.apply(x)


def run_plan(steps: tuple, x):
    """Run the steps of :func:`fusion_plan` on ``x``."""
    for step in steps:
        x = _relu_max_pool(step[0], step[1], x) if type(step) is tuple else step(x)
    return x
