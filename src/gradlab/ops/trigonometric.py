"""The base of unary ops with a pointwise derivative (:class:`_Unary`), and the trigonometric
and hyperbolic ones: sin ... atanh, forward and first derivative on arrays, the derivative
again on Tensors (``derivative_graph``) for create_graph. Their functions (``torch.sin`` ...)
are made in :mod:`gradlab.ops.math`."""

from __future__ import annotations

import numpy as np

from gradlab.autograd import Function
from gradlab.autograd_graph import NoGraphBackward, defined_beside
from gradlab.backend import array_module


def _module_function(name):
    """A _Unary's ``fn``: the function ``name`` of its input's array module (xp.sin ...)."""
    return staticmethod(lambda a: getattr(array_module(a), name)(a))


class _Unary(Function):
    """Base of ops whose gradient is ``grad * derivative(a, out)``."""

    __slots__ = ()

    def forward(self, a):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = self.fn(a)
        self.saved = (a, out)
        return out

    def backward(self, grad):
        a, out = self.saved
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return grad * self.derivative(a, out)

    def backward_graph(self, grad):
        # recorded (gradlab.autograd_graph): ``derivative_graph`` on Tensors, where the
        # subclass gives one beside its ``derivative``
        if not defined_beside(self, "derivative", "derivative_graph"):
            raise NoGraphBackward
        return grad * self.derivative_graph(self.inputs[0], self.output())


class Sin(_Unary):
    __slots__ = ()
    fn = _module_function("sin")

    def derivative(self, a, out):
        xp = array_module(a)
        return xp.cos(a)

    def derivative_graph(self, a, out):
        return a.cos()


class Cos(_Unary):
    __slots__ = ()
    fn = _module_function("cos")

    def derivative(self, a, out):
        xp = array_module(a)
        return -xp.sin(a)

    def derivative_graph(self, a, out):
        return -a.sin()


class Tan(_Unary):
    __slots__ = ()
    fn = _module_function("tan")

    def derivative(self, a, out):
        return 1 + out * out

    derivative_graph = derivative  # operators only: the same on Tensors


class Asin(_Unary):
    __slots__ = ()
    fn = _module_function("arcsin")

    def derivative(self, a, out):
        xp = array_module(a)
        return 1 / xp.sqrt(1 - a * a)

    def derivative_graph(self, a, out):
        return 1 / (1 - a * a).sqrt()


class Acos(_Unary):
    __slots__ = ()
    fn = _module_function("arccos")

    def derivative(self, a, out):
        xp = array_module(a)
        return -1 / xp.sqrt(1 - a * a)

    def derivative_graph(self, a, out):
        return -1 / (1 - a * a).sqrt()


class Atan(_Unary):
    __slots__ = ()
    fn = _module_function("arctan")

    def derivative(self, a, out):
        return 1 / (1 + a * a)

    derivative_graph = derivative  # operators only: the same on Tensors


class Sinh(_Unary):
    __slots__ = ()
    fn = _module_function("sinh")

    def derivative(self, a, out):
        xp = array_module(a)
        return xp.cosh(a)

    def derivative_graph(self, a, out):
        return a.cosh()


class Cosh(_Unary):
    __slots__ = ()
    fn = _module_function("cosh")

    def derivative(self, a, out):
        xp = array_module(a)
        return xp.sinh(a)

    def derivative_graph(self, a, out):
        return a.sinh()


class Asinh(_Unary):
    __slots__ = ()
    fn = _module_function("arcsinh")

    def derivative(self, a, out):
        xp = array_module(a)
        return 1 / xp.sqrt(a * a + 1)

    def derivative_graph(self, a, out):
        return 1 / (a * a + 1).sqrt()


class Acosh(_Unary):
    __slots__ = ()
    fn = _module_function("arccosh")

    def derivative(self, a, out):
        xp = array_module(a)
        return 1 / xp.sqrt(a * a - 1)

    def derivative_graph(self, a, out):
        return 1 / (a * a - 1).sqrt()


class Atanh(_Unary):
    __slots__ = ()
    fn = _module_function("arctanh")

    def derivative(self, a, out):
        return 1 / (1 - a * a)

    derivative_graph = derivative  # operators only: the same on Tensors
