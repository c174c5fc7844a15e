"""The readable elementwise pieces of every optimizer's update, one parameter at a time.

An optimizer writes its update for one parameter as an elementwise *kernel*, a function of
same-shaped arrays and scalars, and runs it over all its parameters with
:func:`foreach_elementwise`. The kernels are NumPy ufuncs with ``out=`` (no temporaries beyond
two scratch arrays per parameter). They are the reference: where ``gradlab[fast]`` is
installed, SGD and Adam run one compiled pass per parameter instead
(:mod:`gradlab._fast.optim_kernels`), tested against these.
"""

from __future__ import annotations

from gradlab.backend import xp


def foreach_elementwise(kernel, jobs: list) -> None:
    """Run ``kernel(arrays, *scalars)`` for each ``(arrays, scalars)`` pair in ``jobs``."""
    for arrays, scalars in jobs:
        kernel(arrays, *scalars)


def axpby(alpha: float, x, beta: float, y, scratch) -> None:
    """``y = alpha·x + beta·y`` in place, elementwise; ``x`` and ``y`` have the same shape.

    ``scratch`` (same shape; may be ``x`` itself, which is then overwritten; never ``y``)
    holds ``alpha·x``. Multiplications by exactly 1 are skipped (they change nothing).
    """
    if beta != 1:
        y *= beta
    if alpha == 1:
        y += x
    else:
        xp.multiply(x, alpha, out=scratch)
        y += scratch


def effective_grad(data, grad, weight_decay: float, maximize: bool, out):
    """The gradient after ``maximize`` (negate) and L2 ``weight_decay`` (+ wd·θ), elementwise.

    Returns ``grad`` itself when neither applies (never modified), else ``out``.
    """
    if weight_decay:
        xp.multiply(data, weight_decay, out=out)
        if maximize:
            xp.subtract(out, grad, out=out)
        else:
            xp.add(out, grad, out=out)
        return out
    if maximize:
        return xp.negative(grad, out=out)
    return grad
