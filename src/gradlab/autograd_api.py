"""PyTorch's autograd functions: ``grad``, ``backward``, tensor hooks and ``inference_mode``.

``gradlab.autograd.grad(outputs, inputs)`` returns d(outputs)/d(inputs) without touching any
``.grad``; ``Tensor.register_hook(fn)`` calls ``fn(grad)`` when the tensor's gradient is
computed and uses its return value, if not None, in its place. The engine
(:func:`gradlab.engine.run_backward`) asks :func:`engine_hooks` for an :class:`_EngineHooks`
only when a hook is registered or a gradient is captured, so ordinary backward passes take
the same path as before.

Hooks on a non-leaf tensor live with its ``grad_fn`` (as in PyTorch, they fire even when the
Python tensor was deleted) and are dropped when a backward pass frees that graph; hooks on a
leaf live as long as the leaf.
"""

from __future__ import annotations

import contextlib
import weakref

from gradlab import autograd
from gradlab.backend import array_module, as_array, backend_of, to_backend


def _on_device_of(value, like, dtype=None):
    """``value`` (an array, list or number a user gave) as an array on ``like``'s device."""
    array = as_array(value)
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    return to_backend(array, backend_of(like))


__all__ = [
    "grad", "backward", "register_hook", "register_post_accumulate_grad_hook",
    "inference_mode", "is_inference_mode_enabled", "engine_hooks", "RemovableHandle",
]  # fmt: skip

_node_hooks: dict = {}  # grad_fn -> [hook]   (non-leaf tensors)
_leaf_hooks: dict = {}  # id(leaf) -> [weakref(leaf), [hook], [post-accumulate hook]]


class RemovableHandle:
    """Returned by ``register_hook``; ``handle.remove()`` unregisters the hook."""

    def __init__(self, hooks: list, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        with contextlib.suppress(ValueError):
            self._hooks.remove(self._hook)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _leaf_entry(leaf) -> list:
    entry = _leaf_hooks.get(id(leaf))
    if entry is None or entry[0]() is not leaf:
        entry = [weakref.ref(leaf), [], []]
        _leaf_hooks[id(leaf)] = entry
        weakref.finalize(leaf, _leaf_hooks.pop, id(leaf), None)
    return entry


def register_hook(tensor, hook) -> RemovableHandle:
    """``Tensor.register_hook``: ``hook(grad) -> Tensor or None`` runs when the gradient
    with respect to ``tensor`` is computed; a returned tensor replaces the gradient."""
    if not tensor.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if tensor.grad_fn is None:
        hooks = _leaf_entry(tensor)[1]
    else:
        hooks = _node_hooks.setdefault(tensor.grad_fn, [])
    hooks.append(hook)
    return RemovableHandle(hooks, hook)


def register_post_accumulate_grad_hook(tensor, hook) -> RemovableHandle:
    """``hook(tensor)`` runs after a leaf's ``.grad`` was accumulated (leaves only)."""
    if tensor.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    if not tensor.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    hooks = _leaf_entry(tensor)[2]
    hooks.append(hook)
    return RemovableHandle(hooks, hook)


def _run(hooks: list, grad):
    from gradlab.tensor import Tensor

    for hook in list(hooks):
        result = hook(grad if isinstance(grad, Tensor) else Tensor(grad))
        if result is None:
            continue
        array = result._data if isinstance(result, Tensor) else _on_device_of(result, grad)
        if array.shape != grad.shape:
            raise RuntimeError(
                f"hook {getattr(hook, '__name__', hook)!r} has changed the size of value: "
                f"expected {list(grad.shape)}, got {list(array.shape)}"
            )
        grad = array
    return grad


class _EngineHooks:
    """What one backward pass does beyond accumulating: hooks and captured gradients."""

    def __init__(self, capture: dict | None):
        self.capture = capture

    def at_node(self, fn, grad, retain_graph: bool):
        """The gradient of the tensor that ``fn`` made, after that tensor's hooks."""
        hooks = _node_hooks.get(fn)
        if hooks:
            grad = _run(hooks, grad)
        if not retain_graph:
            _node_hooks.pop(fn, None)
        if self.capture is not None and fn in self.capture:
            self.capture[fn] = grad
        return grad

    def finish(self, leaf_grads: dict, accumulate, given_out: set) -> None:
        """Each leaf's whole gradient: its hooks, then capture or accumulation into .grad."""
        for leaf, grad in leaf_grads.items():
            if self.capture is not None and leaf not in self.capture:
                continue
            entry = _leaf_hooks.get(id(leaf))
            if entry is not None and entry[0]() is leaf and entry[1]:
                grad = _run(entry[1], grad)
            if self.capture is not None:
                self.capture[leaf] = grad
                continue
            accumulate(leaf, grad, given_out)
            if entry is not None and entry[0]() is leaf:
                for hook in list(entry[2]):
                    hook(leaf)


def engine_hooks(capture: dict | None) -> _EngineHooks | None:
    """None (the fast path) unless a hook is registered or gradients are captured."""
    if capture is None and not _node_hooks and not _leaf_hooks:
        return None
    return _EngineHooks(capture)


# ---------------------------------------------------------------------- grad and backward


def _sequence(value, what: str) -> tuple:
    from gradlab.tensor import Tensor

    if isinstance(value, Tensor):
        return (value,)
    if value is None:
        return ()
    try:
        return tuple(value)
    except TypeError:
        raise TypeError(
            f"{what}: expected a Tensor or a sequence of Tensors, got {value!r}"
        ) from None


def _grad_outputs(outputs: tuple, grad_outputs, op: str) -> list:
    """One gradient per output, checked: a Tensor (kept as given: with create_graph it may
    require grad) or, where None was given for a scalar output, ones."""
    from gradlab.tensor import Tensor

    grad_outputs = _sequence(grad_outputs, op) or (None,) * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(
            f"{op}: grad_outputs has {len(grad_outputs)} entries but outputs has {len(outputs)}"
        )
    checked = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(out, Tensor):
            raise TypeError(f"{op}: output {i} is a {type(out).__name__}, expected a Tensor")
        if not out.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if out.numel() != 1:
                raise RuntimeError(
                    f"{op}: grad can be implicitly created only for scalar outputs; output {i} "
                    f"has shape {tuple(out.shape)}, pass grad_outputs"
                )
            g = Tensor(array_module(out).ones(out.shape, out.dtype))
        else:
            if not isinstance(g, Tensor):
                g = Tensor(_on_device_of(g, out._data, out.dtype))
            if tuple(g.shape) != tuple(out.shape):
                raise RuntimeError(
                    f"{op}: mismatch in shape: grad_output[{i}] has a shape of {tuple(g.shape)} "
                    f"and output[{i}] has a shape of {tuple(out.shape)}"
                )
            if g.dtype != out.dtype:
                g = g.to(out.dtype)
        checked.append(g)
    return checked


def _root(outputs: tuple, grad_outputs, op: str):
    """A tensor whose backward with gradient 1 is the backward of every output with its
    grad_output: a node whose inputs are the outputs and whose backward returns them."""
    arrays = [g._data for g in _grad_outputs(outputs, grad_outputs, op)]
    with autograd.enable_grad():
        return _Roots.apply(*outputs, grads=tuple(arrays))


def _check_inputs(inputs: tuple) -> None:
    from gradlab.tensor import Tensor

    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: input {i} is a {type(t).__name__}, expected a Tensor")
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")


def _unused(t, allow_unused: bool, materialize_grads: bool):
    from gradlab.tensor import Tensor

    if not allow_unused:
        raise RuntimeError(
            "One of the differentiated Tensors appears to not have been used in the "
            "graph. Set allow_unused=True if this is the desired behavior."
        )
    return Tensor(array_module(t).zeros(t.shape, t.dtype)) if materialize_grads else None


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    only_inputs=True,
    allow_unused=None,
    is_grads_batched=False,
    materialize_grads=False,
):
    """Gradients of ``outputs`` with respect to ``inputs`` (a tuple, one per input); no
    ``.grad`` is changed. As ``torch.autograd.grad``: ``grad_outputs`` weighs each output
    (needed for a non-scalar one); ``retain_graph`` defaults to ``create_graph``;
    ``create_graph=True`` records the backward pass, so the gradients can be differentiated
    again (second derivatives, gradient penalties, Hessian-vector products); an input the
    outputs do not depend on raises unless ``allow_unused=True`` (then its gradient is None,
    or zeros with ``materialize_grads=True``)."""
    from gradlab.engine import run_backward
    from gradlab.tensor import Tensor

    if is_grads_batched:
        raise NotImplementedError("grad(is_grads_batched=True) is not implemented in gradlab")
    if allow_unused is None:
        allow_unused = materialize_grads
    elif materialize_grads and not allow_unused:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True"
        )
    if retain_graph is None:
        retain_graph = create_graph
    outputs = _sequence(outputs, "grad")
    inputs = _sequence(inputs, "grad")
    _check_inputs(inputs)
    keys = [t if t.grad_fn is None else t.grad_fn for t in inputs]
    capture = dict.fromkeys(keys)
    if create_graph:
        from gradlab.autograd_graph import run_backward_graph

        roots = list(zip(outputs, _grad_outputs(outputs, grad_outputs, "grad")))
        run_backward_graph(roots, bool(retain_graph), capture)
        return tuple(
            capture[key]
            if capture[key] is not None
            else _unused(t, allow_unused, materialize_grads)
            for t, key in zip(inputs, keys)
        )
    root = _root(outputs, grad_outputs, "grad")
    run_backward(root, array_module(root).ones((), root.dtype), bool(retain_graph), capture)
    results = []
    for t, key in zip(inputs, keys):
        g = capture[key]
        if g is None:
            results.append(_unused(t, allow_unused, materialize_grads))
            continue
        g = as_array(g)
        if g.dtype != t.dtype:
            g = g.astype(t.dtype)
        results.append(Tensor(g if g.flags.writeable and g.base is None else g.copy()))
    return tuple(results)


def backward(
    tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None,
    inputs=None,
):  # fmt: skip
    """Accumulate the gradients of ``tensors`` (weighted by ``grad_tensors``) into the leaves'
    ``.grad`` (only into ``inputs``' when given), as ``torch.autograd.backward``; with
    ``create_graph=True`` the ``.grad`` tensors have a graph (``retain_graph`` defaults to
    ``create_graph``)."""
    from gradlab.engine import _accumulate_leaf, run_backward

    if grad_variables is not None:
        grad_tensors = grad_variables
    if retain_graph is None:
        retain_graph = create_graph
    tensors = _sequence(tensors, "backward")
    if inputs is not None:
        inputs = _sequence(inputs, "backward")
        if not inputs:
            raise RuntimeError("backward: 'inputs' argument to backward() cannot be empty.")
    if create_graph:
        from gradlab.autograd_graph import _accumulate, run_backward_graph

        roots = list(zip(tensors, _grad_outputs(tensors, grad_tensors, "backward")))
        if inputs is None:
            run_backward_graph(roots, bool(retain_graph))
            return
        _check_inputs(inputs)
        keys = [t if t.grad_fn is None else t.grad_fn for t in inputs]
        capture = dict.fromkeys(keys)
        run_backward_graph(roots, bool(retain_graph), capture)
        given_out: set = set()
        for t, key in zip(inputs, keys):
            if capture[key] is not None:
                _accumulate(t, capture[key], given_out)
        return
    root = _root(tensors, grad_tensors, "backward")
    if inputs is None:
        run_backward(root, array_module(root).ones((), root.dtype), bool(retain_graph))
        return
    for t, g in zip(inputs, grad(root, inputs, retain_graph=retain_graph, allow_unused=True)):
        if g is not None:
            _accumulate_leaf(t, g._data, set())


# ---------------------------------------------------------------------- inference mode

_inference = False


def is_inference_mode_enabled() -> bool:
    return _inference


class inference_mode(contextlib.ContextDecorator):  # noqa: N801 - PyTorch's name
    """``with inference_mode():`` or ``@inference_mode()``: no graph is recorded, as
    ``no_grad``; ``inference_mode(False)`` leaves the grad mode as it is."""

    def __new__(cls, mode=True):
        if callable(mode) and not isinstance(mode, bool):  # bare @inference_mode
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True):
        self.mode = bool(mode)

    def _recreate_cm(self):
        return type(self)(self.mode)

    def __enter__(self):
        global _inference
        self._previous = (_inference, autograd.is_grad_enabled())
        if self.mode:
            _inference = True
            autograd.set_grad_enabled(False)
        return self

    def __exit__(self, *exc):
        global _inference
        _inference, enabled = self._previous
        autograd.set_grad_enabled(enabled)
        return False

    def clone(self):
        return type(self)(self.mode)


class _Roots(autograd.Function):
    """The node of :func:`_root`: gives each output its grad_output."""

    __slots__ = ()

    def forward(self, *arrays, grads=()):
        self.saved = grads
        return array_module(arrays[0]).ones((), arrays[0].dtype)

    def backward(self, grad):
        return self.saved[0] if len(self.saved) == 1 else self.saved
