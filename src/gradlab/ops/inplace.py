"""In-place ops: ``x.add_(y)``, ``x += y``, ``x.zero_()``, ``x[i] = v`` ... as PyTorch's.

Every in-place op changes the tensor's own array (every view of it sees the change) and bumps
its version counter, so a backward that needs the old values raises instead of silently
using the new ones (see :mod:`gradlab.autograd`). The rules, PyTorch's:

- Outside the graph (inside ``no_grad()``, or when neither the tensor nor the other operands
  require grad) the op runs on the arrays directly: ``with no_grad(): p -= lr * p.grad``
  updates the parameter ``p`` itself, with no copy.
- In place on a leaf that requires grad (or a view of one) while grad mode is on raises.
- In place on a non-leaf is differentiable: the op runs out of place on a stand-in for the
  old value, the result is written into the tensor's array, and the tensor's ``grad_fn``
  becomes the op's node (``y = x * 2; y.mul_(3)`` gives ``x.grad == 6``). An array the op
  saved that is the tensor's own is copied first, since it is about to be overwritten.
- In place on a view of a tensor in the graph also rebases the base: its ``grad_fn`` becomes
  :class:`CopySlices` (the old base's gradient with the view's region taken out, plus the
  new values' gradient placed into it), and the view's becomes :class:`ViewOf` the new base.
  (Other views of the same base made earlier keep their old ``grad_fn``; PyTorch regenerates
  theirs.)

The ops are bound as Tensor methods by ``gradlab.ops``; ``apply_inplace`` is the one way in,
for ops written elsewhere too: ``apply_inplace(t, "name_", out_of_place_fn, *args)``.
"""

from __future__ import annotations

import numpy as np

from gradlab import autograd
from gradlab.autograd import Function
from gradlab.backend import array_module
from gradlab.tensor import Tensor, bump_version

# ---------------------------------------------------------------------- the machinery


def array_of(x):
    return x._data if isinstance(x, Tensor) else x


def any_requires_grad(values) -> bool:
    return any(isinstance(v, Tensor) and v._requires_grad for v in values)


def check_leaf(t: Tensor, name: str) -> None:
    if t.grad_fn is None and t._requires_grad:
        raise RuntimeError(
            f"{name}: a leaf Variable that requires grad is being used in an in-place "
            f"operation. (Change it inside gradlab.no_grad(), as an optimizer does, or "
            f"work on a clone.)"
        )
    view = t._view
    if view is not None and view[0].grad_fn is None and view[0]._requires_grad:
        raise RuntimeError(
            f"{name}: a view of a leaf Variable that requires grad is being used in an "
            f"in-place operation. (Change it inside gradlab.no_grad(), or work on a clone.)"
        )


def shape_text(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _write(t: Tensor, result, name: str) -> None:
    """Copy ``result`` into ``t``'s array with PyTorch's checks on shape and dtype."""
    xp = array_module(t)
    target = t._data
    result = xp.asarray(result)
    if result.shape != target.shape:
        raise RuntimeError(
            f"{name}: output with shape {shape_text(target.shape)} doesn't match the "
            f"broadcast shape {shape_text(result.shape)}"
        )
    if result.dtype != target.dtype and not np.can_cast(result.dtype, target.dtype, "same_kind"):
        raise RuntimeError(
            f"{name}: result type {result.dtype} can't be cast to the desired output type "
            f"{target.dtype}"
        )
    try:
        xp.copyto(target, result, casting="unsafe")
    except ValueError as error:
        raise readonly_error(name, error) from None


def readonly_error(name, error):
    if "read-only" in str(error):
        return RuntimeError(
            f"{name}: unsupported operation: more than one element of the written-to tensor "
            f"refers to a single memory location (an expand()ed tensor?). Please clone() the "
            f"tensor before performing the operation."
        )
    return error


def _stand_in(t: Tensor, data=None) -> Tensor:
    """A tensor for ``t``'s old value: same array (or ``data``), node and requires_grad, its
    own counter."""
    old = Tensor._from_op(t._data if data is None else data, t.grad_fn)
    old._requires_grad = t._requires_grad
    return old


def _adopt_output(fn: Function, result: Tensor, t: Tensor) -> None:
    """A node that saved its own output now finds it in ``t`` (as PyTorch's ``exp_``)."""
    records = fn.saved_versions
    if not records:
        return
    saved = list(fn.saved)
    for i, (counter, _, producer, index) in enumerate(records):
        if index >= 0 and counter is result._vc and saved[index] is result._data:
            saved[index] = t._data
            records[i] = (t._vc, t._vc[0], producer, index)
    fn.saved = tuple(saved)


def apply_inplace(t: Tensor, name: str, op, *args, fast=None, **kwargs) -> Tensor:
    """Make ``t`` hold ``op(t, *args, **kwargs)`` in place; returns ``t``.

    ``op`` is the out-of-place gradlab function (it defines the values and the gradient);
    ``fast(array, *arrays)``, when given, does the same on the arrays in place and is used
    when no graph is recorded.
    """
    if not isinstance(t, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(t).__name__}")
    if autograd._grad_enabled and (t._requires_grad or any_requires_grad(args)):
        check_leaf(t, name)
        _rebase(t, name, op, args, kwargs)
        return t
    if fast is not None:
        try:
            fast(t._data, *[array_of(a) for a in args])
        except TypeError as error:  # numpy's UFuncTypeError: a cast it refuses
            raise RuntimeError(f"{name}: {_cast_text(t, args, error)}") from None
        except ValueError as error:
            raise _fast_value_error(t, name, args, error) from None
    else:
        with autograd.no_grad():
            result = op(t, *args, **kwargs)
        _write(t, result._data, name)
    bump_version(t)
    return t


def _cast_text(t, args, error) -> str:
    other = next((np.result_type(array_of(a)) for a in args if a is not None), None)
    if other is not None:
        return f"result type {other} can't be cast to the desired output type {t.dtype}"
    return str(error)


def _fast_value_error(t, name, args, error):
    xp = array_module(t)
    if "broadcast" in str(error):
        shape = np.broadcast_shapes(t.shape, *[xp.shape(array_of(a)) for a in args])
        return RuntimeError(
            f"{name}: output with shape {shape_text(t.shape)} doesn't match the broadcast "
            f"shape {shape_text(shape)}"
        )
    return readonly_error(name, error)


def _rebase(t: Tensor, name: str, op, args, kwargs) -> None:
    """The differentiable path: run ``op`` on a stand-in, write, and move ``t``'s node."""
    if t._view is not None and t._view[1](t._view[0]._data).shape != t._data.shape:
        raise RuntimeError(
            f"{name}: this view's base changed shape in place (t_, squeeze_, ...) after the "
            f"view was made, so gradlab cannot route its gradient; take the view again after "
            f"the change, or work on a clone"
        )
    result = op(_stand_in(t), *args, **kwargs)
    fn = result.grad_fn
    target = t._data
    if fn is not None and type(fn.saved) is tuple and any(item is target for item in fn.saved):
        old = target.copy()
        fn.saved = tuple(old if item is target else item for item in fn.saved)
        # inputs that held the old value keep it (a recorded backward, create_graph, reads them)
        fn.inputs = tuple(
            _stand_in(s, old) if isinstance(s, Tensor) and s._data is target else s
            for s in fn.inputs
        )
    _write(t, result._data, name)
    bump_version(t)
    if fn is None:  # a non-differentiable op (a comparison): the value leaves the graph
        t.grad_fn, t._requires_grad = None, False
        return
    _adopt_output(fn, result, t)
    view = t._view
    if view is None:
        t.grad_fn, t._requires_grad = fn, True
        return
    base, view_fn = view
    new_base = CopySlices.apply(_stand_in(base), result, view_fn=view_fn)
    base.grad_fn, base._requires_grad = new_base.grad_fn, True
    t.grad_fn, t._requires_grad = ViewOf.apply(base, view_fn=view_fn).grad_fn, True


class CopySlices(Function):
    """A base after an in-place op on one of its views: ``base`` with ``view_fn(base)``
    replaced by ``values``. Forward returns the base's (already updated) array."""

    __slots__ = ()

    def forward(self, base, values, view_fn=None):
        self.saved = (view_fn,)
        return base

    def backward(self, grad):
        (view_fn,) = self.saved
        grad_base = grad.copy()
        view_fn(grad_base)[...] = 0
        return grad_base, view_fn(grad)

    def backward_graph(self, grad):  # the same, recorded (see gradlab.autograd_graph)
        xp = array_module(grad)
        from gradlab.ops.movement import Index

        where = _view_positions(self.saved[0], grad.shape, grad)
        kept = xp.ones(grad.numel(), grad.dtype)
        kept[where] = 0
        flat = grad.reshape(-1)
        return (flat * kept).reshape(grad.shape), Index.apply(flat, key=where)


def _view_positions(view_fn, shape, like):
    """For each element of ``view_fn`` of an array of ``shape``, its flat index in that array:
    the view as integer positions, which Tensor indexing can follow (recorded)."""
    xp = array_module(like)  # the positions live on the gradient's device
    return view_fn(xp.arange(int(xp.prod(shape))).reshape(shape))


class ViewOf(Function):
    """``view_fn(base)``: a view's value as a function of its (rebased) base."""

    __slots__ = ()

    def forward(self, base, view_fn=None):
        self.saved = (base.shape, view_fn)
        return view_fn(base)

    def backward(self, grad):
        xp = array_module(grad)
        shape, view_fn = self.saved
        full = xp.zeros_like(grad, shape=shape)
        view_fn(full)[...] = grad
        return full

    def backward_graph(self, grad):
        xp = array_module(grad)
        from gradlab.ops.movement import IndexGrad

        shape, view_fn = self.saved
        where = _view_positions(view_fn, shape, grad)
        return IndexGrad.apply(grad, shape=(int(xp.prod(shape)),), key=where).reshape(shape)


# ---------------------------------------------------------------------- value-setting ops


class Fill(Function):
    """Every element set to ``value`` (a number, or a 0-d tensor that gets the gradient)."""

    __slots__ = ()

    def forward(self, a, value):
        xp = array_module(a)
        return xp.full(a.shape, value, dtype=a.dtype)

    def backward(self, grad):
        # the old values get a zero gradient (as PyTorch's); the engine sums value's
        xp = array_module(grad)
        zero = xp.zeros_like(grad) if self.needs_input_grad(0) else None
        return zero, grad

    def backward_graph(self, grad):  # the same, recorded (see gradlab.autograd_graph)
        return grad * 0 if self.needs_input_grad(0) else None, grad


class Copy(Function):
    """``src`` broadcast to ``a``'s shape and cast to its dtype (``copy_``)."""

    __slots__ = ()

    def forward(self, a, src):
        xp = array_module(a)
        self.saved = (np.result_type(src),)
        return xp.broadcast_to(xp.asarray(src, dtype=a.dtype), a.shape)

    def backward(self, grad):
        xp = array_module(grad)
        zero = xp.zeros_like(grad) if self.needs_input_grad(0) else None
        return zero, grad.astype(self.saved[0], copy=False)

    def backward_graph(self, grad):
        from gradlab.ops.elementwise import to_dtype

        zero = grad * 0 if self.needs_input_grad(0) else None
        return zero, to_dtype(grad, self.saved[0])


class IndexPut(Function):
    """``a`` with ``a[key]`` replaced by ``values`` (``a[key] = values``)."""

    __slots__ = ()

    def forward(self, a, values, key=None):
        self.saved = (key,)
        out = a.copy()
        out[key] = values
        return out

    def backward(self, grad):
        (key,) = self.saved
        grad_a = grad.copy()
        grad_a[key] = 0
        return grad_a, grad[key]

    def backward_graph(self, grad):
        xp = array_module(grad)
        from gradlab.ops.movement import Index

        (key,) = self.saved
        kept = xp.ones(grad.shape, grad.dtype)
        kept[key] = 0
        return grad * kept, Index.apply(grad, key=key)
