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
"""

from __future__ import annotations

import inspect

import numpy as np

from gradlab import autograd
from gradlab.autograd import FREED, Function
from gradlab.backend import array_module, as_array
from gradlab.tensor import Tensor

__all__ = [
    "CtxNode", "FunctionCtx", "OutputOf", "AccumulateGrad", "make_ctx_style", "next_functions",
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
        self.saved = ()
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
        return tuple(self.saved)

    def mark_non_differentiable(self, *tensors) -> None:
        """Outputs (the tensors forward returns) that get no gradient."""
        self.non_differentiable.extend(tensors)

    def set_materialize_grads(self, value: bool) -> None:
        """With False, backward gets None (not zeros) for outputs that got no gradient."""
        self.materialize_grads = bool(value)

    def mark_dirty(self, *tensors) -> None:
        raise NotImplementedError(
            "ctx.mark_dirty (in-place custom Functions) is not implemented in gradlab; "
            "return a new tensor from forward instead"
        )

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

    def _input_grads(self, result):
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


def _detached(t: Tensor) -> Tensor:
    return Tensor(t._data)


def _apply(cls, *args, **kwargs):
    """``F.apply(*args)``: one CtxNode (made by Function.apply) for the user's forward."""
    split = "setup_context" in _own_names(cls)
    if split:  # as PyTorch: every argument (defaults included) becomes positional
        bound = inspect.signature(cls.forward).bind(*args, **kwargs)
        bound.apply_defaults()
        args, kwargs = tuple(bound.args), {}
    carrier = CtxNode.apply(*args, function=cls, args=args, kwargs=kwargs, split=split)
    node = carrier.grad_fn
    if node is None:  # nothing to record: find the results another way
        return _untracked(cls, args, kwargs, split)
    output, node.result = node.result, None
    single = not isinstance(output, tuple)
    outputs = (output,) if single else output
    skip = node.non_differentiable
    node.non_differentiable = []
    positions = [i for i, o in enumerate(outputs) if isinstance(o, Tensor)]
    results = list(outputs)
    for slot, i in enumerate(positions):
        o = outputs[i]
        differentiable = o.dtype.kind in "fc" and not any(o is n for n in skip)
        if len(positions) == 1:
            results[i] = carrier if differentiable else _detached(carrier)
        elif differentiable:
            results[i] = OutputOf.apply(carrier, index=slot, owner=node)
        else:
            results[i] = _detached(o)
    return results[0] if single else tuple(results)


def _untracked(cls, args, kwargs, split):
    """F.apply when no argument requires grad (or grad mode is off): forward alone."""
    ctx = CtxNode.__new__(CtxNode)
    ctx.forward(*args, function=cls, args=args, kwargs=kwargs, split=split)
    output, ctx.result = ctx.result, None
    if isinstance(output, tuple):
        return tuple(_detached(o) if isinstance(o, Tensor) else o for o in output)
    return _detached(output) if isinstance(output, Tensor) else output


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
    """PyTorch's decorator for a backward that cannot itself be differentiated. gradlab's
    backward passes never record a graph, so it changes nothing."""
    return backward
