"""dtype objects and their aliases (``gradlab.float32``, ``gradlab.long`` ...), PyTorch's names.

``Tensor.dtype`` is one of these objects. A :class:`dtype` wraps a NumPy dtype and works
wherever a dtype is taken: gradlab's ``dtype=`` arguments, ``np.dtype(gradlab.float32)``,
``array.astype(gradlab.long)`` (NumPy reads its ``.dtype`` attribute). It has PyTorch's
attributes (``is_floating_point``, ``is_complex``, ``is_signed``, ``itemsize``, ``to_real()``,
``to_complex()``) and prints as ``gradlab.float32`` where PyTorch prints ``torch.float32``.
Two dtypes compare equal when they are the same type. One deliberate difference from
PyTorch: a gradlab dtype also equals the NumPy dtype it stands for (``gradlab.float32 ==
np.float32``; PyTorch says False), and it answers NumPy's descriptive attributes (``kind``,
``char``, ``type`` ...), so NumPy-side code that reads ``x.dtype`` keeps working.

Also here: the legacy tensor-type names (``'torch.FloatTensor'``), the ``Tensor.type()``,
``.half()`` ... conversions, and the ``FloatTensor``/``LongTensor`` ... constructors.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "dtype", "float16", "half", "float32", "float", "float64", "double",
    "complex64", "cfloat", "complex128", "cdouble", "uint8", "int8", "int16", "short",
    "int32", "int", "int64", "long", "bool", "uint16", "uint32", "uint64", "FloatTensor",
    "DoubleTensor", "HalfTensor",
    "LongTensor", "IntTensor", "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor",
    "as_numpy_dtype", "is_floating_point", "finfo", "iinfo", "get_default_dtype",
]  # fmt: skip

_builtin_bool = bool
_builtin_int = int
_builtin_float = float


class dtype:  # noqa: N801 - PyTorch's name
    """One element type: ``name`` ('float32'), ``itemsize``, ``is_floating_point``,
    ``is_complex``, ``is_signed``; ``.dtype`` is the NumPy dtype it stands for."""

    __slots__ = ("name", "dtype", "legacy")

    def __init__(self, name: str, numpy_dtype, legacy: str | None):
        self.name = name
        self.dtype = np.dtype(numpy_dtype)
        self.legacy = legacy

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def is_floating_point(self) -> bool:
        return self.dtype.kind == "f"

    @property
    def is_complex(self) -> bool:
        return self.dtype.kind == "c"

    @property
    def is_signed(self) -> bool:
        return self.dtype.kind in "fic"

    def to_real(self) -> dtype:
        return {"complex64": float32, "complex128": float64}.get(self.name, self)

    def to_complex(self) -> dtype:
        if self.is_complex:
            return self
        if self.name not in ("float16", "float32", "float64"):
            raise RuntimeError(f"Unknown Complex ScalarType for {self.name}")
        if self.name == "float16":
            raise TypeError("gradlab has no complex32 (NumPy has no complex half type)")
        return complex64 if self.name == "float32" else complex128

    def __eq__(self, other) -> bool:
        if isinstance(other, dtype):
            return self.dtype == other.dtype
        if isinstance(other, str):
            return False  # as PyTorch: torch.float32 == "float32" is False
        try:
            return self.dtype == np.dtype(other)
        except TypeError:
            return NotImplemented

    def __ne__(self, other) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(self.dtype)

    def __repr__(self) -> str:
        return f"gradlab.{self.name}"

    __str__ = __repr__

    def __reduce__(self):
        return (_by_name, (self.name,))

    def __getattr__(self, name):
        # NumPy's descriptive attributes (kind, char, type ...), for NumPy-side code that
        # was written against Tensor.dtype being a NumPy dtype; PyTorch's dtype has none.
        if name in _NUMPY_ATTRIBUTES:
            return getattr(object.__getattribute__(self, "dtype"), name)
        raise AttributeError(f"'gradlab.dtype' object has no attribute {name!r}")


_NUMPY_ATTRIBUTES = frozenset(
    "kind char type str byteorder num names fields base subdtype shape isbuiltin isnative "
    "alignment flags hasobject descr metadata".split()
)

float16 = half = dtype("float16", np.float16, "HalfTensor")
float32 = float = dtype("float32", np.float32, "FloatTensor")  # noqa: A001 - PyTorch's alias
float64 = double = dtype("float64", np.float64, "DoubleTensor")
complex64 = cfloat = dtype("complex64", np.complex64, None)
complex128 = cdouble = dtype("complex128", np.complex128, None)
uint8 = dtype("uint8", np.uint8, "ByteTensor")
int8 = dtype("int8", np.int8, "CharTensor")
int16 = short = dtype("int16", np.int16, "ShortTensor")
int32 = int = dtype("int32", np.int32, "IntTensor")  # noqa: A001 - PyTorch's alias
int64 = long = dtype("int64", np.int64, "LongTensor")
bool = dtype("bool", np.bool_, "BoolTensor")  # noqa: A001 - PyTorch's alias
uint16 = dtype("uint16", np.uint16, None)
uint32 = dtype("uint32", np.uint32, None)
uint64 = dtype("uint64", np.uint64, None)

_ALL = (
    float16, float32, float64, complex64, complex128, uint8, int8, int16, int32, int64, bool,
    uint16, uint32, uint64,
)  # fmt: skip
_BY_NUMPY = {d.dtype: d for d in _ALL}
_BY_LEGACY = {d.legacy: d for d in _ALL if d.legacy}


def __getattr__(name):
    if name == "bfloat16":
        raise AttributeError(
            "gradlab.bfloat16 is not implemented in gradlab (NumPy has no bfloat16); use "
            "gradlab.float16 or gradlab.float32"
        )
    raise AttributeError(f"module 'gradlab.dtypes' has no attribute {name!r}")


def _by_name(name: str) -> dtype:
    return next(d for d in _ALL if d.name == name)


def as_numpy_dtype(value) -> np.dtype:
    """The NumPy dtype of a gradlab dtype, a NumPy dtype or type, a name ('float32'), or a
    legacy tensor-type name ('torch.FloatTensor')."""
    if isinstance(value, dtype):
        return value.dtype
    if isinstance(value, str) and value.rsplit(".", 1)[-1] in _BY_LEGACY:
        return _BY_LEGACY[value.rsplit(".", 1)[-1]].dtype
    try:
        return np.dtype(value)
    except TypeError:
        raise TypeError(
            f"expected a dtype (gradlab.float32, gradlab.long, ...), got {value!r}"
        ) from None


def from_numpy_dtype(numpy_dtype) -> dtype:
    """The gradlab dtype object for a NumPy dtype (what ``Tensor.dtype`` returns)."""
    found = _BY_NUMPY.get(numpy_dtype)
    if found is not None:
        return found
    numpy_dtype = np.dtype(numpy_dtype)
    found = _BY_NUMPY.get(numpy_dtype) or _BY_NUMPY.get(numpy_dtype.newbyteorder("="))
    if found is None:
        raise TypeError(
            f"NumPy dtype {numpy_dtype} has no gradlab dtype (gradlab has "
            f"{', '.join(d.name for d in _ALL)})"
        )
    return found


class finfo:  # noqa: N801 - PyTorch's name
    """Machine limits of a floating dtype (``torch.finfo``): ``bits``, ``eps``, ``max``,
    ``min``, ``tiny``, ``smallest_normal``, ``resolution``, ``dtype`` (its name).
    ``finfo()`` describes the default dtype."""

    def __init__(self, type=None):  # noqa: A002 - PyTorch's argument name
        if type is None:
            from gradlab.backend import get_default_dtype

            type = get_default_dtype()  # noqa: A001
        numpy_dtype = as_numpy_dtype(type)
        if numpy_dtype.kind not in "fc":
            raise TypeError(
                "finfo() requires a floating point input type. Use iinfo to handle "
                f"{from_numpy_dtype(numpy_dtype)}"
            )
        info = np.finfo(numpy_dtype)
        self.bits = _builtin_int(info.bits)
        self.eps = _builtin_float(info.eps)
        self.max = _builtin_float(info.max)
        self.min = _builtin_float(info.min)
        self.tiny = self.smallest_normal = _builtin_float(info.smallest_normal)
        self.resolution = 10.0 ** -_builtin_int(info.precision)
        self.dtype = info.dtype.name

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
            f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, "
            f"dtype={self.dtype})"
        )


class iinfo:  # noqa: N801 - PyTorch's name
    """Limits of an integer (or bool) dtype (``torch.iinfo``): ``bits``, ``min``, ``max``,
    ``dtype`` (its name)."""

    def __init__(self, type):  # noqa: A002 - PyTorch's argument name
        numpy_dtype = as_numpy_dtype(type)
        if numpy_dtype.kind == "b":
            raise TypeError("gradlab.bool is not supported by gradlab.iinfo")
        if numpy_dtype.kind not in "iu":
            raise TypeError(
                "iinfo() requires an integer input type. Use finfo to handle "
                f"{from_numpy_dtype(numpy_dtype)}"
            )
        info = np.iinfo(numpy_dtype)
        self.bits, self.min, self.max = info.bits, _builtin_int(info.min), _builtin_int(info.max)
        self.dtype = numpy_dtype.name

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


def get_default_dtype() -> dtype:
    """The default floating dtype (``gradlab.float32`` unless ``set_default_dtype`` changed
    it), as a dtype object as PyTorch returns it."""
    from gradlab import backend

    return from_numpy_dtype(backend.get_default_dtype())


def is_floating_point(tensor) -> _builtin_bool:
    """Whether ``tensor``'s dtype is a floating-point type (``torch.is_floating_point``)."""
    return np.dtype(tensor.dtype).kind == "f"


def legacy_type_name(numpy_dtype) -> str:
    """'torch.FloatTensor' for float32, ... (what ``Tensor.type()`` returns in PyTorch)."""
    d = from_numpy_dtype(numpy_dtype)
    if d.legacy is None:
        raise TypeError(f"dtype {d} has no legacy tensor type name")
    return f"torch.{d.legacy}"


def tensor_type(tensor, dtype=None, non_blocking: _builtin_bool = False, **kwargs):
    """``Tensor.type()``: the legacy type name; ``Tensor.type(dtype)``: the tensor cast to it
    (itself when it already has that dtype), as PyTorch."""
    if dtype is None:
        return legacy_type_name(tensor.dtype)
    target = as_numpy_dtype(dtype)
    if np.dtype(tensor.dtype) == target:
        return tensor
    return tensor.to(target)


class _LegacyTensorType(type):
    """``isinstance(x, gradlab.FloatTensor)`` holds for a Tensor of that dtype, as in PyTorch."""

    def __instancecheck__(cls, instance) -> _builtin_bool:
        from gradlab.tensor import Tensor

        return isinstance(instance, Tensor) and np.dtype(instance.dtype) == cls._dtype.dtype


def _legacy_constructor(d: dtype):
    def __new__(cls, *args):  # noqa: N807
        """``FloatTensor(2, 3)``: uninitialized (zeros here) of that shape; ``FloatTensor(data)``
        a copy of the data in that dtype; ``FloatTensor()``: empty."""
        from gradlab.tensor import Tensor

        if len(args) == 1 and not isinstance(args[0], (_builtin_int, np.integer)):
            data = args[0]
            if isinstance(data, (tuple, np.ndarray, list, Tensor)) or np.ndim(data) > 0:
                array = np.array(data.numpy() if isinstance(data, Tensor) else data, d.dtype)
                return Tensor(array)
            raise TypeError(
                f"{d.legacy}(): expected a shape (ints) or data (a list, array or Tensor), got "
                f"{type(data).__name__}"
            )
        for size in args:
            if isinstance(size, _builtin_bool) or not isinstance(size, (_builtin_int, np.integer)):
                raise TypeError(
                    f"{d.legacy}(): expected a shape of ints or one sequence of data, got {args!r}"
                )
        return Tensor(np.zeros(tuple(_builtin_int(s) for s in args) or (0,), d.dtype))

    return _LegacyTensorType(d.legacy, (), {"__new__": __new__, "_dtype": d, "dtype": d})


FloatTensor = _legacy_constructor(float32)
DoubleTensor = _legacy_constructor(float64)
HalfTensor = _legacy_constructor(float16)
LongTensor = _legacy_constructor(int64)
IntTensor = _legacy_constructor(int32)
ShortTensor = _legacy_constructor(int16)
CharTensor = _legacy_constructor(int8)
ByteTensor = _legacy_constructor(uint8)
BoolTensor = _legacy_constructor(bool)
