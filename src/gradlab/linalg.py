"""``gradlab.linalg``: PyTorch's ``torch.linalg`` functions for real float tensors, built on
the catalogue's ops (so differentiable): vector_norm, matrix_norm, norm, det, slogdet, inv,
solve, matrix_power, cross, matmul, multi_dot, vecdot, diagonal.

Decompositions (svd, qr, eig, cholesky, lstsq) are not implemented in gradlab.
"""

from __future__ import annotations

from gradlab.ops import linalg as _linalg
from gradlab.ops import movement as _movement
from gradlab.ops import numeric as _numeric
from gradlab.ops import products as _products
from gradlab.ops import shape as _shape
from gradlab.ops import statistics as _statistics

__all__ = [
    "vector_norm", "matrix_norm", "norm", "det", "slogdet", "inv", "solve", "matrix_power",
    "cross", "matmul", "multi_dot", "vecdot", "diagonal",
]  # fmt: skip


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """The ord-norm of x as a vector (over ``dim``, or every entry)."""
    return _statistics.norm(x, float(ord), dim=dim, keepdim=keepdim, dtype=dtype)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):  # noqa: N803
    """Frobenius ('fro'), 1, -1, inf and -inf norms of the matrices in A's ``dim``."""
    if ord == "fro":
        return _statistics.norm(A, 2.0, dim=dim, keepdim=keepdim, dtype=dtype)
    if ord in (1, -1, float("inf"), float("-inf")):
        rows, cols = (d % A.ndim for d in dim)
        summed_dim = rows if ord in (1, -1) else cols
        sums = A.abs().sum(summed_dim, keepdim=True)
        picked = sums.amax(dim, keepdim=True) if ord > 0 else sums.amin(dim, keepdim=True)
        return picked if keepdim else _movement.squeeze(picked, tuple(sorted((rows, cols))))
    raise NotImplementedError(
        f"linalg.matrix_norm(ord={ord!r}) is not implemented in gradlab ('nuc' and 2 need an SVD)"
    )


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):  # noqa: N803
    """vector_norm for ord None or 1-D dims; matrix_norm for a 2-D ``dim`` or 2-D input."""
    if ord is None:
        return _statistics.norm(A, 2.0, dim=dim, keepdim=keepdim, dtype=dtype)
    if isinstance(dim, int) or (dim is None and A.ndim == 1) or (dim is not None and len(dim) == 1):
        return vector_norm(A, ord, dim, keepdim, dtype=dtype)
    return matrix_norm(A, ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)


det = _numeric.det
slogdet = _numeric.slogdet
inv = _numeric.inverse
matrix_power = _numeric.matrix_power
matmul = _linalg.matmul
diagonal = _shape.diagonal


def solve(A, B, *, left=True):  # noqa: N803
    """X with A X = B (left) or X A = B, through A's inverse (differentiable in both)."""
    inverse = _numeric.inverse(A)
    if left:
        if B.ndim == A.ndim - 1:
            return _movement.squeeze(matmul(inverse, _movement.unsqueeze(B, -1)), -1)
        return matmul(inverse, B)
    return matmul(B, inverse)


def cross(input, other, *, dim=-1):  # noqa: A002
    return _products.cross(input, other, dim=dim)


def multi_dot(tensors):
    """The product of the matrices in order (first and last may be vectors)."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError("multi_dot(): expected at least 2 tensors but got " + str(len(tensors)))
    out = tensors[0]
    for t in tensors[1:]:
        out = matmul(out, t)
    return out


def vecdot(x, y, *, dim=-1):
    """Dot products along dim (real tensors: no conjugation)."""
    return (x * y).sum(dim)
