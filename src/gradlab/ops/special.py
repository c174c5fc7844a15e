"""Special functions NumPy lacks: erf as a differentiable op (for GELU and ``gradlab.erf``),
and the arrays behind ``gradlab.erfc``, ``erfinv``, ``digamma`` and ``lgamma``'s gradient.

GELU's exact form needs erf, which NumPy lacks: :func:`erf` evaluates Chebyshev interpolants
whose coefficients are computed at import from ``math.erf`` at the Chebyshev nodes (a degree-20
polynomial in x² on |x| <= 3, and exp(x²)·erfc(x) of degree 14 on 3 < |x| <= 6.5; erf is ±1
in float64 beyond). The largest error against ``math.erf`` is below 1e-14 (tested).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.polynomial import chebyshev

from gradlab.autograd import Function
from gradlab.backend import array_module

__all__ = [
    "erf",
    "erf_array",
    "erfc_array",
    "erfinv_array",
    "digamma_array",
    "trigamma_array",
]


_ERF_SPLIT, _ERF_END = 3.0, 6.5


def _chebyshev_power(fn, degree):
    """Power-basis coefficients (highest first) of fn's interpolant at Chebyshev nodes on
    [-1, 1]: near-minimax, and Horner on them is a few in-place passes."""
    coefficients = chebyshev.cheb2poly(chebyshev.chebinterpolate(fn, degree))
    return tuple(float(c) for c in coefficients[::-1])


def _erf_over_x(u):  # erf(a)/a with a² = (u + 1) * SPLIT² / 2, at the nodes u
    a = [math.sqrt((float(v) + 1) * (_ERF_SPLIT**2 / 2)) for v in u]
    return [math.erf(v) / v if v else 2 / math.sqrt(math.pi) for v in a]


def _erfcx(u):  # exp(a²) erfc(a) with a = SPLIT + (u + 1) (END - SPLIT) / 2, at the nodes u
    a = [_ERF_SPLIT + (float(v) + 1) * ((_ERF_END - _ERF_SPLIT) / 2) for v in u]
    return [math.erfc(v) * math.exp(v * v) for v in a]


_ERF_NEAR = {8: _chebyshev_power(_erf_over_x, 20), 4: _chebyshev_power(_erf_over_x, 14)}
_ERF_FAR = {8: _chebyshev_power(_erfcx, 14), 4: _chebyshev_power(_erfcx, 10)}


def _horner(coefficients, u):
    xp = array_module(u)
    out = xp.full_like(u, coefficients[0])
    for c in coefficients[1:]:
        out *= u
        out += c
    return out


def erf_array(a):
    """erf of a floating array, in its dtype (float32 uses lower-degree fits, error < 1e-9)."""
    xp = array_module(a)
    key = 8 if a.dtype.itemsize >= 8 else 4
    magnitude = xp.abs(a)
    near = xp.minimum(magnitude, _ERF_SPLIT)
    u = near * near
    u *= 2 / _ERF_SPLIT**2
    u -= 1
    out = _horner(_ERF_NEAR[key], u)
    out *= xp.clip(a, -_ERF_SPLIT, _ERF_SPLIT)
    far = magnitude > _ERF_SPLIT
    if far.any():
        m = xp.minimum(magnitude[far], _ERF_END)
        tail = _horner(_ERF_FAR[key], (m - _ERF_SPLIT) * (2 / (_ERF_END - _ERF_SPLIT)) - 1)
        tail *= xp.exp(-m * m)
        tail[magnitude[far] > _ERF_END] = 0
        out[far] = xp.sign(a[far]) * (1 - tail)
    return out


class Erf(Function):
    __slots__ = ()

    def forward(self, a):
        self.saved = (a,)
        return erf_array(a)

    def backward(self, grad):
        xp = array_module(grad)
        (a,) = self.saved
        return grad * ((2 / math.sqrt(math.pi)) * xp.exp(-a * a))

    def backward_graph(self, grad):  # the same on Tensors (see gradlab.autograd_graph)
        a = self.inputs[0]
        return grad * ((2 / math.sqrt(math.pi)) * (-a * a).exp())


def erf(input):  # noqa: A002 - PyTorch's name
    """The error function, elementwise (``torch.erf``); differentiable."""
    return Erf.apply(input)


def erfc_array(a):
    """erfc in the dtype of ``a``; from the far-tail fit beyond 3 (no cancellation)."""
    xp = array_module(a)
    out = 1 - erf_array(a)
    far = a > _ERF_SPLIT
    if far.any():
        key = 8 if a.dtype.itemsize >= 8 else 4
        m = xp.minimum(a[far], _ERF_END)
        tail = _horner(_ERF_FAR[key], (m - _ERF_SPLIT) * (2 / (_ERF_END - _ERF_SPLIT)) - 1)
        tail *= xp.exp(-m * m)
        tail[a[far] > _ERF_END] = 0
        out[far] = tail
    return out


def erfinv_array(y):
    """Inverse of erf: Winitzki's approximation refined by Newton steps on erf."""
    xp = array_module(y)
    work = y.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_term = xp.log1p(-work * work)
        k = 0.147
        first = 2 / (math.pi * k) + log_term / 2
        x = xp.sign(work) * xp.sqrt(xp.sqrt(first * first - log_term / k) - first)
        inside = xp.abs(work) < 1
        x = xp.where(inside, x, 0.0)
        for _ in range(4):
            step = (erf_array(x) - work) / ((2 / math.sqrt(math.pi)) * xp.exp(-x * x))
            x = x - xp.where(inside, step, 0.0)
        x = xp.where(xp.abs(work) == 1, xp.sign(work) * np.inf, x)
        x = xp.where(xp.abs(work) > 1, np.nan, x)
    return x.astype(y.dtype)


def digamma_array(a):
    """psi(x): reflection below 0.5, recurrence up to 6, then the asymptotic series."""
    xp = array_module(a)
    x = a.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        reflect = x < 0.5
        pole = reflect & (x == xp.floor(x))
        shift = xp.where(reflect, math.pi / xp.tan(math.pi * x), 0.0)
        z = xp.where(reflect, 1 - x, x)
        acc = xp.zeros_like(z)
        while (z < 6).any():
            small = z < 6
            acc -= xp.where(small, 1 / z, 0.0)
            z = xp.where(small, z + 1, z)
        inv2 = 1 / (z * z)
        series = inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240))))
        out = xp.log(z) - 0.5 / z - series + acc - shift
        out = xp.where(pole, np.nan, out)
    return out.astype(a.dtype)


def trigamma_array(a):
    """psi'(x) by the same recurrence and series (for lgamma's second derivative: digamma)."""
    xp = array_module(a)
    x = a.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        reflect = x < 0.5
        z = xp.where(reflect, 1 - x, x)
        acc = xp.zeros_like(z)
        while (z < 6).any():
            small = z < 6
            acc += xp.where(small, 1 / (z * z), 0.0)
            z = xp.where(small, z + 1, z)
        inv2 = 1 / (z * z)
        series = 1 / z + inv2 / 2 + inv2 / z * (1 / 6 - inv2 * (1 / 30 - inv2 * (1 / 42)))
        out = acc + series
        out = xp.where(reflect, -out + (math.pi / xp.sin(math.pi * x)) ** 2, out)
    return out.astype(a.dtype)
