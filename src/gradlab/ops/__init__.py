"""The primitive ops, and their binding to Tensor's methods and operators.

Importing this package gives Tensor its math: ``x + y``, ``x.exp()``, ``x.sum(dim=1)``,
``x[mask]``, ``x @ w``, and its in-place ops (``x.add_(y)``, ``x += y``, ``x[i] = v``: see
``inplace.py``). Each op lives in the file of its family (elementwise, reduce,
movement, linalg); this file only wires them to Tensor.
"""

from gradlab import autograd_api, dtypes
from gradlab.ops import (
    activation,
    catalogue,
    comparison,
    elementwise,
    inplace_catalogue,
    inplace_methods,
    inplace_shape,
    linalg,
    movement,
    reduce,
    transfer,
)
from gradlab.ops import softmax as softmax_ops
from gradlab.ops.activation import *  # noqa: F403
from gradlab.ops.comparison import *  # noqa: F403
from gradlab.ops.elementwise import *  # noqa: F403
from gradlab.ops.linalg import matmul
from gradlab.ops.movement import (
    broadcast_to,
    cat,
    chunk,
    concatenate,
    expand,
    flatten,
    getitem,  # noqa: F401 - bound as Tensor.__getitem__
    pad,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    transpose,
    unsqueeze,
    view,
)
from gradlab.ops.reduce import (
    amax,
    amin,
    argmax,
    argmin,
    logsumexp,
    max,
    mean,
    min,
    std,
    sum,
    var,
)
from gradlab.ops.softmax import log_softmax, softmax
from gradlab.tensor import Tensor

__all__ = elementwise.__all__ + activation.__all__ + comparison.__all__ + [
    "matmul", "broadcast_to", "cat", "chunk", "concatenate", "expand", "flatten", "pad",
    "permute", "reshape", "split", "squeeze", "stack", "transpose", "unsqueeze", "view", "amax",
    "amin", "argmax", "argmin", "logsumexp", "softmax", "log_softmax", "max", "mean", "min",
    "std", "sum", "var",
]  # fmt: skip

_Add, _Sub, _Mul, _Div, _Pow = (
    elementwise.Add.apply2,
    elementwise.Sub.apply2,
    elementwise.Mul.apply2,
    elementwise.Div.apply2,
    elementwise.Pow.apply2,
)


def _bind():
    operators = {
        "__add__": lambda a, b: _Add(a, b),
        "__radd__": lambda a, b: _Add(b, a),
        "__sub__": lambda a, b: _Sub(a, b),
        "__rsub__": lambda a, b: _Sub(b, a),
        "__mul__": lambda a, b: _Mul(a, b),
        "__rmul__": lambda a, b: _Mul(b, a),
        "__truediv__": lambda a, b: _Div(a, b),
        "__rtruediv__": lambda a, b: _Div(b, a),
        "__pow__": lambda a, b: _Pow(a, b),
        "__rpow__": lambda a, b: _Pow(b, a),
        "__matmul__": linalg.matmul,
        "__rmatmul__": lambda a, b: linalg.matmul(Tensor(b), a),
        "__neg__": elementwise.neg,
        "__abs__": elementwise.abs,
        "__getitem__": movement.getitem,
        "__eq__": comparison.eq,
        "__ne__": comparison.ne,
        "__lt__": comparison.lt,
        "__le__": comparison.le,
        "__gt__": comparison.gt,
        "__ge__": comparison.ge,
    }
    methods = {
        name: getattr(elementwise, name)
        for name in (
            "add sub mul div pow neg exp log sqrt abs maximum minimum clamp clip square clone"
        ).split()
    }
    methods.update({name: getattr(activation, name) for name in activation.__all__})
    methods.update({name: getattr(comparison, name) for name in comparison.__all__})
    methods.update(
        {
            name: getattr(reduce, name)
            for name in "sum mean max min amax amin argmax argmin var std logsumexp".split()
        }
    )
    methods.update(
        {
            name: getattr(movement, name)
            for name in (
                "reshape view permute transpose squeeze unsqueeze flatten expand split chunk"
            ).split()
        }
    )
    methods.update(
        {
            "matmul": linalg.matmul,
            "softmax": softmax_ops.softmax,
            "log_softmax": softmax_ops.log_softmax,
            "t": movement.t,
            "to": transfer.to,
            "cpu": transfer.cpu,
            "cuda": transfer.cuda,
            "type": dtypes.tensor_type,
            "half": lambda a: elementwise.to_dtype(a, "float16"),
            "device": property(transfer.tensor_device),
            "is_cuda": property(transfer.is_cuda),
            "is_cpu": property(transfer.is_cpu),
            "float": lambda a: elementwise.to_dtype(a, "float32"),
            "double": lambda a: elementwise.to_dtype(a, "float64"),
            "long": lambda a: elementwise.to_dtype(a, "int64"),
            "int": lambda a: elementwise.to_dtype(a, "int32"),
            "bool": lambda a: elementwise.to_dtype(a, "bool"),
            "contiguous": lambda a: a,
            "expand_as": lambda a, other: movement.expand(a, *other.shape),
            "view_as": lambda a, other: movement.reshape(a, *other.shape),
            "reshape_as": lambda a, other: movement.reshape(a, *other.shape),
            "T": property(movement.t),
            "mT": property(lambda a: movement.transpose(a, -2, -1)),
        }
    )
    methods["register_hook"] = autograd_api.register_hook
    methods["register_post_accumulate_grad_hook"] = autograd_api.register_post_accumulate_grad_hook
    methods.update(inplace_methods.METHODS)
    methods.update(inplace_shape.METHODS)  # t_, squeeze_, resize_ ...
    for name, fn in {**operators, **methods}.items():
        setattr(Tensor, name, fn)


_bind()
catalogue.bind()  # PyTorch's wider catalogue; replaces some of the methods bound above
globals().update(catalogue.torch_functions())
inplace_catalogue.bind()  # after the catalogue: sin_, scatter_, index_add_ ...
__all__ = list(dict.fromkeys(__all__ + list(catalogue.torch_functions())))
