"""``gradlab.special``: PyTorch's ``torch.special`` functions for real float tensors, built on
the catalogue's differentiable ops."""

from __future__ import annotations

import math as _math

from gradlab.ops import activation as _activation
from gradlab.ops import binary as _binary
from gradlab.ops import math as _m
from gradlab.ops import statistics as _statistics
from gradlab.ops.softmax import log_softmax as _log_softmax
from gradlab.ops.softmax import softmax as _softmax

__all__ = [
    "erf", "erfc", "erfinv", "expit", "logit", "gammaln", "digamma", "psi", "xlogy", "log1p",
    "expm1", "exp2", "sinc", "round", "logsumexp", "softmax", "log_softmax", "ndtr", "ndtri",
    "log_ndtr", "entr", "xlog1py",
]  # fmt: skip

erf, erfc, erfinv = _m.erf, _m.erfc, _m.erfinv
expit = _activation.sigmoid
logit = _m.logit
gammaln = _m.lgamma
digamma = psi = _m.digamma
xlogy = _binary.xlogy
log1p, expm1, exp2, sinc, round = _m.log1p, _m.expm1, _m.exp2, _m.sinc, _m.round  # noqa: A001
logsumexp = _statistics.logsumexp


def softmax(input, dim, *, dtype=None):  # noqa: A002
    return _softmax(input if dtype is None else input.to(dtype), dim)


def log_softmax(input, dim, *, dtype=None):  # noqa: A002
    return _log_softmax(input if dtype is None else input.to(dtype), dim)


def ndtr(input):  # noqa: A002
    """The standard normal CDF."""
    x = _m.floating(input)
    return (erf(x * (1 / _math.sqrt(2))) + 1) * 0.5


def ndtri(input):  # noqa: A002
    """The inverse of the standard normal CDF."""
    p = _m.floating(input)
    return erfinv(p * 2 - 1) * _math.sqrt(2)


def log_ndtr(input):  # noqa: A002
    """log of the standard normal CDF (through erfc, accurate in the left tail)."""
    x = _m.floating(input)
    return (erfc(-x * (1 / _math.sqrt(2))) * 0.5).log()


def entr(input):  # noqa: A002
    """-x log x (0 at 0, -inf for x < 0)."""
    x = _m.floating(input)
    body = -_binary.xlogy(x, x)
    return body.masked_fill(x < 0, float("-inf"))


def xlog1py(input, other):  # noqa: A002
    """input * log1p(other), 0 where input is 0 (xlogy's rule and gradients)."""
    a, b = _binary.operands(input, other, floating=True)
    return _binary.xlogy(a, b + 1)
