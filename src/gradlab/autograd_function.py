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

import numpy as np

from gradlab import autograd
from gradlab.autograd import FREED, Function
from gradlab.tensor import Tensor

__all__ = ["CtxNode", "OutputOf", "AccumulateGrad", "make_ctx_style", "next_functions"]


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
    """The graph node of one ``F.apply`` call, and the ``ctx`` its forward/backward get."""

    def __init__(self, function: type, args: tuple):
        self.saved = ()
        self.retained_output = None
        self.inputs = args
        self.function = function
        self.needs_input_grad = tuple(
            isinstance(a, Tensor) and a.requires_grad and autograd.is_grad_enabled() for a in args
        )
        self.materialize_grads = True
        self.non_differentiable: list = []
        self.outputs: tuple = ()  # (shape, dtype) per differentiable output

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
        for g, (shape, dtype) in zip(grads, self.outputs):
            if g is None and self.materialize_grads:
                g = np.zeros(shape, dtype)
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
            array = g.numpy() if isinstance(g, Tensor) else np.asarray(g)
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

    __slots__ = ("index", "count", "owner")

    def name(self) -> str:
        return self.owner.name()

    def backward(self, grad):
        slots = np.zeros(self.count, dtype=object)
        slots[self.index] = grad
        return slots


def _new_output(array, fn) -> Tensor:
    t = Tensor(array)
    if fn is not None:
        t.grad_fn = fn
        t._requires_grad = True
    return t


def _apply(cls, *args, **kwargs):
    """``F.apply(*args)``: run forward without recording, then make one node for it."""
    if kwargs:
        raise TypeError(
            f"{cls.__name__}.apply() takes positional arguments only (as PyTorch's), got "
            f"keyword arguments {sorted(kwargs)}"
        )
    node = CtxNode(cls, args)
    split = "setup_context" in _own_names(cls)
    with autograd.no_grad():
        output = cls.forward(*args) if split else cls.forward(node, *args)
    if split:
        cls.setup_context(node, args, output)
    single = not isinstance(output, tuple)
    outputs = (output,) if single else output
    track = any(node.needs_input_grad)
    differentiable = [
        isinstance(o, Tensor)
        and o.dtype.kind in "fc"
        and not any(o is n for n in node.non_differentiable)
        for o in outputs
    ]
    node.non_differentiable = []
    if not track or not any(differentiable):
        results = tuple(_new_output(o.numpy(), None) if isinstance(o, Tensor) else o
                        for o in outputs)  # fmt: skip
        return results[0] if single else results
    tensors = [i for i, o in enumerate(outputs) if isinstance(o, Tensor)]
    node.outputs = tuple((outputs[i].shape, outputs[i].dtype) for i in tensors)
    results = list(outputs)
    if len(tensors) == 1:
        i = tensors[0]
        results[i] = _new_output(outputs[i].numpy(), node if differentiable[i] else None)
    else:
        packed = _new_output(np.empty(len(tensors), dtype=object), node)
        for slot, i in enumerate(tensors):
            picker = None
            if differentiable[i]:
                picker = OutputOf.__new__(OutputOf)
                picker.saved, picker.retained_output = None, None
                picker.inputs, picker.index, picker.count = (packed,), slot, len(tensors)
                picker.owner = node
            results[i] = _new_output(outputs[i].numpy(), picker)
    return results[0] if single else tuple(results)


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
