"""PyTorch's function catalogue: the ``gradlab.*`` functions (with ``out=`` where PyTorch
takes it) and the Tensor methods of the op families in ``math``, ``binary``, ``statistics``,
``scan``, ``sorting``, ``indexing``, ``scatter``, ``shape``, ``products``, ``factories``,
``random`` and ``protocols``. :func:`bind` attaches the methods; ``gradlab.ops`` calls it.
"""

from __future__ import annotations

from gradlab.ops import (
    activation,
    binary,
    comparison,
    elementwise,
    factories,
    indexing,
    joining,
    linalg,
    logical,
    math,
    movement,
    numeric,
    products,
    protocols,
    random,
    scan,
    scatter,
    shape,
    sorting,
    statistics,
)
from gradlab.tensor import Tensor

_FAMILIES = (
    math, binary, logical, statistics, scan, sorting, indexing, scatter, shape, joining,
    products, factories, random, numeric,
)  # fmt: skip


def where(condition, input=None, other=None, *, out=None):  # noqa: A002 - PyTorch's names
    """``input`` where condition holds, else ``other`` (numbers allowed, promoted as PyTorch);
    with the condition alone, ``nonzero(condition, as_tuple=True)``."""
    if input is None and other is None:
        return indexing.nonzero(condition, as_tuple=True)
    a, b = binary.operands(input, other)
    result = elementwise.where(condition, a, b)
    return result if out is None else protocols.write_out("where", result, out)


def clamp_min(input, min):  # noqa: A002
    return binary.clamp(input, min=min)


def clamp_max(input, max):  # noqa: A002
    return binary.clamp(input, max=max)


def numel(input) -> int:  # noqa: A002
    return input.numel()


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def is_nonzero(input) -> bool:  # noqa: A002
    if input.numel() != 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input.item())


_EXTRA = {
    "where": where,
    "clamp_min": clamp_min,
    "clamp_max": clamp_max,
    "numel": numel,
    "is_tensor": is_tensor,
    "is_nonzero": is_nonzero,
}

# Functions whose torch.* form takes ``out=`` (the Tensor methods never do).
_NO_OUT = {
    "check_device", "empty_like", "rand_like", "randn_like", "randint_like", "unbind",
    "split", "tensor_split", "hsplit", "vsplit", "dsplit", "meshgrid", "broadcast_tensors",
    "broadcast_shapes", "atleast_1d", "atleast_2d", "atleast_3d", "einsum", "allclose",
    "equal", "unique", "unique_consecutive", "numel", "is_tensor", "is_nonzero", "where",
    "nonzero", "argwhere", "narrow", "select", "movedim", "moveaxis", "swapaxes", "swapdims",
    "diagonal", "unflatten", "ravel", "positive", "tril_indices", "triu_indices",
    "cartesian_prod", "block_diag", "diag_embed", "diagflat", "cdist", "chain_matmul",
    "tensordot", "logspace", "histogram", "bincount", "aminmax",
    "std_mean", "var_mean", "count_nonzero", "poisson", "masked_fill", "index_fill",
    "index_copy", "take_along_dim", "scatter", "scatter_add", "scatter_reduce", "repeat",
    "unfold", "new_tensor", "new_zeros", "new_ones", "new_empty", "new_full",
}  # fmt: skip

# Tensor methods: the family functions of the same name (torch-only names left out).
_TORCH_ONLY = {
    "check_device", "logspace", "empty_like", "rand_like", "randn_like", "randint_like",
    "normal", "poisson", "einsum", "tensordot", "cdist", "chain_matmul", "std_mean",
    "var_mean", "atleast_1d", "atleast_2d", "atleast_3d", "hstack", "vstack", "dstack",
    "column_stack", "row_stack", "meshgrid", "broadcast_tensors", "broadcast_shapes",
    "tril_indices", "triu_indices", "cartesian_prod", "block_diag", "is_tensor", "numel",
    "searchsorted", "bucketize", "isin",
}  # fmt: skip


# Tensor methods without a torch.* function of the same name.
_METHOD_ONLY = (
    "new_tensor", "new_zeros", "new_ones", "new_empty", "new_full", "repeat", "unfold",
    "sum_to_size",
)  # fmt: skip


def _public(module):
    return {name: getattr(module, name) for name in module.__all__}


# gradlab's earlier functions whose torch.* form takes out= too.
_EARLIER_WITH_OUT = {
    elementwise: "pow neg exp log sqrt abs maximum minimum clamp clip square".split(),
    activation: ["sigmoid", "tanh"],
    comparison: "eq ne lt le gt ge".split(),
    linalg: ["matmul"],
    movement: ["cat", "concatenate", "stack"],
}


def torch_functions() -> dict:
    """Every ``gradlab.<name>`` this catalogue defines, ``out=`` added where PyTorch has it."""
    functions = {
        name: getattr(module, name) for module, names in _EARLIER_WITH_OUT.items() for name in names
    }
    for module in _FAMILIES:
        functions.update(_public(module))
    functions.update(_EXTRA)
    functions.pop("check_device", None)
    for name in _METHOD_ONLY:
        functions.pop(name, None)
    return {
        name: fn if name in _NO_OUT or not callable(fn) else protocols.with_out(fn)
        for name, fn in functions.items()
    }


def tensor_methods() -> dict:
    methods = {}
    for module in _FAMILIES:
        methods.update({n: f for n, f in _public(module).items() if n not in _TORCH_ONLY})
    for name in ("new_tensor", "new_zeros", "new_ones", "new_empty", "new_full"):
        methods[name] = getattr(factories, name)
    methods.update(
        {
            "repeat": shape.repeat,
            "unfold": shape.unfold,
            "where": lambda self, condition, other: where(condition, self, other),
            "clamp_min": clamp_min,
            "clamp_max": clamp_max,
            "bernoulli": random.bernoulli,
            "multinomial": random.multinomial,
            "ndimension": lambda self: self.ndim,
            "H": property(lambda self: shape.swapaxes(self, 0, 1) if self.ndim == 2 else self),
            "mH": property(lambda self: shape.swapaxes(self, -2, -1)),
            "is_nonzero": is_nonzero,
            "real": property(numeric.real),  # an attribute in PyTorch; real tensors only
        }
    )
    methods.update(protocols.PROTOCOLS)
    return methods


def bind() -> None:
    """Attach the catalogue's methods to Tensor (after gradlab.ops' own binding)."""
    for name, fn in tensor_methods().items():
        setattr(Tensor, name, fn)
