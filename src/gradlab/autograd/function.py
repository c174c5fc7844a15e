"""``torch.autograd.function``'s names: Function, FunctionCtx, once_differentiable
(kept in :mod:`gradlab.autograd_function`)."""

from gradlab.autograd import Function
from gradlab.autograd_function import FunctionCtx, once_differentiable

__all__ = ["Function", "FunctionCtx", "once_differentiable"]
