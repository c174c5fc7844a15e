"""In-place variants of the catalogue's functions (``sin_``, ``scatter_``, ``index_add_`` ...).

Each is ``apply_inplace(self, "name_", Tensor.name, ...)`` (see :mod:`gradlab.ops.inplace`):
the values and the gradient are those of the out-of-place function, written into ``self``
with PyTorch's rules (version counter bumped, a leaf that requires grad refused, a non-leaf's
``grad_fn`` moved to the new node, the result cast to ``self``'s dtype or refused).
In-place ops that change a tensor's shape (``t_``, ``squeeze_``, ``transpose_`` ...) are not
here: they change metadata, not values.
"""

from __future__ import annotations

from gradlab.ops.inplace import apply_inplace
from gradlab.tensor import Tensor

NAMES = (
    "acos_ acosh_ asin_ asinh_ atan_ atanh_ cos_ cosh_ sin_ sinh_ tan_ arccos_ arccosh_ "
    "arcsin_ arcsinh_ arctan_ arctanh_ atan2_ arctan2_ hypot_ copysign_ deg2rad_ rad2deg_ "
    "exp2_ expm1_ log10_ log1p_ log2_ logit_ erf_ erfc_ erfinv_ lgamma_ digamma_ sinc_ "
    "reciprocal_ rsqrt_ sgn_ ceil_ floor_ round_ trunc_ fix_ frac_ nan_to_num_ xlogy_ "
    "float_power_ fmod_ remainder_ floor_divide_ ldexp_ heaviside_ nextafter_ "
    "cumsum_ cumprod_ tril_ triu_ renorm_ "
    "addmm_ addmv_ addr_ addbmm_ baddbmm_ "
    "logical_and_ logical_or_ logical_xor_ logical_not_ bitwise_and_ bitwise_or_ "
    "bitwise_xor_ bitwise_not_ gcd_ lcm_ greater_ greater_equal_ less_ less_equal_ "
    "not_equal_ "
    "scatter_ scatter_add_ scatter_reduce_ index_add_ index_copy_ index_fill_ index_put_ "
    "put_ masked_scatter_"
).split()


def _in_place(name: str):
    base = name[:-1]

    def method(self, *args, **kwargs):
        return apply_inplace(self, name, getattr(Tensor, base), *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"In-place ``{base}``: ``self`` holds ``self.{base}(...)``; returns self."
    return method


def bind() -> None:
    """Give Tensor every in-place variant above whose out-of-place function it has."""
    for name in NAMES:
        if hasattr(Tensor, name[:-1]) and not hasattr(Tensor, name):
            setattr(Tensor, name, _in_place(name))
