"""The Function base class (one primitive op: forward and backward side by side) and grad modes.

A primitive op subclasses :class:`Function`::

    class Mul(Function):
        __slots__ = ()

        def forward(self, a, b):
            self.saved = (a, b)
            return a * b

        def backward(self, grad):
            a, b = self.saved
            return grad * b, grad * a      # one gradient per positional input, in order

``Mul.apply(x, y)`` runs ``forward`` on the inputs' arrays and, when gradients are enabled and
an input requires them, records the node in the graph. Positional arguments are the op's
inputs (Tensors, or plain numbers and arrays treated as constants); keyword arguments are
settings passed to ``forward`` unchanged. ``backward`` gets the gradient of the output and
returns one array (or None) per positional input, in the shape of the *broadcast* result:
the engine sums broadcast gradients back to each input's shape in one place.

Saved arrays and version checks: when a node is recorded, every entry of ``saved`` that *is*
(by identity) the array of one of its input Tensors or of its output is noted in
``saved_versions`` with that tensor's version counter and current version. Before the node's
backward the engine compares them and raises PyTorch's "modified by an inplace operation"
error when one changed. So an op gets the check for free by saving the arrays it was given
(``self.saved = (a, b)``) rather than copies; arrays it derives itself are its own and need
none. Tensors an op does not save may be changed in place freely (``y = x + 1; x.add_(1)``).

Each node records ``inputs`` (what it was called with) and ``next``: per input, the node that
made it, the leaf Tensor itself when it is a leaf that requires grad, or None. The engine
routes gradients along ``next``, fixed at record time as PyTorch's edges are, so a later
in-place op that gives an input tensor a new ``grad_fn`` does not re-route this node's.

Higher-order gradients: an op may also define ``backward_graph(self, grad)``, the same
formula on Tensors (``self.inputs``, whose arrays it must save so that they are checked as
above, and ``self.output()``), which ``create_graph=True`` records; fused ops may define
``composite`` instead (their forward in primitive ops): their input tensors' versions are
then recorded and checked too, unless the op is linear (``composite_reads_inputs = False``).
See :mod:`gradlab.autograd_graph`.

After backward without ``retain_graph`` a node is freed (:func:`free_node`): ``saved`` becomes
``FREED`` and ``inputs`` becomes ``next`` (nodes and leaves, no arrays), so a stored loss keeps
the graph's shape only.
"""

from __future__ import annotations

import contextlib

from numpy import ndarray

from gradlab.backend import as_array

_grad_enabled = True

FREED = object()
"""Marks a node whose saved arrays were released by a backward pass without retain_graph."""


class Function:
    """One primitive differentiable operation; see the module docstring."""

    __slots__ = ("inputs", "next", "saved", "retained_output", "saved_versions")

    parts: tuple = ()
    """A fused op's parts, the ops it computes in one pass, in the order they run (for
    ``ConvReluMaxPool2dOp``: ``("Conv2dOp", "Relu", "MaxPool2dOp")``): the first reads the
    op's inputs, each other one the output of the one before. The views of a graph show the
    parts: :meth:`name` is the last one's, :attr:`next_functions` leads through the others
    (:class:`gradlab.autograd_function.FusedPart`), and ``gradlab.explain.graph`` draws a
    node for each. Empty for an op that is one part."""

    def forward(self, *arrays, **settings):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, grad):  # pragma: no cover - abstract
        raise NotImplementedError

    def release(self) -> None:
        """Hand back the work arrays this node took from the buffer pool
        (:mod:`gradlab._fast.buffers`); called once, when the engine frees the node after
        backward. Most ops take none."""

    def output(self):
        """The op's output as a Tensor made by this node, for ``backward_graph`` (see
        :mod:`gradlab.autograd_graph`): the array ``forward`` saved as its result."""
        for _, _, producer, index in self.saved_versions or ():
            if producer is self:
                return Tensor._from_op(self.saved[index], self)
        raise RuntimeError(f"{self.name()}: forward did not save its output")

    def needs_input_grad(self, index: int) -> bool:
        """Whether positional input ``index`` is a Tensor that requires a gradient."""
        return self.next[index] is not None

    def name(self) -> str:
        """PyTorch's name for the node (``MulBackward0``); a fused op's last part's."""
        return f"{self.parts[-1] if self.parts else type(self).__name__}Backward0"

    @property
    def next_functions(self) -> tuple:
        """``(node, 0)`` per input: its grad_fn, an AccumulateGrad for a leaf that requires
        grad, or None; as PyTorch's ``grad_fn.next_functions``. A fused op leads through its
        other parts first (see :attr:`parts`)."""
        from gradlab.autograd_function import FusedPart, next_functions

        if len(self.parts) > 1:
            return ((FusedPart(self, len(self.parts) - 2), 0),)
        return next_functions(self)

    def __init_subclass__(cls, **kwargs):
        # A subclass with a static forward(ctx, ...) is a user's PyTorch-style Function:
        # gradlab.autograd_function gives it PyTorch's apply; gradlab's own ops are unchanged.
        super().__init_subclass__(**kwargs)
        if isinstance(cls.__dict__.get("forward"), staticmethod):
            from gradlab.autograd_function import make_ctx_style

            make_ctx_style(cls)

    @classmethod
    def apply(cls, *inputs, **settings):
        # The hot path of every op: kept free of comprehensions and extra calls.
        fn = _new(cls)
        fn.saved = None
        fn.retained_output = None
        arrays = []
        track = False
        for t in inputs:
            if isinstance(t, Tensor):
                arrays.append(t._data)
                if t._requires_grad:
                    track = True
            else:
                arrays.append(t)
        try:
            out = fn.forward(*arrays, **settings)
        except ValueError as error:
            raise _broadcast_error(cls, error, arrays) from None
        return _output(out, fn, inputs, track)

    @classmethod
    def apply2(cls, a, b):
        """``apply`` for two inputs and no settings (the arithmetic operators' fast path)."""
        fn = _new(cls)
        fn.saved = None
        fn.retained_output = None
        if isinstance(a, Tensor):
            a_data = a._data
            track = a._requires_grad
        else:
            a_data = a
            track = False
        if isinstance(b, Tensor):
            b_data = b._data
            track = track or b._requires_grad
        else:
            b_data = b
        try:
            out = fn.forward(a_data, b_data)
        except ValueError as error:
            raise _broadcast_error(cls, error, (a_data, b_data)) from None
        return _output(out, fn, (a, b), track)

    def __repr__(self) -> str:
        if self.parts:
            return f"<{self.name()} (fused: {type(self).__name__})>"
        return f"<{type(self).__name__}Backward>"


def _output(out, fn, inputs, track):
    """Wrap an op's result in a Tensor, recording ``fn`` when it needs a gradient."""
    result = _new(Tensor)
    if type(out) is ndarray:
        result._data = out
    else:  # a NumPy scalar (a ufunc on 0-d arrays): the array stands for it in saved too
        result._data = as_array(out)
        saved = fn.saved
        if type(saved) is tuple and any(item is out for item in saved):
            fn.saved = tuple(result._data if item is out else item for item in saved)
    result._grad = None
    result._vc = None
    result._view = None
    if track and _grad_enabled:
        fn.inputs = inputs
        # Where each input's gradient goes, fixed now (a later in-place op on an input moves
        # that tensor's grad_fn, not this edge): its node, the leaf itself, or None.
        fn.next = tuple(
            [
                (t.grad_fn or (t if t._requires_grad else None)) if isinstance(t, Tensor) else None
                for t in inputs
            ]
        )
        result.grad_fn = fn
        result._requires_grad = True
        saved = fn.saved
        fn.saved_versions = None if saved is None else _saved_versions(fn, saved, inputs, result)
    else:
        result.grad_fn = None
        result._requires_grad = False
    return result


def _saved_versions(fn, saved, inputs, result):
    """(counter, version, producer node, index in saved) for each saved array that is an
    input's or the output's own array; None when there is none. ``saved`` is a tuple, or a
    NamedTuple of named fields."""
    if not isinstance(saved, tuple):
        return None
    records = None
    out = result._data
    for index, item in enumerate(saved):
        if type(item) is not ndarray:
            continue
        if item is out:
            counter = result._vc = [0]
            record = (counter, 0, fn, index)
        else:
            for t in inputs:
                if isinstance(t, Tensor) and t._data is item:
                    counter = t._vc
                    if counter is None:
                        counter = t._vc = [0]
                    record = (counter, counter[0], t.grad_fn, index)
                    break
            else:
                continue
        if records is None:
            records = [record]
        else:
            records.append(record)
    reads = _READS_INPUTS.get(type(fn))
    if reads is None:
        reads = _reads_inputs(type(fn))
    if reads:  # record the inputs' versions too: index -1 - i is input i
        for i, t in enumerate(inputs):
            if isinstance(t, Tensor):
                counter = t._vc
                if counter is None:
                    counter = t._vc = [0]
                record = (counter, counter[0], t.grad_fn, -1 - i)
                records = [record] if records is None else [*records, record]
    return records


_READS_INPUTS: dict = {}


def _reads_inputs(cls) -> bool:
    """Whether create_graph differentiates ``cls`` by running its ``composite`` again on its
    input tensors, with a gradient that depends on their values: then their versions are
    checked before backward as saved arrays' are (PyTorch saves these ops' inputs too).
    Linear ops (``composite_reads_inputs = False``) need no check."""
    owner = next((k for k in cls.__mro__ if "forward" in k.__dict__), None)
    reads = owner is not None and "composite" in owner.__dict__
    _READS_INPUTS[cls] = reads = reads and getattr(cls, "composite_reads_inputs", True)
    return reads


_TYPE_NAMES = {
    "float16": "HalfTensor", "float32": "FloatTensor", "float64": "DoubleTensor",
    "int8": "CharTensor", "uint8": "ByteTensor", "int16": "ShortTensor",
    "int32": "IntTensor", "int64": "LongTensor", "bool": "BoolTensor",
}  # fmt: skip


def check_saved_versions(fn) -> None:
    """Raise PyTorch's error when an array ``fn`` saved was changed in place since."""
    for counter, version, producer, index in fn.saved_versions:
        if counter[0] == version:
            continue
        array = fn.saved[index] if index >= 0 else fn.inputs[-1 - index]._data
        kind = _TYPE_NAMES.get(str(array.dtype), f"Tensor[{array.dtype}]")
        what = f"[gradlab.{kind} [{', '.join(str(s) for s in array.shape)}]]"
        if producer is not None:
            what += f", which is output 0 of {producer.name()},"
        raise RuntimeError(
            f"one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: {what} is at version {counter[0]}; expected version "
            f"{version} instead. (Needed by {fn.name()}'s backward; an in-place op such as "
            f"add_, mul_, zero_, copy_, x[i] = v or x += y changed it after {fn.name()} used "
            f"it: use the out-of-place op, or .clone() before changing it.)"
        )


def free_node(fn) -> None:
    """Release what ``fn`` holds for backward: its saved arrays, and its input tensors (other
    than leaves that require grad): ``inputs`` becomes ``next`` (per input, the node that
    made it, the leaf itself, or None), which keeps the graph's structure and no arrays.
    Work arrays the node took from the buffer pool go back to it (``fn.release()``)."""
    fn.release()
    fn.saved = FREED
    fn.saved_versions = None
    fn.inputs = fn.next


def _broadcast_error(cls, error: ValueError, arrays) -> ValueError:
    """Name the op and the shapes when numpy cannot broadcast its inputs."""
    if "broadcast" not in str(error):
        return error
    shapes = " and ".join(str(getattr(a, "shape", ())) for a in arrays)
    return ValueError(f"{cls.__name__.lower()}: cannot broadcast shapes {shapes}")


def is_grad_enabled() -> bool:
    """Whether ops currently record the graph."""
    return _grad_enabled


class set_grad_enabled(contextlib.ContextDecorator):  # noqa: N801 - PyTorch's name
    """Set the grad mode now; used as a context manager, restore the previous mode on exit."""

    def __init__(self, mode: bool):
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = bool(mode)
        self.mode = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self._previous
        return False

    def _recreate_cm(self):
        # As a decorator: set the mode on each call, not once at decoration time.
        return _GradMode.with_mode(self.mode)


class _GradMode(contextlib.ContextDecorator):
    """Context manager and decorator that sets the grad mode and restores it on exit.

    Usable as ``with no_grad():``, ``@no_grad()`` and ``@no_grad`` (as PyTorch).
    """

    mode = True

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)

    @staticmethod
    def with_mode(mode: bool) -> _GradMode:
        return enable_grad() if mode else no_grad()

    def _recreate_cm(self):
        # A fresh instance per call, so nested or recursive decorated calls restore correctly.
        return type(self)()

    def __enter__(self):
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = self.mode
        return self

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self._previous
        return False


class no_grad(_GradMode):  # noqa: N801 - PyTorch's name
    """Ops inside record no graph: ``with gradlab.no_grad(): ...`` or ``@gradlab.no_grad()``."""

    mode = False


class enable_grad(_GradMode):  # noqa: N801 - PyTorch's name
    """Re-enable graph recording inside a ``no_grad`` block."""

    mode = True


_API = ("grad", "backward", "inference_mode", "is_inference_mode_enabled")


def __getattr__(name):
    # gradcheck needs Tensor, which needs this module: import it on first use.
    if name in ("gradcheck", "gradgradcheck", "GradcheckError"):
        from gradlab import gradcheck as _gradcheck

        return getattr(_gradcheck, name)
    if name == "Variable":  # PyTorch's deprecated alias: see variable.py
        from gradlab.variable import Variable

        return Variable
    if name in _API:  # PyTorch's autograd functions, kept in gradlab.autograd_api
        from gradlab import autograd_api

        return getattr(autograd_api, name)
    if name in ("function", "functional"):  # the submodules, imported on first use
        import importlib

        return importlib.import_module(f"gradlab.autograd.{name}")
    raise AttributeError(f"module 'gradlab.autograd' has no attribute {name!r}")


from gradlab.tensor import Tensor  # noqa: E402  (circular: Tensor builds on Function)

_new = object.__new__
