"""``Module.summary``: a Keras-style table of layers, output shapes and parameter counts."""

from __future__ import annotations

import numpy as np

from gradlab.autograd import no_grad
from gradlab.backend import get_default_dtype, xp
from gradlab.tensor import Tensor


def _shape_of(output) -> str:
    if isinstance(output, Tensor):
        return str((None, *output.shape[1:]))
    if isinstance(output, (tuple, list)):
        return ", ".join(_shape_of(o) for o in output)
    return "?"


def count_parameters(module, trainable_only: bool = False) -> int:
    return sum(
        p.data.size for p in module.parameters() if p.requires_grad or not trainable_only
    )


def summarize(model, input_shape, dtype=None) -> str:
    """Run one sample of ``input_shape`` (batch dimension excluded) through ``model`` and
    tabulate each leaf module: name (type), output shape with batch shown as None, params."""
    dtype = np.dtype(dtype) if dtype is not None else get_default_dtype()
    rows, handles = [], []
    for name, module in model.named_modules():
        if next(module.children(), None) is not None and not module._parameters:
            continue

        def hook(mod, inputs, output, name=name):
            own = sum(p.data.size for p in mod.parameters(recurse=False))
            rows.append((f"{name or type(mod).__name__} ({type(mod).__name__})",
                         _shape_of(output), own))

        handles.append(module.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        sample = Tensor(xp.zeros((1, *input_shape), dtype=dtype))
        with no_grad():
            model(sample)
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    total = count_parameters(model)
    trainable = count_parameters(model, trainable_only=True)
    width = max([30, *(len(r[0]) + 2 for r in rows)])
    shape_width = max([20, *(len(r[1]) + 2 for r in rows)])
    rule = "=" * (width + shape_width + 12)
    lines = [f'Model: "{type(model).__name__}"', rule,
             f"{'Layer (type)':<{width}}{'Output Shape':<{shape_width}}{'Param #':>12}", rule]
    lines += [f"{name:<{width}}{shape:<{shape_width}}{params:>12,}" for name, shape, params in rows]
    lines += [rule, f"Total params: {total:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}", rule]
    return "\n".join(lines)
