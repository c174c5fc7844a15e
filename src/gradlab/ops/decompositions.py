"""Matrix decompositions and solvers with PyTorch's backward formulas: svd, eigh, qr,
cholesky, pinv, slogdet, solve (and eig, forward only). Batched over leading dimensions.

Each decomposition is one graph node with several outputs (a context-style Function, so
the engine hands its backward one gradient per output, or None for an output no loss used).
The formulas are PyTorch's (``torch/csrc/autograd/FunctionsManual.cpp``), written on arrays:

* svd (A = U diag(S) Vh): with E_ij = S_j^2 - S_i^2, skew(X) = X - X^T,
  gA = U [(skew(U^T gU) S + S skew(Vh gVh^T)) / E + diag(gS)] Vh, plus the terms for the
  columns of U (rows of Vh) outside the square part. Only gS: gA = U diag(gS) Vh.
  ``full_matrices=True`` drops the extra columns of U and rows of Vh first.
* eigh (A = V diag(L) V^T): gA = V [skew(V^T gV)/2 / E + diag(gL)] V^T, E_ij = L_j - L_i.
* qr, cholesky, pinv: see each class.

Singular vectors and eigenvectors are defined up to sign, so only losses that do not depend
on the signs (gauge-invariant ones) have a gradient; repeated singular values or eigenvalues
make E zero and the gradient of the vectors infinite, as in PyTorch.
"""

from __future__ import annotations

from gradlab.autograd_function import Function as CtxFunction
from gradlab.backend import array_module
from gradlab.tensor import Tensor

__all__ = ["svd", "eigh", "qr", "cholesky", "pinv", "slogdet", "solve", "eig"]


def _t(x):
    return x.swapaxes(-1, -2)


def _diag_embed(xp, v):
    out = xp.zeros(v.shape + v.shape[-1:], v.dtype)
    idx = xp.arange(v.shape[-1])
    out[..., idx, idx] = v
    return out


def _with_ones_on_diagonal(xp, e):
    idx = xp.arange(e.shape[-1])
    e[..., idx, idx] = 1
    return e


def _solve_right(xp, a, b):
    """X with X a = b."""
    return _t(xp.linalg.solve(_t(a), _t(b)))


# ---------------------------------------------------------------------- svd


def svd_backward(xp, gU, gS, gVh, U, S, Vh):
    """PyTorch's svd_backward (real case) on reduced U (m, k), S (k,), Vh (k, n)."""
    m, n = U.shape[-2], Vh.shape[-1]
    if gU is None and gVh is None:
        if gS is None:
            return None
        return U @ (gS[..., :, None] * Vh) if m >= n else (U * gS[..., None, :]) @ Vh
    S2 = S * S
    E = _with_ones_on_diagonal(xp, S2[..., None, :] - S2[..., :, None])
    UhgU = None if gU is None else _t(U) @ gU
    VhgV = None if gVh is None else Vh @ _t(gVh)
    if UhgU is not None:
        UhgU = UhgU - _t(UhgU)
    if VhgV is not None:
        VhgV = VhgV - _t(VhgV)
    if UhgU is not None and VhgV is not None:
        gA = (UhgU * S[..., None, :] + S[..., :, None] * VhgV) / E
    elif VhgV is None:
        gA = UhgU * S[..., None, :] / E
    else:
        gA = S[..., :, None] * VhgV / E
    if gS is not None:
        gA = gA + _diag_embed(xp, gS)
    if m > n and gU is not None:
        gA = U @ gA
        gUSinv = gU / S[..., None, :]
        gA = gA + gUSinv - U @ (_t(U) @ gUSinv)
        return gA @ Vh
    if m < n and gVh is not None:
        gA = gA @ Vh
        SinvgVh = gVh / S[..., :, None]
        gA = gA + SinvgVh - (SinvgVh @ _t(Vh)) @ Vh
        return U @ gA
    return U @ (gA @ Vh) if m >= n else (U @ gA) @ Vh


class LinalgSvd(CtxFunction):
    @staticmethod
    def forward(ctx, A, full_matrices):
        a = A._data
        xp = array_module(a)
        U, S, Vh = xp.linalg.svd(a, full_matrices=full_matrices)
        ctx.set_materialize_grads(False)
        ctx.full_matrices = full_matrices
        ctx.arrays = (U, S, Vh)
        return Tensor(U), Tensor(S), Tensor(Vh)

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        U, S, Vh = ctx.arrays
        xp = array_module(S)
        gU, gS, gVh = (None if g is None else g._data for g in (gU, gS, gVh))
        if ctx.full_matrices:
            k = S.shape[-1]
            U, Vh = U[..., :k], Vh[..., :k, :]
            gU = None if gU is None else gU[..., :k]
            gVh = None if gVh is None else gVh[..., :k, :]
        return svd_backward(xp, gU, gS, gVh, U, S, Vh), None


def svd(A, full_matrices=True):
    """(U, S, Vh) with A = U diag(S) Vh; the gradient of full_matrices=True ignores the
    columns of U (rows of Vh) beyond min(m, n), as PyTorch's."""
    return LinalgSvd.apply(A, full_matrices)


# ---------------------------------------------------------------------- eigh


class LinalgEigh(CtxFunction):
    @staticmethod
    def forward(ctx, A, UPLO):  # noqa: N803
        a = A._data
        xp = array_module(a)
        L, V = xp.linalg.eigh(a, UPLO=UPLO)
        ctx.set_materialize_grads(False)
        ctx.arrays = (L, V)
        return Tensor(L), Tensor(V)

    @staticmethod
    def backward(ctx, gL, gV):
        L, V = ctx.arrays
        xp = array_module(L)
        gL, gV = (None if g is None else g._data for g in (gL, gV))
        if gV is None:
            if gL is None:
                return None, None
            return (V * gL[..., None, :]) @ _t(V), None
        VhgV = _t(V) @ gV
        VhgV = (VhgV - _t(VhgV)) * 0.5
        E = _with_ones_on_diagonal(xp, L[..., None, :] - L[..., :, None])
        gA = VhgV / E
        idx = xp.arange(L.shape[-1])
        gA[..., idx, idx] = 0 if gL is None else gL
        return V @ (gA @ _t(V)), None


def eigh(A, UPLO="L"):  # noqa: N803
    """(eigenvalues ascending, eigenvectors as columns) of symmetric A (its UPLO triangle)."""
    return LinalgEigh.apply(A, UPLO)


# ---------------------------------------------------------------------- qr


class LinalgQr(CtxFunction):
    """A = Q R. Backward (m >= n): gA = [gQ + Q copyltu(M)] R^-T with M = R gR^T - gQ^T Q
    (PyTorch's); wide A: through the square left block of R."""

    @staticmethod
    def forward(ctx, A, mode):
        a = A._data
        xp = array_module(a)
        if mode == "r":
            R = xp.linalg.qr(a, mode="r")
            Q = xp.zeros((0,), a.dtype)
        else:
            Q, R = xp.linalg.qr(a, mode=mode)
        ctx.set_materialize_grads(False)
        ctx.mode = mode
        ctx.arrays = (Q, R)
        return Tensor(Q), Tensor(R)

    @staticmethod
    def backward(ctx, gQ, gR):
        Q, R = ctx.arrays
        if ctx.mode == "r":
            raise RuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when "
                "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                "differentiate through linalg.qr."
            )
        m, n = Q.shape[-2], R.shape[-1]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError(
                "The QR decomposition is not differentiable when mode='complete' and nrows > ncols."
            )
        xp = array_module(R)
        gQ, gR = (None if g is None else g._data for g in (gQ, gR))
        if gQ is None and gR is None:
            return None, None
        if gQ is None:
            gA = gR @ _t(R)
        elif gR is None:
            gA = -(_t(Q) @ gQ)
        else:
            gA = gR @ _t(R) - _t(Q) @ gQ
        if m >= n:
            upper = xp.triu(gA)
            sym = upper + _t(xp.triu(gA, 1))
            gA = Q @ sym
            if gQ is not None:
                gA = gA + gQ
            return _solve_right(xp, _t(R), gA), None
        X = -gA
        skew = xp.tril(X - _t(X))
        gA = _solve_right(xp, _t(R[..., :m]), Q @ skew)
        gA = xp.concatenate([gA, xp.zeros(gA.shape[:-1] + (n - m,), gA.dtype)], axis=-1)
        if gR is not None:
            gA = gA + Q @ gR
        return gA, None


def qr(A, mode="reduced"):
    return LinalgQr.apply(A, mode)


# ---------------------------------------------------------------------- cholesky


class LinalgCholesky(CtxFunction):
    """A = L L^T. Backward (Murray 2016, PyTorch's): Phi = tril(L^T gL) with its diagonal
    halved, symmetrised; gA = L^-T Phi L^-1."""

    @staticmethod
    def forward(ctx, A, upper):
        a = A._data
        xp = array_module(a)
        try:
            L = xp.linalg.cholesky(a)
        except xp.linalg.LinAlgError:
            raise RuntimeError(_not_positive_definite(xp, a)) from None
        ctx.upper = upper
        ctx.arrays = (L,)
        return Tensor(_t(L).copy() if upper else L)

    @staticmethod
    def backward(ctx, gL):
        (L,) = ctx.arrays
        xp = array_module(L)
        gL = gL._data
        if ctx.upper:
            gL = _t(gL)
        gA = xp.tril(_t(L) @ gL)
        gA = 0.5 * (gA + _t(xp.tril(gA, -1)))
        gA = xp.linalg.solve(_t(L), gA)
        return _solve_right(xp, L, gA), None


def _not_positive_definite(xp, a) -> str:
    order = "?"
    for k in range(1, a.shape[-1] + 1):  # the first leading minor that fails, as LAPACK says
        try:
            xp.linalg.cholesky(a[..., :k, :k])
        except xp.linalg.LinAlgError:
            order = k
            break
    return (
        f"linalg.cholesky: The factorization could not be completed because the input is not "
        f"positive-definite (the leading minor of order {order} is not positive-definite)."
    )


def cholesky(A, upper=False):
    return LinalgCholesky.apply(A, upper)


# ---------------------------------------------------------------------- pinv


class LinalgPinv(CtxFunction):
    """The pseudo-inverse, singular values below ``max(atol, rtol * S_max)`` dropped.
    Backward: PyTorch's pinv_backward (Golub and Pereyra's formula)."""

    @staticmethod
    def forward(ctx, A, atol, rtol, hermitian):
        a = A._data
        xp = array_module(a)
        if hermitian:
            L, V = xp.linalg.eigh(a)
            S, U, Vh = xp.abs(L), V * xp.sign(L)[..., None, :], _t(V)
        else:
            U, S, Vh = xp.linalg.svd(a, full_matrices=False)
        cut = _cutoff(xp, S, a.shape, atol, rtol)
        keep = cut[..., None] < S
        with xp.errstate(divide="ignore"):
            inv_s = xp.where(keep, 1 / xp.where(keep, S, 1), 0).astype(a.dtype)
        P = _t(Vh) @ (inv_s[..., :, None] * _t(U))
        ctx.arrays = (a, P)
        return Tensor(P)

    @staticmethod
    def backward(ctx, grad):
        A, P = ctx.arrays
        g = grad._data
        m, n = A.shape[-2], A.shape[-1]
        Ph, gh = _t(P), _t(g)
        if m <= n:
            K = gh @ P
            KPh = K @ Ph
            out = -_t(P @ K) + KPh - (A @ P) @ KPh + (Ph @ P) @ (gh - K @ A)
        else:
            K = P @ gh
            PhK = Ph @ K
            out = -_t(K @ P) + (gh - A @ K) @ P @ Ph + PhK - PhK @ P @ A
        return out, None, None, None


def _cutoff(xp, S, shape, atol, rtol):
    """PyTorch's tolerance: max(atol, rtol * largest singular value); rtol defaults to
    eps * max(m, n) when neither is given, to 0 when only atol is."""
    eps = xp.finfo(S.dtype).eps
    if rtol is None:
        rtol = eps * max(shape[-2], shape[-1]) if atol is None or atol <= 0 else 0.0
    atol = 0.0 if atol is None else atol
    top = S.max(axis=-1) if S.shape[-1] else xp.zeros(S.shape[:-1], S.dtype)
    return xp.maximum(xp.asarray(atol, S.dtype), rtol * top)


def pinv(A, atol=None, rtol=None, hermitian=False):
    return LinalgPinv.apply(A, atol, rtol, hermitian)


def matrix_rank_array(a, atol=None, rtol=None, hermitian=False):
    xp = array_module(a)
    S = xp.abs(xp.linalg.eigvalsh(a)) if hermitian else xp.linalg.svd(a, compute_uv=False)
    return (_cutoff(xp, S, a.shape, atol, rtol)[..., None] < S).sum(axis=-1).astype(xp.int64)


# ---------------------------------------------------------------------- slogdet, solve


class LinalgSlogdet(CtxFunction):
    """(sign, log|det A|); the gradient of log|det A| is A^-T (sign has none)."""

    @staticmethod
    def forward(ctx, A):
        a = A._data
        xp = array_module(a)
        sign, logabs = xp.linalg.slogdet(a)
        ctx.set_materialize_grads(False)
        ctx.arrays = (a,)
        ctx.mark_non_differentiable(sign_t := Tensor(xp.asarray(sign)))
        return sign_t, Tensor(xp.asarray(logabs))

    @staticmethod
    def backward(ctx, g_sign, g_logabs):
        (a,) = ctx.arrays
        if g_logabs is None:
            return None
        xp = array_module(a)
        return g_logabs._data[..., None, None] * _t(xp.linalg.inv(a))


def slogdet(A):
    return LinalgSlogdet.apply(A)


class LinalgSolve(CtxFunction):
    """X with A X = B (B batches of matrices here). gB = A^-T gX, gA = -gB X^T."""

    @staticmethod
    def forward(ctx, A, B):
        a, b = A._data, B._data
        xp = array_module(a)
        try:
            x = xp.linalg.solve(a, b)
        except xp.linalg.LinAlgError:
            raise RuntimeError(
                "torch.linalg.solve: The solver failed because the input matrix is singular."
            ) from None
        ctx.arrays = (a, x)
        return Tensor(x)

    @staticmethod
    def backward(ctx, gX):
        a, x = ctx.arrays
        xp = array_module(a)
        gB = xp.linalg.solve(_t(a), gX._data)
        return -(gB @ _t(x)), gB


def solve(A, B):
    return LinalgSolve.apply(A, B)


# ---------------------------------------------------------------------- eig


class LinalgEig(CtxFunction):
    """Eigenvalues and eigenvectors of a general matrix, complex as PyTorch's. gradlab's
    autograd is real-only, so these have no gradient: backward raises."""

    @staticmethod
    def forward(ctx, A):
        a = A._data
        xp = array_module(a)
        complex_dtype = xp.complex64 if a.dtype == xp.float32 else xp.complex128
        L, V = xp.linalg.eig(a)
        return Tensor(L.astype(complex_dtype)), Tensor(V.astype(complex_dtype))

    @staticmethod
    def backward(ctx, gL, gV):
        raise NotImplementedError(
            "linalg.eig/eigvals: the gradient is not implemented in gradlab (its autograd has "
            "no complex numbers); for a symmetric matrix use linalg.eigh/eigvalsh, which are "
            "differentiable"
        )


def eig(A):
    return LinalgEig.apply(A)
