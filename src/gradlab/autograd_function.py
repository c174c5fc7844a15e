"""PyTorch's context-style custom Function: ``class F(gradlab.autograd.Function)`` with static
``forward(ctx, ...)`` and ``backward(ctx, ...)``, run by ``F.apply(...)``.

gradlab's own ops subclass the same :class:`gradlab.autograd.Function` with instance methods
on arrays; a subclass whose ``forward`` is a staticmethod is a user's ctx-style Function, and
:func:`make_ctx_style` gives it PyTorch's ``apply``. One call of ``F.apply`` makes one graph
node, a :class:`CtxNode`, which is also the ``ctx`` that ``forward`` and ``backward`` see::

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):              # x: a Tensor (ops inside record no graph)
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):          # grad: a Tensor shaped like the output
            (y,) = ctx.saved_tensors
            return grad * y               # one gradient (Tensor or None) per forward argument

PyTorch 2's split form, ``forward(*args)`` plus ``setup_context(ctx, inputs, output)``, works
too. Several outputs: each output tensor gets its own small :class:`OutputOf` node that picks
its gradient into an object array of one slot per output, so the engine, which gives each
node one gradient, sums them per slot; the CtxNode then calls ``backward`` once with all.

As PyTorch's: the tensors forward returns are the outputs themselves (given their
``grad_fn``), so a saved output is differentiable in a double backward; a tensor forward
changed in place must be marked with ``ctx.mark_dirty`` and returned (its history then
continues through this node); ``ctx.saved_tensors`` raises when a saved tensor was changed in
place after forward; with ``create_graph=True`` backward runs with grad mode on (its Tensor
ops are recorded), unless it is decorated with :func:`once_differentiable`.
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

from gradlab import autograd
from gradlab.autograd import _TYPE_NAMES, FREED, Function
from gradlab.backend import array_module, as_array
from gradlab.tensor import Tensor, bump_version, version_counter

__all__ = [
    "CtxNode", "FunctionCtx", "OutputOf", "AccumulateGrad", "FusedPart", "make_ctx_style",
    "next_functions",
    "once_differentiable",
]  # fmt: skip


class AccumulateGrad:
    """The node PyTorch shows for a leaf that requires grad in ``next_functions``."""

    __slots__ = ("variable",)

    def __init__(self, variable: Tensor):
        self.variable = variable

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    @property
    def next_functions(self) -> tuple:
        return ()

    def __repr__(self) -> str:
        return "<AccumulateGrad>"


class FusedPart:
    """One part of a fused op, other than its last, as ``next_functions`` shows it: part
    ``index`` of ``fused.parts``. Its own next functions are the part before it, or, for the
    first part, the fused op's inputs."""

    __slots__ = ("fused", "index")

    def __init__(self, fused: Function, index: int):
        self.fused, self.index = fused, index

    def name(self) -> str:
        return f"{self.fused.parts[self.index]}Backward0"

    @property
    def next_functions(self) -> tuple:
        if self.index == 0:
            return next_functions(self.fused)
        return ((FusedPart(self.fused, self.index - 1), 0),)

    def __repr__(self) -> str:
        return f"<{self.name()} (part of {type(self.fused).__name__})>"


def next_functions(fn: Function) -> tuple:
    """``((node, 0), ...)`` per input of ``fn``, as ``grad_fn.next_functions``."""
    out = []
    for t in fn.inputs:
        if isinstance(t, Tensor) and t.grad_fn is not None:
            out.append((t.grad_fn, 0))
        elif isinstance(t, Tensor) and t.requires_grad:
            out.append((AccumulateGrad(t), 0))
        else:
            out.append((None, 0))
    return tuple(out)


class CtxNode(Function):
    """The graph node of one ``F.apply`` call, and the ``ctx`` its forward/backward get.

    Made by ``Function.apply`` like every node (so the engine sets it up as any other); its
    ``forward`` runs the user's forward on the original arguments without recording.
    """

    def forward(self, *arrays, function=None, args=(), kwargs=None, split=False):
        self.function = function
        self.needs_input_grad = tuple(
            isinstance(a, Tensor) and a.requires_grad and autograd.is_grad_enabled() for a in args
        )
        self.materialize_grads = True
        self.non_differentiable = []
        self.dirty = []
        self.saved = ()
        self.saved_at = ()
        with autograd.no_grad():
            kwargs = kwargs or {}
            output = function.forward(*args) if split else function.forward(self, *args, **kwargs)
        if split:
            function.setup_context(self, args, output)
        self.result = output  # taken (and dropped) by _apply
        outputs = output if isinstance(output, tuple) else (output,)
        tensors = [o for o in outputs if isinstance(o, Tensor)]
        if not tensors:
            raise RuntimeError(f"{function.__name__}.forward must return at least one Tensor")
        self.outputs = tuple((t.shape, t.dtype) for t in tensors)
        if len(tensors) == 1:
            return tensors[0]._data
        packed = np.empty(len(tensors), dtype=object)
        for i, t in enumerate(tensors):
            packed[i] = t._data
        return packed

    # ------------------------------------------------------------------ ctx API
    def save_for_backward(self, *tensors) -> None:
        """Keep tensors (or None) for backward; read them back as ``ctx.saved_tensors``."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_backward can only save tensors or None, but argument {i} is a "
                    f"{type(t).__name__}; keep other values as attributes of ctx"
                )
        self.saved = tensors

    @property
    def saved_tensors(self) -> tuple:
        if self.saved is FREED:
            raise RuntimeError(
                f"{self.function.__name__}: trying to backward through the graph a second time "
                f"(or to access saved tensors after they have already been freed); pass "
                f"retain_graph=True to the first backward() to keep them"
            )
        for t, version in zip(self.saved, self.saved_at):
            if t is not None and t._version != version:
                raise _modified_error(t, version, self.name())
        return tuple(self.saved)

    def mark_non_differentiable(self, *tensors) -> None:
        """Outputs (the tensors forward returns) that get no gradient."""
        self.non_differentiable.extend(tensors)

    def set_materialize_grads(self, value: bool) -> None:
        """With False, backward gets None (not zeros) for outputs that got no gradient."""
        self.materialize_grads = bool(value)

    def mark_dirty(self, *tensors) -> None:
        """Inputs that forward changed in place (and returns): their history continues
        through this node, as PyTorch's in-place custom Functions."""
        self.dirty.extend(tensors)

    # ------------------------------------------------------------------ engine side
    def name(self) -> str:
        return f"{self.function.__name__}Backward"

    def __repr__(self) -> str:
        return f"<{self.name()}>"

    def backward(self, grad):
        if len(self.outputs) == 1:
            grads = (grad,)
        else:  # an object array, one slot per output; 0 where an output got no gradient
            grads = tuple(None if isinstance(g, int) else g for g in grad)
        wrapped = []
        xp = array_module(*(g for g in grads if g is not None), *self.inputs)
        for g, (shape, dtype) in zip(grads, self.outputs):
            if g is None and self.materialize_grads:
                g = xp.zeros(shape, dtype)
            wrapped.append(None if g is None else Tensor(g))
        with autograd.no_grad():
            result = self.function.backward(self, *wrapped)
        return self._input_grads(result)

    def backward_graph(self, grad):
        """create_graph=True: the user's backward with grad mode on, its ops recorded."""
        from gradlab.autograd_graph import DoubleBackwardError

        grads = (grad,) if len(self.outputs) == 1 else tuple(grad.items)
        wrapped = []
        for g, (shape, dtype) in zip(grads, self.outputs):
            if g is None and self.materialize_grads:
                g = Tensor(np.zeros(shape, dtype))
            wrapped.append(g)
        backward = self.function.backward
        if not getattr(backward, "once_differentiable", False):
            with autograd.enable_grad():
                return self._input_grads(self.function.backward(self, *wrapped), graph=True)
        result = self._input_grads(backward(self, *wrapped), graph=True)
        live = [g for g in wrapped if g is not None and g.requires_grad]
        if not live:  # as PyTorch: plain tensors when no incoming gradient has a graph
            return result
        message = (
            "trying to differentiate twice a function that was marked with @once_differentiable"
        )

        def wrap(g):
            return DoubleBackwardError.apply(*live, result=g._data, message=message)

        if len(self.inputs) == 1:
            return None if result is None else wrap(result)
        return tuple(None if g is None else wrap(g) for g in result)

    def _input_grads(self, result, graph=False):
        result = result if isinstance(result, tuple) else (result,)
        count = len(self.inputs)
        if len(result) < count or any(r is not None for r in result[count:]):
            raise RuntimeError(
                f"function {self.name()} returned an incorrect number of gradients "
                f"(expected {count}, got {len(result)})"
            )
        grads = []
        for i, (arg, g) in enumerate(zip(self.inputs, result)):
            if g is None or not isinstance(arg, Tensor):
                grads.append(None)
                continue
            array = g._data if isinstance(g, Tensor) else as_array(g)
            try:
                np.broadcast_shapes(array.shape, arg.shape)
                fits = len(array.shape) >= len(arg.shape)
            except ValueError:
                fits = False
            if not fits or np.broadcast_shapes(array.shape, arg.shape) != array.shape:
                raise RuntimeError(
                    f"function {self.name()} returned an invalid gradient at index {i} - got "
                    f"{list(array.shape)} but expected shape compatible with {list(arg.shape)}"
                )
            if graph:
                array = g if isinstance(g, Tensor) else Tensor(array)
            grads.append(array)
        return grads[0] if count == 1 else tuple(grads)


class OutputOf(Function):
    """Output ``index`` of a several-output ctx-style Function: routes its gradient to a slot."""

    __slots__ = ()

    def forward(self, packed, index=0, owner=None):
        self.saved = (index, len(packed), owner)
        return packed[index]

    def name(self) -> str:
        return self.saved[2].name() if isinstance(self.saved, tuple) else "OutputOfBackward"

    def backward(self, grad):
        index, count, _ = self.saved
        slots = np.zeros(count, dtype=object)
        slots[index] = grad
        return slots

    def backward_graph(self, grad):
        from gradlab.autograd_graph import Slots

        index, count, _ = self.saved
        items = [None] * count
        items[index] = grad
        return Slots(items)


def _detached(t: Tensor) -> Tensor:
    return Tensor(t._data)


def _apply(cls, *args, **kwargs):
    """``F.apply(*args)``: one CtxNode (made by Function.apply) for the user's forward."""
    split = "setup_context" in _own_names(cls)
    if split:  # as PyTorch: every argument (defaults included) becomes positional
        bound = inspect.signature(cls.forward).bind(*args, **kwargs)
        bound.apply_defaults()
        args, kwargs = tuple(bound.args), {}
    if not autograd.is_grad_enabled() or not any(
        isinstance(a, Tensor) and a.requires_grad for a in args
    ):
        return _untracked(cls, args, kwargs, split)  # nothing to record
    carrier = CtxNode.apply(*args, function=cls, args=args, kwargs=kwargs, split=split)
    node = carrier.grad_fn
    output, node.result = node.result, None
    single = not isinstance(output, tuple)
    outputs = (output,) if single else output
    _check_dirty(node, outputs, args)
    skip = node.non_differentiable
    node.non_differentiable = []
    positions = [i for i, o in enumerate(outputs) if isinstance(o, Tensor)]
    results = list(outputs)
    for slot, i in enumerate(positions):
        o = outputs[i]
        differentiable = o.dtype.kind in "fc" and not any(o is n for n in skip)
        if not differentiable:
            results[i] = _detached(o)
            continue
        made = carrier if len(positions) == 1 else OutputOf.apply(carrier, index=slot, owner=node)
        results[i] = _as_output(o, made, node, args)
    node.saved_at = tuple(None if t is None else version_counter(t)[0] for t in node.saved)
    return results[0] if single else tuple(results)


def _check_dirty(node, outputs, args) -> None:
    """PyTorch's rules for ``mark_dirty``: each dirty tensor is returned, none is a leaf that
    requires grad; each gets one more version (as PyTorch bumps it)."""
    for t in node.dirty:
        if not any(t is o for o in outputs):
            raise RuntimeError(
                "Some elements marked as dirty during the forward method were not returned as "
                "output. The inputs that are modified inplace must all be outputs of the "
                "Function."
            )
        if t.grad_fn is None and t.requires_grad:
            raise RuntimeError(
                f"a leaf Variable that requires grad has been used in an in-place operation "
                f"(marked dirty in {node.function.__name__}.forward; work on a clone)"
            )
        if t._view is not None:
            raise NotImplementedError(
                f"{node.function.__name__}: ctx.mark_dirty on a view of another tensor is not "
                f"implemented in gradlab; change the base tensor itself, or a clone"
            )
        bump_version(t)


def _as_output(o: Tensor, made: Tensor, node, args) -> Tensor:
    """The tensor the user gets for output ``o``: ``o`` itself given ``made``'s node (as
    PyTorch, so a saved output is the output), or ``made`` where ``o`` is an input that was
    not marked dirty (returned unchanged: the input keeps its own history)."""
    if any(o is a for a in args) and not any(o is d for d in node.dirty):
        return made
    o.grad_fn, o._requires_grad = made.grad_fn, True
    return o


def _modified_error(t: Tensor, version: int, needed_by: str) -> RuntimeError:
    kind = _TYPE_NAMES.get(str(t.dtype), f"Tensor[{t.dtype}]")
    what = f"[gradlab.{kind} [{', '.join(str(s) for s in t.shape)}]]"
    if t.grad_fn is not None:
        what += f", which is output 0 of {t.grad_fn.name()},"
    return RuntimeError(
        f"one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: {what} is at version {t._version}; expected version {version} "
        f"instead. (Needed by {needed_by}'s backward: a tensor it saved with "
        f"ctx.save_for_backward was changed in place after forward; use the out-of-place op, "
        f"or .clone() before changing it.)"
    )


def _untracked(cls, args, kwargs, split):
    """F.apply when no argument requires grad (or grad mode is off): forward alone."""
    ctx = CtxNode.__new__(CtxNode)
    ctx.forward(*args, function=cls, args=args, kwargs=kwargs, split=split)
    output, ctx.result = ctx.result, None
    for t in ctx.dirty:
        bump_version(t)

    def result(o):
        if not isinstance(o, Tensor) or any(o is d for d in ctx.dirty):
            return o
        return _detached(o)

    if isinstance(output, tuple):
        return tuple(result(o) for o in output)
    return result(output)


def _own_names(cls) -> set:
    names = set()
    for klass in cls.__mro__:
        if klass is Function:
            break
        names.update(klass.__dict__)
    return names


def make_ctx_style(cls) -> None:
    """Give a user's Function subclass (static forward/backward) PyTorch's ``apply``."""
    cls.apply = classmethod(_apply)


FunctionCtx = CtxNode
"""PyTorch's name for the type of ``ctx``."""


def once_differentiable(backward):
    """PyTorch's decorator for a backward that cannot itself be differentiated: it runs with
    grad mode off even under ``create_graph=True``; its gradients then carry a node that
    raises if they are differentiated again (where an incoming gradient has a graph)."""

    @functools.wraps(backward)
    def wrapper(ctx, *args):
        with autograd.no_grad():
            return backward(ctx, *args)

    wrapper.once_differentiable = True
    return wrapper
