"""The in-place Tensor methods, PyTorch's: ``add_``, ``mul_``, ``clamp_``, ``zero_``, ``fill_``,
``copy_``, ``masked_fill_``, ``uniform_``, ``x[i] = v``, ``x += y`` ... each one call of
:func:`gradlab.ops.inplace.apply_inplace` (the rules live there). :data:`METHODS` is what
``gradlab.ops`` binds onto Tensor.
"""

from __future__ import annotations

import numpy as np

from gradlab import autograd
from gradlab.backend import array_module, as_array, backend_of, default_generator, to_backend
from gradlab.ops import activation, comparison, elementwise
from gradlab.ops.inplace import (
    Copy,
    Fill,
    IndexPut,
    any_requires_grad,
    apply_inplace,
    array_of,
    check_leaf,
    readonly_error,
    shape_text,
)
from gradlab.tensor import Tensor, bump_version


def _ufunc(name):
    """``fast`` for a binary op: the array module's ufunc ``name``, into ``a``."""

    def fast(a, b):
        getattr(array_module(a), name)(a, b, out=a)

    return fast


def _unary(name):
    def fast(a):
        getattr(array_module(a), name)(a, out=a)

    return fast


def _scaled(other, alpha):
    if alpha == 1:
        return other
    return other * alpha if isinstance(other, Tensor) else array_of(other) * alpha


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
    _ufunc("add"), _ufunc("subtract"), _ufunc("multiply"), _ufunc("true_divide"), _ufunc("power")
)  # fmt: skip


def _unary_method(name, op, ufunc=None):
    """``name`` in place: ``op`` in the graph, else the array module's ufunc (by name)."""
    fast = None if ufunc is None else _unary(ufunc)

    def method(self):
        return apply_inplace(self, name, op, fast=fast)

    method.__name__ = name
    method.__doc__ = f"In-place ``{op.__name__}``; returns self."
    return method


neg_ = _unary_method("neg_", elementwise.neg, "negative")
exp_ = _unary_method("exp_", elementwise.exp, "exp")
log_ = _unary_method("log_", elementwise.log, "log")
sqrt_ = _unary_method("sqrt_", elementwise.sqrt, "sqrt")
abs_ = _unary_method("abs_", elementwise.abs, "absolute")
square_ = _unary_method("square_", elementwise.square, "square")
sigmoid_ = _unary_method("sigmoid_", activation.sigmoid)
tanh_ = _unary_method("tanh_", activation.tanh, "tanh")
relu_ = _unary_method("relu_", activation.relu)
sign_ = _unary_method("sign_", comparison.sign, "sign")


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
    if not isinstance(src, Tensor):  # Python data or a host array: onto self's device
        src = Tensor(to_backend(as_array(src), backend_of(self._data)))
    elif backend_of(src._data) is not backend_of(self._data):
        src = src.to(self.device)  # as PyTorch's copy_ across devices (differentiable)
    try:
        np.broadcast_shapes(src.shape, self.shape)
    except ValueError:
        raise RuntimeError(
            f"copy_: the size of tensor a {shape_text(self.shape)} must match the size of "
            f"tensor b {shape_text(src.shape)}"
        ) from None
    if np.broadcast_shapes(src.shape, self.shape) != self.shape:
        raise RuntimeError(
            f"copy_: output with shape {shape_text(self.shape)} doesn't match the broadcast "
            f"shape {shape_text(np.broadcast_shapes(src.shape, self.shape))}"
        )
    return apply_inplace(self, "copy_", Copy.apply, src, fast=_copy)


def _copy(a, src):
    array_module(a).copyto(a, src, casting="unsafe")


def masked_fill_(self, mask, value):
    """Set the elements where ``mask`` (bool, broadcastable to self) is True to ``value``."""
    xp = array_module(self)
    mask_array = array_of(mask)
    if getattr(mask_array, "dtype", None) != np.dtype(bool):
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
        xp = array_module(a)
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
    """Fill ``t`` with ``draw()``, host samples copied to ``t``'s device."""
    if autograd._grad_enabled:
        check_leaf(t, name)
    samples = backend_of(t._data).from_host(draw().astype(t.dtype))
    return apply_inplace(t, name, Fill.apply, Tensor(samples))


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
    if not (autograd._grad_enabled and (self._requires_grad or any_requires_grad((value,)))):
        try:
            self._data[key] = array_of(value)
        except ValueError as error:
            raise readonly_error("__setitem__", error) from None
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
