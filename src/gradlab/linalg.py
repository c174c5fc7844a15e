"""``gradlab.linalg``: PyTorch's ``torch.linalg`` for real float tensors, batched over leading
dimensions, differentiable with PyTorch's backward formulas.

Decompositions: svd, svdvals, qr, eigh, eigvalsh, cholesky (and their primitives in
``gradlab.ops.decompositions``); eig and eigvals compute complex eigenvalues and eigenvectors
as PyTorch does but have no gradient (gradlab's autograd is real-only: backward through them
raises and points to eigh). Solvers and functions: inv, det, slogdet, solve, lstsq, pinv,
matrix_rank, matrix_power, cross, matrix_norm (fro, nuc, 1, -1, 2, -2, inf, -inf),
vector_norm, norm, matmul, multi_dot, vecdot, diagonal. The ``_ex`` variants return an
``info`` of zeros (gradlab raises on failure instead of reporting it unless
``check_errors=False`` is asked for, as below).
"""

from __future__ import annotations

import math

from gradlab.ops import decompositions as _dec
from gradlab.ops import linalg as _linalg
from gradlab.ops import movement as _movement
from gradlab.ops import numeric as _numeric
from gradlab.ops import products as _products
from gradlab.ops import shape as _shape
from gradlab.ops import statistics as _statistics
from gradlab.ops.protocols import return_type
from gradlab.tensor import Tensor

__all__ = [
    "vector_norm", "matrix_norm", "norm", "det", "slogdet", "inv", "inv_ex", "solve",
    "solve_ex", "matrix_power", "cross", "matmul", "multi_dot", "vecdot", "diagonal", "svd",
    "svdvals", "qr", "eigh", "eigvalsh", "eig", "eigvals", "cholesky", "cholesky_ex", "lstsq",
    "pinv", "matrix_rank",
]  # fmt: skip

SVD = return_type("linalg_svd", ["U", "S", "Vh"])
QR = return_type("linalg_qr", ["Q", "R"])
Eigh = return_type("linalg_eigh", ["eigenvalues", "eigenvectors"])
Eig = return_type("linalg_eig", ["eigenvalues", "eigenvectors"])
Slogdet = return_type("linalg_slogdet", ["sign", "logabsdet"])
Lstsq = return_type("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])
CholeskyEx = return_type("linalg_cholesky_ex", ["L", "info"])
InvEx = return_type("linalg_inv_ex", ["inverse", "info"])
SolveEx = return_type("linalg_solve_ex", ["result", "info"])


def _matrices(op: str, A, square: bool = False) -> None:  # noqa: N803
    """PyTorch's checks: a float tensor of at least 2 dims (square when asked)."""
    if not isinstance(A, Tensor):
        raise TypeError(f"linalg.{op}(): argument 'A' must be Tensor, not {type(A).__name__}")
    if A.ndim < 2:
        raise RuntimeError(f"linalg.{op}: The input tensor A must have at least 2 dimensions.")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"linalg.{op}: A must be batches of square matrices, but they are "
            f"{A.shape[-2]} by {A.shape[-1]} matrices"
        )
    if A._data.dtype.kind not in "f":
        raise RuntimeError(f"linalg.{op}: Expected a floating point tensor as input. Got {A.dtype}")


# ---------------------------------------------------------------------- decompositions


def svd(A, full_matrices=True, *, driver=None):  # noqa: N803
    """(U, S, Vh) with A = U diag(S) Vh; U (..., m, m or k), S (..., k), Vh (..., n or k, n),
    k = min(m, n). The signs of the singular vectors are LAPACK's (they may differ from
    PyTorch's); losses that do not depend on them get PyTorch's gradient."""
    _matrices("svd", A)
    return SVD(*_dec.svd(A, full_matrices))


def svdvals(A, *, driver=None):  # noqa: N803
    """The singular values (..., k), descending; gradient U diag(gS) Vh."""
    _matrices("svdvals", A)
    return _dec.svd(A, False)[1]


def qr(A, mode="reduced"):  # noqa: N803
    """(Q, R) with A = Q R; mode 'reduced' (Q (..., m, k)), 'complete' (Q (..., m, m)) or
    'r' (Q empty, R only; not differentiable, as PyTorch)."""
    _matrices("qr", A)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
            f"'r', or 'complete'"
        )
    return QR(*_dec.qr(A, mode))


def eigh(A, UPLO="L"):  # noqa: N803
    """(eigenvalues ascending (..., n), eigenvectors as columns (..., n, n)) of the symmetric
    matrix in A's UPLO triangle. The gradient is PyTorch's (symmetric in A)."""
    _matrices("eigh", A, square=True)
    _uplo("eigh", UPLO)
    return Eigh(*_dec.eigh(A, UPLO))


def eigvalsh(A, UPLO="L"):  # noqa: N803
    _matrices("eigvalsh", A, square=True)
    _uplo("eigvalsh", UPLO)
    return _dec.eigh(A, UPLO)[0]


def _uplo(op, UPLO):  # noqa: N803
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"linalg.{op}: Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


def eig(A):  # noqa: N803
    """Complex (eigenvalues, eigenvectors) of a general square matrix (complex64 for float32,
    complex128 for float64), as PyTorch. No gradient in gradlab: use eigh for symmetric A."""
    _matrices("eig", A, square=True)
    return Eig(*_dec.eig(A))


def eigvals(A):  # noqa: N803
    _matrices("eigvals", A, square=True)
    return _dec.eig(A)[0]


def cholesky(A, *, upper=False):  # noqa: N803
    """L lower triangular with A = L L^T (U = L^T with upper=True); a RuntimeError names
    the leading minor that is not positive-definite."""
    _matrices("cholesky", A, square=True)
    return _dec.cholesky(A, upper)


def cholesky_ex(A, *, upper=False, check_errors=False):  # noqa: N803
    _matrices("cholesky", A, square=True)
    return CholeskyEx(_dec.cholesky(A, upper), _info(A))


def _info(A):  # noqa: N803
    from gradlab.creation import zeros

    return zeros(A.shape[:-2], dtype="int32")


# ---------------------------------------------------------------------- solvers


def inv(A):  # noqa: N803
    _matrices("inv", A, square=True)
    return _numeric.inverse(A)


def inv_ex(A, *, check_errors=False):  # noqa: N803
    return InvEx(inv(A), _info(A))


def det(A):  # noqa: N803
    _matrices("det", A, square=True)
    return _numeric.det(A)


def slogdet(A):  # noqa: N803
    """(sign, log|det A|), from an LU factorisation (no overflow for large matrices)."""
    _matrices("slogdet", A, square=True)
    return Slogdet(*_dec.slogdet(A))


def solve(A, B, *, left=True):  # noqa: N803
    """X with A X = B (left) or X A = B. B may be a batch of vectors (B.ndim == A.ndim - 1)
    or of matrices; batch dimensions broadcast."""
    _matrices("solve", A, square=True)
    if not left:
        return _movement.transpose(solve(_movement.transpose(A, -1, -2), _mT(B)), -1, -2)
    vector = B.ndim == A.ndim - 1 or B.ndim == 1
    if vector:
        B = _movement.unsqueeze(B, -1)
    if B.shape[-2] != A.shape[-1]:
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
            f"({A.shape[-2]}x{A.shape[-1]} and {B.shape[-2]}x{B.shape[-1]})"
        )
    batch = _broadcast(A.shape[:-2], B.shape[:-2])
    A = _movement.expand(A, batch + A.shape[-2:]) if A.shape[:-2] != batch else A
    B = _movement.expand(B, batch + B.shape[-2:]) if B.shape[:-2] != batch else B
    X = _dec.solve(A, B)
    return _movement.squeeze(X, -1) if vector else X


def solve_ex(A, B, *, left=True, check_errors=False):  # noqa: N803
    return SolveEx(solve(A, B, left=left), _info(A))


def _mT(x):  # noqa: N802
    return _movement.transpose(x, -1, -2)


def _broadcast(a: tuple, b: tuple) -> tuple:
    import numpy as np

    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        raise RuntimeError(f"linalg: the batch dimensions {a} and {b} do not broadcast") from None


def pinv(A, *, atol=None, rtol=None, hermitian=False):  # noqa: N803
    """The Moore-Penrose pseudo-inverse (..., n, m); singular values at or below
    max(atol, rtol * largest) count as zero (rtol = eps * max(m, n) by default)."""
    _matrices("pinv", A)
    return _dec.pinv(A, _number(atol), _number(rtol), hermitian)


def _number(x):
    return x.item() if isinstance(x, Tensor) else x


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False):  # noqa: N803
    """How many singular values are above max(atol, rtol * largest); int64 (...)."""
    _matrices("matrix_rank", A)
    return Tensor(_dec.matrix_rank_array(A._data, _number(atol), _number(rtol), hermitian))


def lstsq(A, B, rcond=None, *, driver=None):  # noqa: N803
    """(solution, residuals, rank, singular_values) of min ||A X - B||, as PyTorch on the
    CPU: the solution is pinv(A) B (differentiable in A and B); ``rank`` for drivers other
    than 'gels', ``singular_values`` for 'gelsd' and 'gelss', ``residuals`` (the squared
    column norms of A X - B) for those when m > n and A has full rank; empty otherwise."""
    _matrices("lstsq", A)
    if driver not in (None, "gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(
            f"torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, "
            f"gelss), but got {driver}"
        )
    driver = driver or "gelsy"
    vector = B.ndim == A.ndim - 1
    Bm = _movement.unsqueeze(B, -1) if vector else B
    if Bm.shape[-2] != A.shape[-2]:
        raise RuntimeError(
            f"torch.linalg.lstsq: input.size(-2) should match other.size(-2), got "
            f"{A.shape[-2]} and {Bm.shape[-2]}"
        )
    m, n = A.shape[-2], A.shape[-1]
    rtol = rcond if rcond is not None and rcond > 0 else None
    X = matmul(_dec.pinv(A, None, rtol, False), Bm)
    from gradlab.creation import zeros

    empty = zeros((0,), dtype=A._data.dtype)
    rank = zeros((0,), dtype="int64")
    if driver != "gels":
        rank = Tensor(_dec.matrix_rank_array(A._data, None, rtol))
    singular = empty
    if driver in ("gelsd", "gelss"):
        singular = Tensor(_dec.svd(A.detach(), False)[1]._data)
    residuals = empty
    full_rank = driver == "gels" or bool((rank._data == n).all())
    if driver != "gelsy" and m > n and full_rank:
        residuals = ((matmul(A, X) - Bm) ** 2).sum(-2)
        if vector:
            residuals = _movement.squeeze(residuals, -1)
    return Lstsq(_movement.squeeze(X, -1) if vector else X, residuals, rank, singular)


# ---------------------------------------------------------------------- norms


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """The ord-norm of x as a vector (over ``dim``, or every entry)."""
    return _statistics.norm(x, float(ord), dim=dim, keepdim=keepdim, dtype=dtype)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):  # noqa: N803, A002
    """'fro', 'nuc', 1, -1, 2, -2, inf and -inf norms of the matrices in A's ``dim``."""
    if dtype is not None:
        A = A.to(dtype)
    if A.ndim < 2:
        raise RuntimeError(
            "linalg.matrix_norm: The input tensor A must have at least 2 dimensions."
        )
    rows, cols = (d % A.ndim for d in dim)
    if rows == cols:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({rows}, {cols})")
    if ord == "fro":
        return _statistics.norm(A, 2.0, dim=(rows, cols), keepdim=keepdim)
    if ord in ("nuc", 2, -2):
        moved = _movement.permute(
            A, [d for d in range(A.ndim) if d not in (rows, cols)] + [rows, cols]
        )
        s = svdvals(moved)
        out = s.sum(-1) if ord == "nuc" else s.amax(-1) if ord == 2 else s.amin(-1)
        if keepdim:
            for d in sorted((rows, cols)):
                out = _movement.unsqueeze(out, d)
        return out
    if ord in (1, -1, math.inf, -math.inf):
        summed_dim = rows if ord in (1, -1) else cols
        sums = A.abs().sum(summed_dim, keepdim=True)
        picked = (
            sums.amax((rows, cols), keepdim=True)
            if ord > 0
            else sums.amin((rows, cols), keepdim=True)
        )
        return picked if keepdim else _movement.squeeze(picked, tuple(sorted((rows, cols))))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):  # noqa: N803, A002
    """vector_norm for ord None (over everything or ``dim``) or a 1-D ``dim``/input;
    matrix_norm for a 2-D ``dim`` or 2-D input with an ord."""
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        if dim is not None and len(dim) == 2:
            return matrix_norm(A, "fro", dim, keepdim, dtype=dtype)
        return _statistics.norm(A, 2.0, dim=dim, keepdim=keepdim, dtype=dtype)
    if dim is not None and len(dim) == 1 or dim is None and A.ndim == 1:
        return vector_norm(A, ord, dim, keepdim, dtype=dtype)
    if dim is None and A.ndim != 2:
        raise RuntimeError(
            f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
            f"Got {A.ndim}D."
        )
    return matrix_norm(A, ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)


# ---------------------------------------------------------------------- products


matrix_power = _numeric.matrix_power
matmul = _linalg.matmul
diagonal = _shape.diagonal


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


def __getattr__(name):
    # Only names not defined above get here: a PyTorch name says it is not implemented.
    from gradlab.missing import missing

    raise missing("gradlab.linalg", name)
