"""The rest of the float catalogue: searchsorted, bucketize, isin, heaviside, gcd, lcm, ldexp,
nextafter, dist, cov, corrcoef, renorm, sum_to_size, split_with_sizes, the *_scatter ops,
index_put, put, masked_scatter, matrix_power, det, inverse, logdet, slogdet, and the
identities of real tensors (real, conj, resolve_conj, resolve_neg, adjoint).

Composites where they can be (so gradients come from the primitives); det and inverse are
primitives over ``numpy.linalg`` with the textbook gradients.
"""

from __future__ import annotations

import numpy as np

from gradlab.autograd import Function
from gradlab.backend import array_module
from gradlab.ops import elementwise, linalg, movement
from gradlab.ops.binary import operands
from gradlab.ops.indexing import _dim, _index
from gradlab.ops.protocols import return_type
from gradlab.tensor import Tensor

__all__ = [
    "searchsorted", "bucketize", "isin", "heaviside", "gcd", "lcm", "ldexp", "nextafter",
    "dist", "cov", "corrcoef", "renorm", "sum_to_size", "split_with_sizes", "select_scatter",
    "slice_scatter", "diagonal_scatter", "index_put", "put", "masked_scatter", "matrix_power",
    "det", "inverse", "logdet", "slogdet", "real", "conj", "conj_physical", "resolve_conj",
    "resolve_neg", "adjoint", "is_same_size", "is_complex", "is_conj", "is_neg",
]  # fmt: skip

slogdet_result = return_type("slogdet", ["sign", "logabsdet"])


def _array(value, *like):
    """``value``'s array; a number or list as an array on the device of ``like``'s tensors."""
    return value._data if isinstance(value, Tensor) else array_module(*like).asarray(value)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,  # noqa: A002
                 sorter=None):  # fmt: skip
    """Insertion indices of ``input`` into the last dim of ``sorted_sequence``."""
    xp = array_module(sorted_sequence)
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("side and right can't be set to opposites")
        right = side == "right"
    seq = _array(sorted_sequence)
    values = _array(input, sorted_sequence)
    if sorter is not None:
        seq = xp.take_along_axis(seq, _array(sorter), axis=-1)
    kind = "right" if right else "left"
    if seq.ndim == 1:
        out = xp.searchsorted(seq, values, side=kind)
    else:
        if seq.shape[:-1] != values.shape[:-1]:
            raise RuntimeError(
                "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                "dimensions of boundaries tensor and input value tensor must match"
            )
        rows = seq.reshape(-1, seq.shape[-1])
        vals = values.reshape(-1, values.shape[-1])
        out = xp.stack([xp.searchsorted(r, v, side=kind) for r, v in zip(rows, vals)])
        out = out.reshape(values.shape)
    return Tensor(xp.asarray(out, np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, *, out_int32=False, right=False):  # noqa: A002
    """The bucket of each input value among the 1-D ``boundaries``."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    xp = array_module(elements, test_elements)
    a, b = _array(elements, test_elements), _array(test_elements, elements)
    return Tensor(xp.isin(a, b, invert=invert))


def heaviside(input, values):  # noqa: A002
    xp = array_module(input, values)
    a, v = _array(input, values), _array(values, input)
    return Tensor(xp.heaviside(a, v).astype(np.result_type(a, v)))


def gcd(input, other):  # noqa: A002
    xp = array_module(input, other)
    return Tensor(xp.gcd(_array(input, other), _array(other, input)))


def lcm(input, other):  # noqa: A002
    xp = array_module(input, other)
    return Tensor(xp.lcm(_array(input, other), _array(other, input)))


def ldexp(input, other):  # noqa: A002
    """input * 2 ** other (differentiable in input)."""
    a, b = operands(input, other, floating=True)
    return a * elementwise.to_dtype(Tensor(array_module(a, b).exp2(_array(b))), a.dtype)


def nextafter(input, other):  # noqa: A002
    xp = array_module(input)
    return Tensor(xp.nextafter(_array(input), _array(other)))


def dist(input, other, p=2):  # noqa: A002
    """The p-norm of input - other."""
    from gradlab.ops.statistics import norm

    return norm(input - other, p)


def cov(input, *, correction=1, fweights=None, aweights=None):  # noqa: A002
    """Covariance of the rows (variables) of a 2-D input, observations along columns."""
    if input.ndim > 2:
        raise RuntimeError(
            f"cov(): expected input to have two or fewer dimensions but got {input.ndim}"
        )
    x = input if input.ndim == 2 else movement.reshape(input, (1, -1))
    if x.dtype.kind not in "fc":
        x = elementwise.to_dtype(x, "float32")
    weights = None
    for w in (fweights, aweights):
        if w is not None:
            weights = w if weights is None else weights * w
    n = x.shape[1]
    if weights is None:
        mean = x.mean(1, keepdim=True)
        centered = x - mean
        factor = n - correction
        out = linalg.matmul(centered, movement.t(centered)) / factor
    else:
        w = elementwise.to_dtype(weights, x.dtype) if weights.dtype != x.dtype else weights
        total = w.sum()
        mean = (x * w).sum(1, keepdim=True) / total
        centered = x - mean
        if aweights is None or correction == 0:
            factor = total - correction
        else:
            a = elementwise.to_dtype(aweights, x.dtype) if aweights.dtype != x.dtype else aweights
            factor = total - correction * (w * a).sum() / total
        out = linalg.matmul(centered * w, movement.t(centered)) / factor
    return out if input.ndim == 2 else movement.reshape(out, ())


def corrcoef(input):  # noqa: A002
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = c.diagonal().sqrt()
    out = c / movement.reshape(d, (-1, 1)) / movement.reshape(d, (1, -1))
    return out.clamp(-1, 1)


def renorm(input, p, dim, maxnorm):  # noqa: A002
    """Each sub-tensor along dim rescaled to p-norm at most maxnorm."""
    from gradlab.ops.statistics import norm

    dim = _dim("renorm", dim, input.ndim)
    others = tuple(d for d in range(input.ndim) if d != dim)
    norms = norm(input, p, dim=others, keepdim=True)
    over = Tensor(norms._data > maxnorm)
    return input * elementwise.where(over, maxnorm / (norms + 1e-7), 1.0)


def sum_to_size(input, *size):  # noqa: A002
    size = movement._shape_args("sum_to_size", size)
    lead = input.ndim - len(size)
    if lead < 0 or any(s not in (1, t) for s, t in zip(size, input.shape[lead:])):
        raise RuntimeError(
            f"size {{{list(size)}}} is not expandable to size {{{list(input.shape)}}}."
        )
    dims = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(size) if s == 1 and input.shape[lead + i] != 1
    )
    out = input.sum(dims, keepdim=True) if dims else input
    return movement.reshape(out, size)


def split_with_sizes(input, split_sizes, dim=0):  # noqa: A002
    return movement.split(input, list(split_sizes), dim)


def _scatter_into(input, src, key):
    """A copy of input with src at ``key`` (basic indexing), differentiable in both."""
    xp = array_module(input)
    from gradlab.ops.scatter import scatter

    order = xp.arange(input.numel()).reshape(input.shape)[key]
    if not isinstance(src, Tensor):
        src = Tensor(xp.asarray(src, input.dtype))
    if tuple(src.shape) != order.shape:
        raise RuntimeError(
            f"expected src to have a size equal to the slice of self. src size = "
            f"{list(src.shape)}, slice size = {list(order.shape)}"
        )
    flat = movement.reshape(input, -1)
    out = scatter(flat, 0, Tensor(order.reshape(-1)), movement.reshape(src, -1))
    return movement.reshape(out, input.shape)


def select_scatter(input, src, dim, index):  # noqa: A002
    dim = _dim("select_scatter", dim, input.ndim)
    return _scatter_into(input, src, (slice(None),) * dim + (index,))


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):  # noqa: A002
    dim = _dim("slice_scatter", dim, input.ndim)
    return _scatter_into(input, src, (slice(None),) * dim + (slice(start, end, step),))


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):  # noqa: A002
    xp = array_module(input)
    d1, d2 = _dim("diagonal_scatter", dim1, input.ndim), _dim("diagonal_scatter", dim2, input.ndim)
    order = xp.arange(input.numel()).reshape(input.shape)
    positions = xp.diagonal(order, offset, d1, d2)
    flat = movement.reshape(input, -1)
    from gradlab.ops.scatter import scatter

    return movement.reshape(scatter(flat, 0, Tensor(positions.reshape(-1)),
                                    movement.reshape(src, -1)), input.shape)  # fmt: skip


def index_put(input, indices, values, accumulate=False):  # noqa: A002
    """A copy of input with values at the advanced index ``indices`` (a tuple of tensors)."""
    xp = array_module(input)
    key = tuple(_array(i) for i in indices)
    order = xp.arange(input.numel()).reshape(input.shape)[key].reshape(-1)
    flat = movement.reshape(input, -1)
    target_shape = xp.arange(input.numel()).reshape(input.shape)[key].shape
    if not isinstance(values, Tensor):
        values = Tensor(xp.asarray(values, input.dtype))
    spread = (
        movement.reshape(movement.expand(values, *target_shape), -1) if target_shape else values
    )
    from gradlab.ops.scatter import scatter, scatter_add

    if accumulate:
        return movement.reshape(scatter_add(flat, 0, Tensor(order), spread), input.shape)
    return movement.reshape(scatter(flat, 0, Tensor(order), spread), input.shape)


def put(input, index, source, accumulate=False):  # noqa: A002
    flat_index = _index("put", input, index).reshape(-1) % max(input.numel(), 1)
    flat = movement.reshape(input, -1)
    from gradlab.ops.scatter import scatter, scatter_add

    fn = scatter_add if accumulate else scatter
    return movement.reshape(fn(flat, 0, Tensor(flat_index), movement.reshape(source, -1)),
                            input.shape)  # fmt: skip


def masked_scatter(input, mask, source):  # noqa: A002
    """input with the entries of source (in order) where mask is True."""
    xp = array_module(input)
    mask = xp.broadcast_to(_array(mask), input.shape)
    positions = xp.flatnonzero(mask.reshape(-1))
    if source.numel() < positions.size:
        raise RuntimeError(
            "masked_scatter: expected source to have at least as many elements as ones in mask"
        )
    taken = movement.getitem(movement.reshape(source, -1), slice(0, positions.size))
    from gradlab.ops.scatter import scatter

    out = scatter(movement.reshape(input, -1), 0, Tensor(positions), taken)
    return movement.reshape(out, input.shape)


def matrix_power(input, n):  # noqa: A002
    """input @ input @ ... (n times); n = 0 gives identities, n < 0 the inverse's power."""
    xp = array_module(input)
    if input.ndim < 2 or input.shape[-1] != input.shape[-2]:
        raise RuntimeError("linalg.matrix_power: A must be batches of square matrices")
    if n == 0:
        eye = xp.broadcast_to(xp.eye(input.shape[-1], dtype=input.dtype), input.shape)
        return Tensor(eye.copy())
    base = input if n > 0 else inverse(input)
    out = base
    for _ in range(abs(n) - 1):
        out = linalg.matmul(out, base)
    return out


class Det(Function):
    __slots__ = ()

    def forward(self, a):
        xp = array_module(a)
        out = xp.linalg.det(a)
        self.saved = (a, out)
        return out

    def backward(self, grad):
        xp = array_module(grad)
        a, out = self.saved
        # d det(A) = det(A) A^-T, through the adjugate so that singular matrices work too
        u, s, vt = xp.linalg.svd(a)
        cofactor = _adjugate_t(u, s, vt)
        return grad[..., None, None] * cofactor

    def backward_graph(self, grad):  # recorded (see gradlab.autograd_graph): det(A) A^-T
        xp = array_module(grad)
        from gradlab.autograd_graph import NoGraphBackward

        a_array, out = self.saved
        if not xp.all(out != 0):  # singular: the adjugate has no recorded form here
            raise NoGraphBackward
        a = self.inputs[0]
        inverse_t = Inverse.apply(a).transpose(-1, -2)
        return (grad * self.output()).unsqueeze(-1).unsqueeze(-1) * inverse_t


def _adjugate_t(u, s, vt):
    """det(A) A^-T for any square A (the cofactor matrix), from A = U S V^T."""
    xp = array_module(u)
    n = s.shape[-1]
    products = xp.ones(s.shape, s.dtype)
    for i in range(n):
        others = xp.delete(s, i, axis=-1)
        products[..., i] = others.prod(axis=-1)
    sign = xp.linalg.det(u) * xp.linalg.det(vt)
    return (u * (products * sign[..., None])[..., None, :]) @ vt


class Inverse(Function):
    __slots__ = ()

    def forward(self, a):
        xp = array_module(a)
        out = xp.linalg.inv(a)
        self.saved = (out,)
        return out

    def backward(self, grad):
        xp = array_module(grad)
        (inv,) = self.saved
        inv_t = xp.swapaxes(inv, -1, -2)
        return -(inv_t @ grad @ inv_t)

    def backward_graph(self, grad):
        inv_t = self.output().transpose(-1, -2)
        return -(inv_t @ grad @ inv_t)


def _square(op, input):
    if input.ndim < 2 or input.shape[-1] != input.shape[-2]:
        raise RuntimeError(f"linalg.{op}: A must be batches of square matrices, but they are "
                           f"{input.shape[-2] if input.ndim >= 2 else 1} by "
                           f"{input.shape[-1] if input.ndim else 1} matrices")  # fmt: skip
    if input.dtype.kind not in "fc":
        raise RuntimeError(f"linalg.{op}: Expected a floating point or complex tensor as input")


def det(input):  # noqa: A002
    _square("det", input)
    return Det.apply(input)


def inverse(input):  # noqa: A002
    xp = array_module(input)
    _square("inv", input)
    try:
        return Inverse.apply(input)
    except xp.linalg.LinAlgError:
        raise RuntimeError(
            "linalg.inv: The diagonal element 1 is zero, the inversion could not be completed "
            "because the input matrix is singular."
        ) from None


def slogdet(input):  # noqa: A002
    """(sign, log|det|) as PyTorch's, differentiable in log|det|."""
    _square("slogdet", input)
    from gradlab.ops.math import sign

    return slogdet_result(sign(det(input)), logdet(input, signed=False))


def logdet(input, signed=True):  # noqa: A002
    """log det(input): nan for a negative determinant, -inf for a singular matrix."""
    _square("logdet", input)
    d = det(input)
    magnitude = d.abs() if not signed else d
    with np.errstate(divide="ignore", invalid="ignore"):
        return magnitude.log()


def real(input):  # noqa: A002
    return input


def conj(input):  # noqa: A002
    return input


conj_physical = resolve_conj = resolve_neg = conj


def adjoint(input):  # noqa: A002
    return movement.transpose(input, -2, -1)


def is_same_size(input, other) -> bool:  # noqa: A002
    return input.shape == other.shape


def is_complex(input) -> bool:  # noqa: A002
    return input.dtype.kind == "c"


def is_conj(input) -> bool:  # noqa: A002
    return False


def is_neg(input) -> bool:  # noqa: A002
    return False
