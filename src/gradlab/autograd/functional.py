"""``torch.autograd.functional``: vjp, jvp, jacobian, hessian, vhp, hvp of a function of
tensors, on :func:`gradlab.autograd.grad` (jvp, hessian, vhp and hvp need the ops' recorded
backward passes: see :mod:`gradlab.autograd_graph`).

``func`` takes the inputs (a Tensor or a tuple of Tensors) and returns a Tensor or a tuple of
Tensors. Results follow torch's structure: a Tensor where ``inputs`` (and the outputs) are
single Tensors, tuples where they are tuples; ``jacobian`` of an output of shape ``O`` by an
input of shape ``I`` has shape ``O + I``. Without ``create_graph`` the results are detached;
an input the output does not depend on gets zeros (``strict=True`` raises instead, as torch).
Only torch's default strategies exist here: ``vectorize=True`` and forward-mode strategies
raise NotImplementedError.
"""

from __future__ import annotations

import numpy as np

from gradlab.autograd_api import grad as _grad
from gradlab.tensor import Tensor

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


def _as_tuple(value, name: str, fn: str) -> tuple[bool, tuple]:
    is_tuple = isinstance(value, (tuple, list))
    values = tuple(value) if is_tuple else (value,)
    for i, v in enumerate(values):
        if not isinstance(v, Tensor):
            where = f"{name}" if not is_tuple else f"element {i} of {name}"
            raise TypeError(
                f"The {where} given to {fn} must be either a Tensor or a tuple of Tensors but "
                f"the value is of type {type(v).__name__}"
            )
    return is_tuple, values


def _prepare(inputs: tuple, create_graph: bool) -> tuple:
    """Inputs to differentiate by: each a new node (create_graph keeps their history)."""
    if create_graph:
        return tuple(
            t.view_as(t) if t.requires_grad else t.detach().requires_grad_() for t in inputs
        )
    return tuple(t.detach().requires_grad_() for t in inputs)


def _finish(values, create_graph: bool):
    if create_graph:
        return values
    return tuple(v.detach() for v in values)


def _vector_grad(outputs, inputs, grad_outputs, create_graph, strict, fn, what="output"):
    """grad of the outputs (weighted) by the inputs; zeros (or strict's error) where unused."""
    used = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if used:
        grads = _grad(
            [o for o, _ in used],
            inputs,
            [g for _, g in used],
            retain_graph=True,
            create_graph=create_graph,
            allow_unused=True,
        )
    else:
        grads = (None,) * len(inputs)
    out = []
    for i, (g, t) in enumerate(zip(grads, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(
                    f"The {what} of the user-provided function is independent of input {i}. "
                    f"This is not allowed in strict mode."
                )
            g = Tensor(np.zeros(t.shape, t.dtype))
        elif strict and create_graph and not g.requires_grad:
            raise RuntimeError(
                f"The jacobian of the user-provided function is independent of input {i}. "
                f"This is not allowed in strict mode when create_graph=True."
            )
        out.append(g)
    return tuple(out)


def _check_v(v, outputs, fn: str, what: str) -> tuple:
    if v is None:
        if len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError(
                f"The vector v can only be None if the {what} is a Tensor with a single element"
            )
        return (Tensor(np.ones(outputs[0].shape, outputs[0].dtype)),)
    _, v = _as_tuple(v, "v", fn)
    if len(v) != len(outputs):
        raise RuntimeError(
            f"v is a tuple of invalid length: should be {len(outputs)} but got {len(v)}."
        )
    for i, (vi, o) in enumerate(zip(v, outputs)):
        if tuple(vi.shape) != tuple(o.shape):
            raise RuntimeError(
                f"Entry {i} in v has invalid size: should be {tuple(o.shape)} but got "
                f"{tuple(vi.shape)}."
            )
    return v


def _outputs(func, inputs, fn: str) -> tuple[bool, tuple]:
    return _as_tuple(func(*inputs), "outputs of the user-provided function", fn)


def _single_output(func, inputs, fn: str) -> Tensor:
    is_tuple, outputs = _outputs(func, inputs, fn)
    if is_tuple and len(outputs) != 1:
        raise RuntimeError(
            f"The function given to {fn} should return a single Tensor, got {len(outputs)}"
        )
    if outputs[0].numel() != 1:
        raise RuntimeError(
            f"The Tensor returned by the function given to {fn} should contain a single element"
        )
    return outputs[0]


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J): the vector-Jacobian product at ``inputs``."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
    inputs = _prepare(inputs, create_graph)
    is_outputs_tuple, outputs = _outputs(func, inputs, "vjp")
    v = _check_v(v, outputs, "vjp", "outputs of the user-provided function")
    result = _vector_grad(outputs, inputs, v, create_graph, strict, "vjp")
    outputs = _finish(outputs, create_graph)
    return (
        outputs if is_outputs_tuple else outputs[0],
        _finish(result, create_graph) if is_inputs_tuple else _finish(result, create_graph)[0],
    )


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v): the Jacobian-vector product, by the double-backward trick
    (v^T J is linear in v, so differentiating it by a dummy vector u gives J v)."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
    inputs = _prepare(inputs, create_graph)
    if v is None:
        if len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError(
                "The vector v can only be None if the input to the user-provided function is "
                "a single Tensor with a single element."
            )
        v = (Tensor(np.ones(inputs[0].shape, inputs[0].dtype)),)
    else:
        v = _check_v(v, inputs, "jvp", "input")
    is_outputs_tuple, outputs = _outputs(func, inputs, "jvp")
    dummies = tuple(Tensor(np.zeros(o.shape, o.dtype), requires_grad=True) for o in outputs)
    vjps = _vector_grad(outputs, inputs, dummies, True, strict, "jvp")
    pairs = [(g, w) for g, w in zip(vjps, v) if g.requires_grad]
    if pairs:
        result = _grad(
            [g for g, _ in pairs],
            dummies,
            [w for _, w in pairs],
            retain_graph=True,
            create_graph=create_graph,
            allow_unused=True,
        )
    else:
        result = (None,) * len(dummies)
    result = tuple(
        Tensor(np.zeros(o.shape, o.dtype)) if r is None else r for r, o in zip(result, outputs)
    )
    outputs, result = _finish(outputs, create_graph), _finish(result, create_graph)
    return (
        outputs if is_outputs_tuple else outputs[0],
        result if is_outputs_tuple else result[0],
    )


def jacobian(
    func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"
):
    """d func / d inputs: for output shape O and input shape I, a tensor of shape O + I (tuples
    of them, indexed [output][input], for tuple outputs and inputs)."""
    if vectorize or strategy != "reverse-mode":
        raise NotImplementedError(
            "jacobian(vectorize=True) and strategy='forward-mode' are not implemented in "
            "gradlab; use the defaults (reverse mode, one backward pass per output element)"
        )
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    inputs = _prepare(inputs, create_graph)
    is_outputs_tuple, outputs = _outputs(func, inputs, "jacobian")
    table = []
    for out in outputs:
        flat = out.reshape(-1)
        rows = [[] for _ in inputs]
        for k in range(flat.shape[0]):
            element = flat[k]
            grads = _vector_grad(
                [element], inputs, [Tensor(np.ones((), out.dtype))], create_graph, strict,
                "jacobian",
            )  # fmt: skip
            for row, g in zip(rows, grads):
                row.append(g)
        from gradlab.ops.movement import stack

        per_input = []
        for row, t in zip(rows, inputs):
            if row:
                block = stack(row).reshape(*out.shape, *t.shape)
            else:
                block = Tensor(np.zeros(tuple(out.shape) + tuple(t.shape), t.dtype))
            per_input.append(block if create_graph else block.detach())
        table.append(tuple(per_input))
    return _postprocess(tuple(table), is_outputs_tuple, is_inputs_tuple)


def _postprocess(table, outer_tuple: bool, inner_tuple: bool):
    if outer_tuple and inner_tuple:
        return table
    if outer_tuple:
        return tuple(row[0] for row in table)
    if inner_tuple:
        return table[0]
    return table[0][0]


def hessian(
    func,
    inputs,
    create_graph=False,
    strict=False,
    vectorize=False,
    outer_jacobian_strategy="reverse-mode",
):
    """The Hessian of a scalar function: for input shape I, a tensor of shape I + I (tuples of
    them, indexed [input_i][input_j], for tuple inputs)."""
    if vectorize or outer_jacobian_strategy != "reverse-mode":
        raise NotImplementedError(
            "hessian(vectorize=True) and outer_jacobian_strategy='forward-mode' are not "
            "implemented in gradlab; use the defaults"
        )
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*args):
        out = _single_output(func, args, "hessian")
        return _vector_grad(
            [out], args, [Tensor(np.ones(out.shape, out.dtype))], True, strict, "hessian"
        )

    table = jacobian(gradient, inputs, create_graph=create_graph, strict=strict)
    return _postprocess(table, is_inputs_tuple, is_inputs_tuple)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H) for a scalar function."""
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v) for a scalar function (H is symmetric: the same as vhp's)."""
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def _hessian_product(func, inputs, v, create_graph, strict, fn):
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn)
    inputs = _prepare(inputs, create_graph)
    if v is None:
        if len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError(
                "The vector v can only be None if the input to the user-provided function is "
                "a single Tensor with a single element."
            )
        v = (Tensor(np.ones(inputs[0].shape, inputs[0].dtype)),)
    else:
        v = _check_v(v, inputs, fn, "input")
    out = _single_output(func, inputs, fn)
    ones = Tensor(np.ones(out.shape, out.dtype))
    grads = _vector_grad([out], inputs, [ones], True, strict, fn)
    result = _vector_grad(grads, inputs, v, create_graph, strict, fn, what="jacobian")
    out = out if create_graph else out.detach()
    result = _finish(result, create_graph)
    return out, result if is_inputs_tuple else result[0]
