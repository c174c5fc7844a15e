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

from gradlab import autograd
from gradlab.autograd import Function
from gradlab.backend import default_generator, xp
from gradlab.ops import activation, comparison, elementwise
from gradlab.tensor import Tensor, bump_version

# ---------------------------------------------------------------------- the machinery


def _array(x):
    return x._data if isinstance(x, Tensor) else x


def _requires_grad(values) -> bool:
    return any(isinstance(v, Tensor) and v._requires_grad for v in values)


def _check_leaf(t: Tensor, name: str) -> None:
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


def _shape_text(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _write(t: Tensor, result, name: str) -> None:
    """Copy ``result`` into ``t``'s array with PyTorch's checks on shape and dtype."""
    target = t._data
    result = xp.asarray(result)
    if result.shape != target.shape:
        raise RuntimeError(
            f"{name}: output with shape {_shape_text(target.shape)} doesn't match the "
            f"broadcast shape {_shape_text(result.shape)}"
        )
    if result.dtype != target.dtype and not xp.can_cast(result.dtype, target.dtype, "same_kind"):
        raise RuntimeError(
            f"{name}: result type {result.dtype} can't be cast to the desired output type "
            f"{target.dtype}"
        )
    try:
        xp.copyto(target, result, casting="unsafe")
    except ValueError as error:
        raise _readonly_error(name, error) from None


def _readonly_error(name, error):
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
    if autograd._grad_enabled and (t._requires_grad or _requires_grad(args)):
        _check_leaf(t, name)
        _rebase(t, name, op, args, kwargs)
        return t
    if fast is not None:
        try:
            fast(t._data, *[_array(a) for a in args])
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
    other = next((xp.result_type(_array(a)) for a in args if a is not None), None)
    if other is not None:
        return f"result type {other} can't be cast to the desired output type {t.dtype}"
    return str(error)


def _fast_value_error(t, name, args, error):
    if "broadcast" in str(error):
        shape = xp.broadcast_shapes(t.shape, *[xp.shape(_array(a)) for a in args])
        return RuntimeError(
            f"{name}: output with shape {_shape_text(t.shape)} doesn't match the broadcast "
            f"shape {_shape_text(shape)}"
        )
    return _readonly_error(name, error)


def _rebase(t: Tensor, name: str, op, args, kwargs) -> None:
    """The differentiable path: run ``op`` on a stand-in, write, and move ``t``'s node."""
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
        from gradlab.ops.movement import Index

        where = _view_positions(self.saved[0], grad.shape)
        kept = xp.ones(grad.numel(), grad.dtype)
        kept[where] = 0
        flat = grad.reshape(-1)
        return (flat * kept).reshape(grad.shape), Index.apply(flat, key=where)


def _view_positions(view_fn, shape):
    """For each element of ``view_fn`` of an array of ``shape``, its flat index in that array:
    the view as integer positions, which Tensor indexing can follow (recorded)."""
    return view_fn(xp.arange(int(xp.prod(shape))).reshape(shape))


class ViewOf(Function):
    """``view_fn(base)``: a view's value as a function of its (rebased) base."""

    __slots__ = ()

    def forward(self, base, view_fn=None):
        self.saved = (base.shape, view_fn)
        return view_fn(base)

    def backward(self, grad):
        shape, view_fn = self.saved
        full = xp.zeros_like(grad, shape=shape)
        view_fn(full)[...] = grad
        return full

    def backward_graph(self, grad):
        from gradlab.ops.movement import IndexGrad

        shape, view_fn = self.saved
        where = _view_positions(view_fn, shape)
        return IndexGrad.apply(grad, shape=(int(xp.prod(shape)),), key=where).reshape(shape)


# ---------------------------------------------------------------------- value-setting ops


class Fill(Function):
    """Every element set to ``value`` (a number, or a 0-d tensor that gets the gradient)."""

    __slots__ = ()

    def forward(self, a, value):
        return xp.full(a.shape, value, dtype=a.dtype)

    def backward(self, grad):
        # the old values get a zero gradient (as PyTorch's); the engine sums value's
        zero = xp.zeros_like(grad) if self.needs_input_grad(0) else None
        return zero, grad

    def backward_graph(self, grad):  # the same, recorded (see gradlab.autograd_graph)
        return grad * 0 if self.needs_input_grad(0) else None, grad


class Copy(Function):
    """``src`` broadcast to ``a``'s shape and cast to its dtype (``copy_``)."""

    __slots__ = ()

    def forward(self, a, src):
        self.saved = (xp.result_type(src),)
        return xp.broadcast_to(xp.asarray(src, dtype=a.dtype), a.shape)

    def backward(self, grad):
        zero = xp.zeros_like(grad) if self.needs_input_grad(0) else None
        return zero, grad.astype(self.saved[0], copy=False)

    def backward_graph(self, grad):
        zero = grad * 0 if self.needs_input_grad(0) else None
        return zero, elementwise.to_dtype(grad, self.saved[0])


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
        from gradlab.ops.movement import Index

        (key,) = self.saved
        kept = xp.ones(grad.shape, grad.dtype)
        kept[key] = 0
        return grad * kept, Index.apply(grad, key=key)


def _ufunc(ufunc):
    def fast(a, b):
        ufunc(a, b, out=a)

    return fast


def _unary(ufunc):
    def fast(a):
        ufunc(a, out=a)

    return fast


def _scaled(other, alpha):
    if alpha == 1:
        return other
    return other * alpha if isinstance(other, Tensor) else xp.multiply(_array(other), alpha)


# ---------------------------------------------------------------------- the methods


def add_(self, other, *, alpha=1):
    return apply_inplace(self, "add_", elementwise.add, _scaled(other, alpha), fast=_ADD)


def sub_(self, other, *, alpha=1):
    return apply_inplace(self, "sub_", elementwise.sub, _scaled(other, alpha), fast=_SUB)


def mul_(self, other):
    return apply_inplace(self, "mul_", elementwise.mul, other, fast=_MUL)


def div_(self, other, *, rounding_mode=None):
    if rounding_mode is not None:
        raise ValueError(f"div_: rounding_mode={rounding_mode!r} is not supported (only None)")
    return apply_inplace(self, "div_", elementwise.div, other, fast=_DIV)


def pow_(self, exponent):
    return apply_inplace(self, "pow_", elementwise.pow, exponent, fast=_POW)


_ADD, _SUB, _MUL, _DIV, _POW = (
    _ufunc(xp.add), _ufunc(xp.subtract), _ufunc(xp.multiply), _ufunc(xp.true_divide),
    _ufunc(xp.power),
)  # fmt: skip


def _unary_method(name, op, ufunc=None):
    fast = None if ufunc is None else _unary(ufunc)

    def method(self):
        return apply_inplace(self, name, op, fast=fast)

    method.__name__ = name
    method.__doc__ = f"In-place ``{op.__name__}``; returns self."
    return method


neg_ = _unary_method("neg_", elementwise.neg, xp.negative)
exp_ = _unary_method("exp_", elementwise.exp, xp.exp)
log_ = _unary_method("log_", elementwise.log, xp.log)
sqrt_ = _unary_method("sqrt_", elementwise.sqrt, xp.sqrt)
abs_ = _unary_method("abs_", elementwise.abs, xp.absolute)
square_ = _unary_method("square_", elementwise.square, xp.square)
sigmoid_ = _unary_method("sigmoid_", activation.sigmoid)
tanh_ = _unary_method("tanh_", activation.tanh, xp.tanh)
relu_ = _unary_method("relu_", activation.relu)
sign_ = _unary_method("sign_", comparison.sign, xp.sign)


def clamp_(self, min=None, max=None):  # noqa: A002 - PyTorch's argument names
    if min is None and max is None:
        raise ValueError("clamp_: at least one of min and max must be given")
    return apply_inplace(self, "clamp_", elementwise.clamp, min, max)


def clamp_min_(self, min):  # noqa: A002
    return clamp_(self, min=min)


def clamp_max_(self, max):  # noqa: A002
    return clamp_(self, max=max)


def _comparison(name, op):
    def method(self, other):
        return apply_inplace(self, name, lambda a, b: op(a, b).to(a.dtype), other)

    method.__name__ = name
    return method


eq_, ne_, lt_, le_, gt_, ge_ = (
    _comparison(f"{n}_", getattr(comparison, n)) for n in ("eq", "ne", "lt", "le", "gt", "ge")
)


def zero_(self):
    return fill_(self, 0)


def fill_(self, value):
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(
            f"fill_: only supports 0-dimension value tensor but got tensor with "
            f"{value.ndim} dimensions"
        )
    return apply_inplace(self, "fill_", Fill.apply, value, fast=_fill)


def _fill(a, value):
    a[...] = value


def copy_(self, src, non_blocking=False):
    """Copy ``src``'s values (broadcast to self's shape, cast to its dtype) into self."""
    if not isinstance(src, Tensor):
        src = Tensor(xp.asarray(src))
    try:
        xp.broadcast_shapes(src.shape, self.shape)
    except ValueError:
        raise RuntimeError(
            f"copy_: the size of tensor a {_shape_text(self.shape)} must match the size of "
            f"tensor b {_shape_text(src.shape)}"
        ) from None
    if xp.broadcast_shapes(src.shape, self.shape) != self.shape:
        raise RuntimeError(
            f"copy_: output with shape {_shape_text(self.shape)} doesn't match the broadcast "
            f"shape {_shape_text(xp.broadcast_shapes(src.shape, self.shape))}"
        )
    return apply_inplace(self, "copy_", Copy.apply, src, fast=_copy)


def _copy(a, src):
    xp.copyto(a, src, casting="unsafe")


def masked_fill_(self, mask, value):
    """Set the elements where ``mask`` (bool, broadcastable to self) is True to ``value``."""
    mask_array = _array(mask)
    if getattr(mask_array, "dtype", None) != xp.dtype(bool):
        raise RuntimeError(
            f"masked_fill_: expected a boolean mask, got dtype "
            f"{getattr(mask_array, 'dtype', type(mask).__name__)}"
        )

    def op(a, v):
        fill = v.to(a.dtype) if isinstance(v, Tensor) else xp.asarray(v, dtype=a.dtype)
        return elementwise.where(mask_array, fill, a)

    return apply_inplace(self, "masked_fill_", op, value, fast=_masked(mask_array))


def _masked(mask):
    def fast(a, value):
        xp.copyto(a, value, where=xp.broadcast_to(mask, a.shape), casting="unsafe")

    return fast


def addcmul_(self, tensor1, tensor2, *, value=1):
    """self += value * tensor1 * tensor2."""
    return apply_inplace(self, "addcmul_", lambda a, b, c: a + value * b * c, tensor1, tensor2)


def addcdiv_(self, tensor1, tensor2, *, value=1):
    """self += value * tensor1 / tensor2."""
    return apply_inplace(self, "addcdiv_", lambda a, b, c: a + value * b / c, tensor1, tensor2)


def lerp_(self, end, weight):
    """self += weight * (end - self)."""
    return apply_inplace(self, "lerp_", lambda a, b, w: a + w * (b - a), end, weight)


def uniform_(self, a=0.0, b=1.0, *, generator=None):
    """Fill with samples of U(a, b) (outside the graph, from gradlab's generator)."""
    rng = generator or default_generator()
    return _random_fill(self, "uniform_", lambda: rng.uniform(a, b, self.shape))


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fill with samples of N(mean, std²) (outside the graph, from gradlab's generator)."""
    rng = generator or default_generator()
    return _random_fill(self, "normal_", lambda: rng.normal(mean, std, self.shape))


def _random_fill(t, name, draw):
    if autograd._grad_enabled:
        _check_leaf(t, name)
    return apply_inplace(t, name, Fill.apply, Tensor(xp.asarray(draw(), dtype=t.dtype)))


def detach_(self):
    """Make self a leaf outside the graph, in place."""
    if self._view is not None:
        raise RuntimeError("detach_(): can't detach views in-place. Use detach() instead.")
    self.grad_fn, self._requires_grad = None, False
    return self


def setitem(self, key, value):
    """``self[key] = value``. In the graph, a basic index writes through a view (PyTorch's
    ``self[key].copy_(value)``) and others (masks, integer arrays) as ``index_put_``."""
    from gradlab.ops.movement import _index_key, _is_basic_index

    key = _index_key(key, self._data)
    if not (autograd._grad_enabled and (self._requires_grad or _requires_grad((value,)))):
        try:
            self._data[key] = _array(value)
        except ValueError as error:
            raise _readonly_error("__setitem__", error) from None
        bump_version(self)
        return
    if _is_basic_index(key):
        copy_(self[key], value)
        return
    apply_inplace(self, "__setitem__", lambda a, v: IndexPut.apply(a, v, key=key), value)


def __iadd__(self, other):  # noqa: N807
    return add_(self, other)


def __isub__(self, other):  # noqa: N807
    return sub_(self, other)


def __imul__(self, other):  # noqa: N807
    return mul_(self, other)


def __itruediv__(self, other):  # noqa: N807
    return div_(self, other)


def __ipow__(self, other):  # noqa: N807
    return pow_(self, other)


METHODS = {
    name: globals()[name]
    for name in (
        "add_ sub_ mul_ div_ pow_ neg_ exp_ log_ sqrt_ abs_ square_ sigmoid_ tanh_ relu_ sign_ "
        "clamp_ clamp_min_ clamp_max_ eq_ ne_ lt_ le_ gt_ ge_ zero_ fill_ copy_ masked_fill_ "
        "addcmul_ addcdiv_ lerp_ uniform_ normal_ detach_ "
        "__iadd__ __isub__ __imul__ __itruediv__ __ipow__"
    ).split()
}
METHODS.update(
    {
        "clip_": clamp_,
        "multiply_": mul_,
        "subtract_": sub_,
        "divide_": div_,
        "true_divide_": div_,
        "absolute_": abs_,
        "negative_": neg_,
        "__setitem__": setitem,
    }
)
"""Tensor method name -> function; bound by ``gradlab.ops``."""
