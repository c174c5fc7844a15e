"""PyTorch's older top-level spellings of the decompositions, ``torch.svd`` (U, S, V),
``torch.qr``, ``torch.cholesky`` and ``torch.pinverse``, as ``gradlab.svd`` ... and the Tensor
methods of the same names, over :mod:`gradlab.linalg`."""

from __future__ import annotations

import warnings

from gradlab.linalg import _dec, _matrices, _mT, cholesky, pinv, qr, return_type, svdvals
from gradlab.tensor import Tensor

SVDLegacy = return_type("svd", ["U", "S", "V"])
QRLegacy = return_type("qr", ["Q", "R"])


def torch_svd(input, some=True, compute_uv=True):  # noqa: A002
    """``torch.svd``: (U, S, V) with A = U diag(S) V^T (V, not Vh); ``some=False`` gives
    square U and V; ``compute_uv=False`` gives zero U (m, m) and V (n, n) and S alone is
    differentiable."""
    _matrices("svd", input)
    from gradlab.creation import zeros

    if not compute_uv:
        m, n = input.shape[-2], input.shape[-1]
        batch = tuple(input.shape[:-2])
        dtype = input._data.dtype
        return SVDLegacy(
            zeros(batch + (m, m), dtype=dtype), svdvals(input), zeros(batch + (n, n), dtype=dtype)
        )
    U, S, Vh = _dec.svd(input, not some)
    return SVDLegacy(U, S, _mT(Vh))


def torch_qr(input, some=True):  # noqa: A002
    """``torch.qr`` (deprecated in PyTorch, which warns): linalg.qr with 'reduced' or
    'complete'."""
    warnings.warn(
        "torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future "
        "PyTorch release.\nThe boolean parameter 'some' has been replaced with a string "
        "parameter 'mode'.\nQ, R = torch.qr(A, some)\nshould be replaced with\nQ, R = "
        "torch.linalg.qr(A, 'reduced' if some else 'complete')",
        UserWarning,
        stacklevel=2,
    )
    return QRLegacy(*qr(input, "reduced" if some else "complete"))


def torch_cholesky(input, upper=False):  # noqa: A002
    """``torch.cholesky`` (deprecated in PyTorch, which warns): linalg.cholesky."""
    warnings.warn(
        "torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in "
        "a future PyTorch release.\nL = torch.cholesky(A)\nshould be replaced with\nL = "
        "torch.linalg.cholesky(A)\nand\nU = torch.cholesky(A, upper=True)\nshould be replaced "
        "with\nU = torch.linalg.cholesky(A).mH\nThis transform will produce equivalent results "
        "for all valid (symmetric positive definite) inputs.",
        UserWarning,
        stacklevel=2,
    )
    return cholesky(input, upper=upper)


def torch_pinverse(input, rcond=1e-15):  # noqa: A002
    """``torch.pinverse``: linalg.pinv with rtol=rcond."""
    return pinv(input, rtol=rcond)


TORCH_FUNCTIONS = {
    "svd": torch_svd,
    "qr": torch_qr,
    "cholesky": torch_cholesky,
    "pinverse": torch_pinverse,
}
"""Top-level ``gradlab.svd`` ... and the Tensor methods of the same names."""

for _name, _fn in TORCH_FUNCTIONS.items():
    if not hasattr(Tensor, _name):
        setattr(Tensor, _name, _fn)
