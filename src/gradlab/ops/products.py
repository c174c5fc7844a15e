"""Products with PyTorch's shape rules: mm, bmm, mv, dot, vdot, inner, outer/ger, addmm,
addmv, addr, baddbmm, addbmm, tensordot, einsum, kron, cross, cdist; all differentiable.

mm/bmm/mv/dot check their operands' ranks and sizes first (no broadcasting, as PyTorch's)
and run on ``matmul``; einsum is one primitive whose backward is again an einsum per operand.
"""

from __future__ import annotations

import builtins
import string
import warnings

from gradlab.autograd import Function
from gradlab.backend import array_module
from gradlab.ops import linalg, movement
from gradlab.tensor import Tensor

__all__ = [
    "mm", "bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "addmm", "addmv", "addr",
    "baddbmm", "addbmm", "tensordot", "einsum", "kron", "cross", "cdist", "chain_matmul",
]  # fmt: skip


def _same_dtype(op, a, b):
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"{op}: expected m1 and m2 to have the same dtype, but got: {a.dtype} != {b.dtype}"
        )


def mm(input, mat2):  # noqa: A002 - PyTorch's names
    """(n, m) @ (m, p) -> (n, p)."""
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if input.shape[1] != mat2.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({input.shape[0]}x{input.shape[1]} and "
            f"{mat2.shape[0]}x{mat2.shape[1]})"
        )
    _same_dtype("mm", input, mat2)
    return linalg.matmul(input, mat2)


def bmm(input, mat2):  # noqa: A002
    """(b, n, m) @ (b, m, p) -> (b, n, p); batch sizes must be equal."""
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{input.shape[0]}, {input.shape[2]}] but got: [{mat2.shape[0]}, {mat2.shape[1]}]."
        )
    _same_dtype("bmm", input, mat2)
    return linalg.matmul(input, mat2)


def mv(input, vec):  # noqa: A002
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(
            f"vector + matrix @ vector expected, got {input.ndim}, {input.ndim}, {vec.ndim}"
        )
    if input.shape[1] != vec.shape[0]:
        raise RuntimeError(
            f"size mismatch, got input ({input.shape[0]}), mat ({input.shape[0]}x"
            f"{input.shape[1]}), vec ({vec.shape[0]})"
        )
    return linalg.matmul(input, vec)


def dot(input, tensor):  # noqa: A002
    if input.ndim != 1 or tensor.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {tensor.ndim}D tensors")
    if input.shape[0] != tensor.shape[0]:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src "
            f"[{tensor.shape[0]}] to have the same number of elements, but got {input.shape[0]} "
            f"and {tensor.shape[0]} elements respectively"
        )
    _same_dtype("dot", input, tensor)
    return linalg.matmul(input, tensor)


vdot = dot  # real tensors only: conjugation is the identity


def inner(input, other):  # noqa: A002
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    return tensordot(input, other, ([-1], [-1]))


def outer(input, vec2):  # noqa: A002
    if input.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError("outer: expected 1-D tensors")
    return movement.reshape(input, (-1, 1)) * movement.reshape(vec2, (1, -1))


ger = outer


def _scaled_sum(input, product, beta, alpha):
    """beta * input + alpha * product; with beta == 0 input is ignored (nan included)."""
    scaled = product if alpha == 1 else product * alpha
    if beta == 0:
        return scaled + _zeros(input)
    return scaled + (input if beta == 1 else input * beta)


def _zeros(input):
    xp = array_module(input)
    return Tensor(xp.zeros(input.shape, input.dtype))


def addmm(input, mat1, mat2, *, beta=1, alpha=1):  # noqa: A002
    """beta * input + alpha * (mat1 @ mat2)."""
    return _scaled_sum(input, mm(mat1, mat2), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):  # noqa: A002
    return _scaled_sum(input, mv(mat, vec), beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):  # noqa: A002
    return _scaled_sum(input, outer(vec1, vec2), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):  # noqa: A002
    return _scaled_sum(input, bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):  # noqa: A002
    return _scaled_sum(input, bmm(batch1, batch2).sum(0), beta, alpha)


def chain_matmul(*matrices):
    out = matrices[0]
    for m in matrices[1:]:
        out = mm(out, m)
    return out


def tensordot(a, b, dims=2):
    """Sum over the last ``dims`` dims of a and the first of b, or the listed dim pairs."""
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        dims_a = list(range(a.ndim - dims, a.ndim))
        dims_b = list(range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
        if len(dims_a) != len(dims_b):
            raise RuntimeError("both dimension lists should have same length")
    dims_a = [d % builtins.max(a.ndim, 1) for d in dims_a]
    dims_b = [d % builtins.max(b.ndim, 1) for d in dims_b]
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {a.shape[da]} in dim "
                f"{da} and second has size {b.shape[db]} in dim {db}"
            )
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    size = 1
    for d in dims_a:
        size *= a.shape[d]
    left = movement.reshape(movement.permute(a, *(free_a + dims_a)), (-1, size))
    right = movement.reshape(movement.permute(b, *(dims_b + free_b)), (size, -1))
    shape = tuple(a.shape[d] for d in free_a) + tuple(b.shape[d] for d in free_b)
    return movement.reshape(linalg.matmul(left, right), shape)


# ---------------------------------------------------------------------- einsum


def _parse_einsum(equation, shapes):
    """Explicit subscripts per operand and for the output ('...' spelled out)."""
    equation = equation.replace(" ", "")
    inputs, arrow, output = equation.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(
            f"einsum(): {len(terms)} operands in the equation but {len(shapes)} were given"
        )
    used = set(equation) - set(".,->")
    spare = [c for c in string.ascii_letters if c not in used]
    widest = 0
    for term, shape in zip(terms, shapes):
        if "..." in term:
            widest = builtins.max(widest, len(shape) - (len(term) - 3))
    ellipsis = "".join(spare[:widest])
    explicit = []
    for term, shape in zip(terms, shapes):
        if "..." in term:
            count = len(shape) - (len(term) - 3)
            term = term.replace("...", ellipsis[widest - count :])
        if len(term) != len(shape):
            raise ValueError(
                f"einsum(): the number of subscripts in the equation ({len(term)}) does not "
                f"match the number of dimensions ({len(shape)}) of an operand"
            )
        explicit.append(term)
    if arrow:
        output = output.replace("...", ellipsis)
    else:
        counts = {}
        for term in explicit:
            for c in term:
                counts[c] = counts.get(c, 0) + 1
        output = ellipsis + "".join(
            sorted(c for c, n in counts.items() if n == 1 and c not in ellipsis)
        )
    return explicit, output


class Einsum(Function):
    __slots__ = ()

    def forward(self, *arrays, terms=(), output=""):
        xp = array_module(*arrays)
        self.saved = (arrays, terms, output)
        equation = ",".join(terms) + "->" + output
        return xp.einsum(equation, *arrays, optimize=len(arrays) > 2)

    def backward(self, grad):
        xp = array_module(grad)
        arrays, terms, output = self.saved
        grads = []
        for k, (array, term) in enumerate(zip(arrays, terms)):
            if not self.needs_input_grad(k):
                grads.append(None)
                continue
            others = [(a, t) for i, (a, t) in enumerate(zip(arrays, terms)) if i != k]
            available = set(output).union(*(set(t) for _, t in others))
            letters = "".join(dict.fromkeys(c for c in term if c in available))
            equation = ",".join([output] + [t for _, t in others]) + "->" + letters
            partial = xp.einsum(equation, grad, *(a for a, _ in others), optimize=len(others) > 1)
            grads.append(_embed(partial, letters, term, array.shape))
        return grads[0] if len(grads) == 1 else tuple(grads)

    def backward_graph(self, grad):  # the same einsums, recorded (see gradlab.autograd_graph)
        from gradlab.autograd_graph import NoGraphBackward

        arrays, terms, output = self.saved
        grads = []
        for k, (array, term) in enumerate(zip(arrays, terms)):
            if not self.needs_input_grad(k):
                grads.append(None)
                continue
            if len(set(term)) != len(term):  # a diagonal: no recorded form here
                raise NoGraphBackward
            others = [(a, t) for i, (a, t) in enumerate(zip(self.inputs, terms)) if i != k]
            available = set(output).union(*(set(t) for _, t in others))
            letters = "".join(dict.fromkeys(c for c in term if c in available))
            partial = Einsum.apply(
                grad, *(a for a, _ in others), terms=(output, *(t for _, t in others)),
                output=letters,
            )  # fmt: skip
            shape = [partial.shape[letters.index(c)] if c in letters else 1 for c in term]
            grads.append(partial.reshape(*shape).expand(*array.shape))
        return grads[0] if len(grads) == 1 else tuple(grads)


def _embed(partial, letters, term, shape):
    """A gradient over ``letters`` laid out over ``term`` (repeated letters: a diagonal;
    letters summed within this operand only: broadcast)."""
    xp = array_module(partial)
    unique = "".join(dict.fromkeys(term))
    sizes = {c: s for c, s in zip(term, shape)}
    full_unique = xp.broadcast_to(
        partial.reshape([partial.shape[letters.index(c)] if c in letters else 1 for c in unique]),
        [sizes[c] if c not in letters else partial.shape[letters.index(c)] for c in unique],
    )
    if unique == term:
        return full_unique
    out = xp.zeros(shape, partial.dtype)
    grids = [  # (as numpy's ogrid) one broadcastable arange per letter
        xp.arange(sizes[c]).reshape([sizes[c] if d == c else 1 for d in unique]) for c in unique
    ]
    out[tuple(grids[unique.index(c)] for c in term)] = full_unique
    return out


def einsum(equation, *operands):
    """``torch.einsum(equation, *operands)`` (operands may also come as one list)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    terms, output = _parse_einsum(equation, [o.shape for o in operands])
    for term, o in zip(terms, operands):
        for c, size in zip(term, o.shape):
            for other_term, other in zip(terms, operands):
                if (
                    c in other_term
                    and other.shape[other_term.index(c)] not in (size, 1)
                    and size != 1
                ):
                    raise RuntimeError(
                        f"einsum(): operands do not broadcast with remapped shapes "
                        f"(original->remapped): {list(o.shape)} and {list(other.shape)}"
                    )
    return Einsum.apply(*operands, terms=tuple(terms), output=output)


def kron(input, other):  # noqa: A002
    """Kronecker product: blocks of ``other`` scaled by each entry of ``input``."""
    ndim = builtins.max(input.ndim, other.ndim)
    a = movement.reshape(input, (1,) * (ndim - input.ndim) + input.shape)
    b = movement.reshape(other, (1,) * (ndim - other.ndim) + other.shape)
    a_shape = [s for d in a.shape for s in (d, 1)]
    b_shape = [s for d in b.shape for s in (1, d)]
    product = movement.reshape(a, a_shape) * movement.reshape(b, b_shape)
    return movement.reshape(product, tuple(x * y for x, y in zip(a.shape, b.shape)))


def cross(input, other, dim=None):  # noqa: A002
    """Cross product of 3-vectors along dim (the first dim of size 3 when None, as
    ``torch.cross``; ``torch.linalg.cross`` uses -1)."""
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if dim is None:
        warnings.warn(
            "Using torch.cross without specifying the dim arg is deprecated.\nPlease either "
            "pass the dim explicitly or simply use torch.linalg.cross.\nThe default value of "
            "dim will change to agree with that of linalg.cross in a future release.",
            UserWarning,
            stacklevel=2,
        )
        dim = next((d for d, s in enumerate(input.shape) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    dim %= builtins.max(input.ndim, 1)
    if input.shape[dim] != 3 or other.shape[dim] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got {input.shape[dim]} "
            f"and {other.shape[dim]}"
        )
    head = (slice(None),) * dim

    def part(t, i):
        return movement.getitem(t, head + (slice(i, i + 1),))

    a0, a1, a2 = (part(input, i) for i in range(3))
    b0, b1, b2 = (part(other, i) for i in range(3))
    return movement.cat([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], dim)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """Pairwise p-norm distances between the rows of x1 (…, P, M) and x2 (…, R, M)."""
    from gradlab.ops.statistics import norm

    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}"
        )
    a = movement.unsqueeze(x1, -2)
    b = movement.unsqueeze(x2, -3)
    return norm(a - b, p, dim=-1)
