"""The reverse-mode engine: :func:`run_backward` walks the graph from a root tensor in
topological order, calls each node's backward once, and accumulates into the leaves' .grad
(PyTorch's semantics: gradients add up until zero_grad(); saved arrays are released unless
retain_graph). :meth:`gradlab.Tensor.backward` and :func:`gradlab.autograd.grad` call it."""

from __future__ import annotations

import numpy as np

from gradlab import autograd_api
from gradlab.autograd import FREED, check_saved_versions, free_node
from gradlab.backend import as_array
from gradlab.tensor import Tensor, bump_version, unbroadcast


def topological_order(roots: list) -> list:
    """Function nodes reachable from ``roots``, each after every node that consumes its
    output (the order both backward engines run in)."""
    order = []
    visited = set()
    stack = [(fn, False) for fn in reversed(roots)]
    while stack:
        fn, expanded = stack.pop()
        if expanded:
            order.append(fn)
            continue
        if fn in visited:
            continue
        visited.add(fn)
        stack.append((fn, True))
        for node in fn.next:
            if node is not None and node not in visited and not isinstance(node, Tensor):
                stack.append((node, False))
    order.reverse()
    return order


def _accumulate_leaf(leaf: Tensor, grad, given_out: set) -> None:
    if type(grad) is not np.ndarray:  # ufuncs on 0-d arrays return numpy scalars
        grad = as_array(grad)
    if grad.dtype != leaf._data.dtype:
        grad = grad.astype(leaf._data.dtype)
    current = leaf._grad
    if current is None:
        # The same array may flow to several leaves (x + y gives both the same gradient) or
        # be a view of another's: copy so that in-place edits of one .grad never touch another.
        if grad.base is not None or id(grad) in given_out or not grad.flags.writeable:
            grad = grad.copy()
        given_out.add(id(grad))
        leaf._grad = Tensor._from_op(grad, None)
        return
    array = current._data
    if id(array) in given_out:
        # this pass stored that array uncopied, and it may still be flowing to other nodes
        # (x + y hands both inputs the same array): adding into it would change their input
        current._data = as_array(array + grad)  # 0-d arrays add to a NumPy scalar
        bump_version(current)
    elif array.flags.writeable and array.shape == grad.shape:
        array += grad  # in place, as PyTorch's AccumulateGrad
        bump_version(current)
    else:
        leaf._grad = Tensor._from_op(array + grad, None)


def run_backward(root: Tensor, gradient, retain_graph: bool, capture: dict | None = None) -> None:
    """Propagate ``gradient`` (d loss / d root) to every leaf below ``root``.

    Before each node's backward, the arrays it saved are checked against the versions they
    had when it ran (``check_saved_versions``). Without ``retain_graph`` each node is freed
    after its backward (``free_node``): its saved arrays are dropped and its inputs replaced
    by edges that hold no arrays, so a kept output keeps the graph's structure only.

    Tensor hooks (``register_hook``) and ``capture`` (``autograd.grad``) are handled by
    :mod:`gradlab.autograd_api`: with ``capture`` (keys: leaf tensors and non-leaf tensors'
    grad_fn nodes), gradients reaching those keys are stored there and no ``.grad`` changes.
    """
    given_out: set = set()
    hooks = autograd_api.engine_hooks(capture)
    if root.grad_fn is None:
        if hooks is None:
            _accumulate_leaf(root, gradient, given_out)
        else:
            hooks.finish({root: gradient}, _accumulate_leaf, given_out)
        return
    grads = {root.grad_fn: gradient}
    leaf_grads = None if hooks is None else {}
    for fn in topological_order([root.grad_fn]):
        grad = grads.pop(fn, None)
        if grad is None:
            continue
        if hooks is not None:
            grad = hooks.at_node(fn, grad, retain_graph)
        if fn.saved is FREED:
            raise RuntimeError(
                f"backward(): trying to backward through the graph a second time (at "
                f"{fn.name()}); its saved values were freed by the first backward. Pass "
                f"retain_graph=True to the first backward() to keep them."
            )
        if fn.saved_versions is not None:
            check_saved_versions(fn)
        if fn.retained_output is not None:
            out = fn.retained_output
            previous = out._grad
            out._grad = Tensor._from_op(
                grad.copy() if previous is None else previous._data + grad, None
            )
        input_grads = fn.backward(grad)
        inputs = fn.inputs
        if len(inputs) == 1:
            input_grads = (input_grads,)
        for t, node, g in zip(inputs, fn.next, input_grads):
            if g is None or node is None:
                continue
            if g.shape != t.shape:
                g = unbroadcast(g, t.shape)
            if node is t:
                if leaf_grads is None:
                    _accumulate_leaf(t, g, given_out)
                else:  # summed first, so that a leaf's hooks see its whole gradient once
                    previous = leaf_grads.get(t)
                    leaf_grads[t] = g if previous is None else previous + g
            else:
                previous = grads.get(node)
                grads[node] = g if previous is None else previous + g
        if not retain_graph:
            free_node(fn)
    if leaf_grads is not None:
        hooks.finish(leaf_grads, _accumulate_leaf, given_out)
