"""Higher-order gradients: the backward pass that records a graph (``create_graph=True``).

``backward(create_graph=True)`` and ``autograd.grad(..., create_graph=True)`` run
:func:`run_backward_graph` instead of the array engine (:func:`gradlab.engine.run_backward`),
so the ordinary backward pass costs nothing extra. Here every gradient is a Tensor, and each
node's backward is computed with Tensor ops, recorded like any forward: the gradients are
differentiable tensors, and ``grad(grad(y, x, create_graph=True)[0].sum(), x)`` gives second
derivatives.

How a node gives a recorded backward (:func:`node_backward`), in this order:

1. ``composite(self, *inputs)`` beside its ``forward`` (fused ops: Linear, MSE, cross-entropy,
   GELU): the op's forward again, written with primitive Tensor ops (settings read from
   ``self.saved``); its backward is that expression's, recorded.
2. ``backward_graph(self, grad)`` beside its ``backward``: the same formula as ``backward``
   on Tensors (``self.inputs``, and :meth:`~gradlab.autograd.Function.output` for the saved
   output), recorded: ``Mul``'s is ``a, b = self.inputs; return grad * b, grad * a``.
3. Otherwise the op's array backward runs and each gradient is wrapped in a
   :class:`DoubleBackwardError` node: first derivatives are right, and differentiating them
   again raises "double backward is not implemented in gradlab for <op>" (never a silently
   zero or detached second derivative).

A method counts only when it is defined in the class that defines the method it mirrors (a
subclass that overrides ``backward`` without ``backward_graph`` does not inherit its base's).
"""

from __future__ import annotations

from gradlab import autograd_api
from gradlab.autograd import FREED, Function, check_saved_versions, free_node
from gradlab.engine import topological_order
from gradlab.tensor import Tensor

__all__ = ["run_backward_graph", "node_backward", "DoubleBackwardError", "unbroadcast_graph"]


def _defining_class(cls, name: str):
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass
    return None


def defined_beside(fn, method: str, partner: str) -> bool:
    """Whether ``partner`` is defined in the class that defines ``method`` for ``fn``."""
    klass = _defining_class(type(fn), method)
    return klass is not None and partner in klass.__dict__


class NoGraphBackward(Exception):  # noqa: N818 - a signal, not an error shown to users
    """Raised by a ``backward_graph`` that has no formula for this case: fall back to (3)."""


class DoubleBackwardError(Function):
    """Carries a first derivative computed on arrays; differentiating it raises."""

    __slots__ = ("message",)

    def forward(self, *arrays, result=None, message=""):
        self.message = message
        return result

    def name(self) -> str:
        return "DoubleBackwardError"

    def backward(self, grad):
        raise RuntimeError(self.message)

    backward_graph = backward


def _no_double_backward_message(fn) -> str:
    op = fn.name()
    op = op[: -len("Backward0")] if op.endswith("Backward0") else op
    return (
        f"double backward is not implemented in gradlab for {op} ({fn.name()}): its backward "
        f"works on arrays, so its gradient cannot be differentiated again (create_graph=True "
        f"gives first derivatives through it, but not second ones)"
    )


def once_wrapped(fn, grad: Tensor, message: str | None = None):
    """The array backward of ``fn``, each gradient wrapped in a DoubleBackwardError node."""
    results = fn.backward(grad._data)
    single = len(fn.inputs) == 1
    if single:
        results = (results,)
    message = message or _no_double_backward_message(fn)
    wrapped = []
    for g in results:
        if g is None:
            wrapped.append(None)
        else:
            wrapped.append(DoubleBackwardError.apply(grad, *fn.inputs, result=g, message=message))
    return wrapped[0] if single else tuple(wrapped)


class _Alias(Function):
    """The identity as a node: stands for an input of a composite op (see node_backward)."""

    __slots__ = ()

    def forward(self, a):
        return a

    def backward(self, grad):
        return grad

    def backward_graph(self, grad):
        return grad


def _composite_backward(fn, grad: Tensor):
    """The recorded backward of ``fn.composite`` at ``fn``'s inputs (see the module docstring)."""
    proxies = []
    wanted = {}
    for i, t in enumerate(fn.inputs):
        if isinstance(t, Tensor) and fn.next[i] is not None:
            proxy = _Alias.apply(t)
            proxies.append(proxy)
            wanted[i] = proxy
        else:
            proxies.append(t)
    from gradlab.autograd import enable_grad

    with enable_grad():
        out = fn.composite(*proxies)
    capture = dict.fromkeys(p.grad_fn for p in wanted.values())
    run_backward_graph([(out, grad)], retain_graph=True, capture=capture)
    results = tuple(
        capture[wanted[i].grad_fn] if i in wanted else None for i in range(len(proxies))
    )
    return results[0] if len(results) == 1 else results


def node_backward(fn, grad):
    """``fn``'s input gradients as recorded Tensors (one per input, or one bare)."""
    if defined_beside(fn, "forward", "composite"):
        return _composite_backward(fn, grad)
    if defined_beside(fn, "backward", "backward_graph"):
        try:
            return fn.backward_graph(grad)
        except NoGraphBackward:
            pass
    return once_wrapped(fn, grad)


# ---------------------------------------------------------------------- the engine


def unbroadcast_graph(grad, shape):
    """:func:`gradlab.tensor.unbroadcast` with Tensor ops (recorded)."""
    from gradlab.ops import reduce

    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = reduce.sum(grad, tuple(range(extra)))
    axes = tuple(axis for axis, size in enumerate(shape) if size == 1 and grad.shape[axis] != 1)
    if axes:
        grad = reduce.sum(grad, axes, keepdim=True)
    return grad


def _add(previous, g):
    return g if previous is None else previous + g


def _needed(order: list, capture: dict | None):
    """Nodes whose backward contributes to a captured gradient (all of them without capture)."""
    if capture is None:
        return None
    needed = set()
    for fn in reversed(order):  # producers before consumers
        if any(n is not None and (n in needed or n in capture) for n in fn.next):
            needed.add(fn)
    return needed


def _run_hooks(hooks: list, grad: Tensor) -> Tensor:
    for hook in list(hooks):
        result = hook(grad)
        if result is None:
            continue
        if not isinstance(result, Tensor):
            result = Tensor(result)
        if result.shape != grad.shape:
            raise RuntimeError(
                f"hook {getattr(hook, '__name__', hook)!r} has changed the size of value: "
                f"expected {list(grad.shape)}, got {list(result.shape)}"
            )
        grad = result
    return grad


def _leaf_entry(leaf):
    entry = autograd_api._leaf_hooks.get(id(leaf))
    return entry if entry is not None and entry[0]() is leaf else None


def _accumulate(leaf: Tensor, grad: Tensor, given_out: set) -> None:
    """``leaf.grad += grad`` out of place, keeping grad's graph (as PyTorch with create_graph)."""
    from gradlab.ops import elementwise

    if grad.dtype != leaf.dtype:
        grad = elementwise.to_dtype(grad, leaf.dtype)
    if id(grad) in given_out or grad is leaf:
        grad = elementwise.clone(grad)  # one tensor never becomes two leaves' .grad
    given_out.add(id(grad))
    leaf._grad = grad if leaf._grad is None else leaf._grad + grad


def run_backward_graph(roots: list, retain_graph: bool, capture: dict | None = None) -> None:
    """Propagate each root's gradient (``[(tensor, grad Tensor)]``) with recorded Tensor ops.

    Without ``capture`` the leaves' ``.grad`` get the gradients (tensors with a graph);
    with it (keys: leaves, and non-leaf tensors' grad_fn nodes) the gradients reaching the
    keys are stored there, no ``.grad`` changes, and only the nodes that lead to a key run.
    """
    from gradlab.autograd import enable_grad

    grads: dict = {}
    leaf_grads: dict = {}
    for t, g in roots:
        if t.grad_fn is None:
            leaf_grads[t] = _add(leaf_grads.get(t), g)
        else:
            grads[t.grad_fn] = _add(grads.get(t.grad_fn), g)
    order = topological_order([t.grad_fn for t, _ in roots if t.grad_fn is not None])
    needed = _needed(order, capture)
    with enable_grad():
        for fn in order:
            grad = grads.pop(fn, None)
            if grad is None:
                continue
            hooks = autograd_api._node_hooks.get(fn)
            if hooks:
                grad = _run_hooks(hooks, grad)
            if capture is not None and fn in capture:
                capture[fn] = grad
            if needed is not None and fn not in needed:
                continue
            if fn.saved is FREED:
                raise RuntimeError(
                    f"backward(): trying to backward through the graph a second time (at "
                    f"{fn.name()}); its saved values were freed by the first backward. Pass "
                    f"retain_graph=True to the first backward() to keep them."
                )
            if fn.saved_versions is not None:
                check_saved_versions(fn)
            if fn.retained_output is not None and capture is None:
                out = fn.retained_output
                out._grad = _add(out._grad, grad)
            input_grads = node_backward(fn, grad)
            inputs = fn.inputs
            if len(inputs) == 1:
                input_grads = (input_grads,)
            for t, node, g in zip(inputs, fn.next, input_grads):
                if g is None or node is None:
                    continue
                if not isinstance(g, (Tensor, Slots)):
                    g = Tensor(g)
                if g.shape != t.shape:
                    g = unbroadcast_graph(g, t.shape)
                if node is t:
                    leaf_grads[t] = _add(leaf_grads.get(t), g)
                else:
                    grads[node] = _add(grads.get(node), g)
            if not retain_graph:
                autograd_api._node_hooks.pop(fn, None)
                free_node(fn)
        given_out: set = set()
        for leaf, grad in leaf_grads.items():
            if capture is not None and leaf not in capture:
                continue
            entry = _leaf_entry(leaf)
            if entry is not None and entry[1]:
                grad = _run_hooks(entry[1], grad)
            if capture is not None:
                capture[leaf] = grad
                continue
            _accumulate(leaf, grad, given_out)
            if entry is not None:
                for hook in list(entry[2]):
                    hook(leaf)


class Slots:
    """The gradients of a several-output custom Function's outputs, one slot per output
    (see :class:`gradlab.autograd_function.OutputOf`); slots add up one by one."""

    __slots__ = ("items",)

    def __init__(self, items: list):
        self.items = items

    @property
    def shape(self) -> tuple:
        return (len(self.items),)

    def __add__(self, other: Slots) -> Slots:
        return Slots(
            [b if a is None else a if b is None else a + b for a, b in zip(self.items, other.items)]
        )
