"""The base of unary ops with a pointwise derivative (:class:`_Unary`), and the trigonometric
and hyperbolic ones: sin ... atanh, forward and first derivative on arrays, the derivative
again on Tensors (``derivative_graph``) for create_graph. Their functions (``torch.sin`` ...)
are made in :mod:`gradlab.ops.math`."""

from __future__ import annotations

from gradlab.autograd import Function
from gradlab.autograd_graph import NoGraphBackward, defined_beside
from gradlab.backend import xp


class _Unary(Function):
    """Base of ops whose gradient is ``grad * derivative(a, out)``."""

    __slots__ = ()

    def forward(self, a):
        with xp.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = self.fn(a)
        self.saved = (a, out)
        return out

    def backward(self, grad):
        a, out = self.saved
        with xp.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return grad * self.derivative(a, out)

    def backward_graph(self, grad):
        # recorded (gradlab.autograd_graph): ``derivative_graph`` on Tensors, where the
        # subclass gives one beside its ``derivative``
        if not defined_beside(self, "derivative", "derivative_graph"):
            raise NoGraphBackward
        return grad * self.derivative_graph(self.inputs[0], self.output())


class Sin(_Unary):
    __slots__ = ()
    fn = staticmethod(xp.sin)

    def derivative(self, a, out):
        return xp.cos(a)

    def derivative_graph(self, a, out):
        return a.cos()


class Cos(_Unary):
    __slots__ = ()
    fn = staticmethod(xp.cos)

    def derivative(self, a, out):
        return -xp.sin(a)

    def derivative_graph(self, a, out):
        return -a.sin()


class Tan(_Unary):
    __slots__ = ()
    fn = staticmethod(xp.tan)

    def derivative(self, a, out):
        return 1 + out * out

    derivative_graph = derivative  # operators only: the same on Tensors


class Asin(_Unary):
    __slots__ = ()
    fn = staticmethod(xp.arcsin)

    def derivative(self, a, out):
        return 1 / xp.sqrt(1 - a * a)

    def derivative_graph(self, a, out):
        return 1 / (1 - a * a).sqrt()


class Acos(_Unary):
    __slots__ = ()
    fn = staticmethod(xp.arccos)

    def derivative(self, a, out):
        return -1 / xp.sqrt(1 - a * a)

    def derivative_graph(self, a, out):
        return -1 / (1 - a * a).sqrt()


class Atan(_Unary):
    __slots__ = ()
    fn = staticmethod(xp.arctan)

    def derivative(self, a, out):
        return 1 / (1 + a * a)

    derivative_graph = derivative  # operators only: the same on Tensors


class Sinh(_Unary):
    __slots__ = ()
    fn = staticmethod(xp.sinh)

    def derivative(self, a, out):
        return xp.cosh(a)

    def derivative_graph(self, a, out):
        return a.cosh()


class Cosh(_Unary):
    __slots__ = ()
    fn = staticmethod(xp.cosh)

    def derivative(self, a, out):
        return xp.sinh(a)

    def derivative_graph(self, a, out):
        return a.sinh()


class Asinh(_Unary):
    __slots__ = ()
    fn = staticmethod(xp.arcsinh)

    def derivative(self, a, out):
        return 1 / xp.sqrt(a * a + 1)

    def derivative_graph(self, a, out):
        return 1 / (a * a + 1).sqrt()


class Acosh(_Unary):
    __slots__ = ()
    fn = staticmethod(xp.arccosh)

    def derivative(self, a, out):
        return 1 / xp.sqrt(a * a - 1)

    def derivative_graph(self, a, out):
        return 1 / (a * a - 1).sqrt()


class Atanh(_Unary):
    __slots__ = ()
    fn = staticmethod(xp.arctanh)

    def derivative(self, a, out):
        return 1 / (1 - a * a)

    derivative_graph = derivative  # operators only: the same on Tensors
