"""``gradlab.autograd.Variable``: PyTorch's deprecated alias, which returns a tensor.

``Variable(t, requires_grad=True)`` gives back ``t`` itself with ``requires_grad`` set (as
PyTorch, since 0.4, where Variable and Tensor merged); ``isinstance(t, Variable)`` holds for
every Tensor.
"""

from __future__ import annotations

from gradlab.tensor import Tensor


class _VariableMeta(type):
    def __instancecheck__(cls, instance) -> bool:
        return isinstance(instance, Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(data, requires_grad=False, volatile=False)``: ``data`` (a Tensor) itself,
    with ``requires_grad`` set when asked; ``volatile`` is accepted and ignored, as PyTorch."""

    def __new__(cls, data=None, requires_grad: bool = False, volatile: bool = False):
        if data is None:
            from gradlab.creation import tensor

            return tensor([], requires_grad=requires_grad)
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        if requires_grad:
            data.requires_grad_(True)
        return data
