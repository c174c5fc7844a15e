"""Devices and their array modules, the default dtype and the explicit random generator.

A :class:`device` names where a tensor's array lives (PyTorch's ``torch.device``). Each device
type is registered here with the array module that makes and computes its arrays
(:class:`Backend`): ``"cpu"`` is NumPy. A tensor's device is found from its array's type
(:func:`device_of`), and :func:`array_module` gives the module for any array, so code that
creates arrays for a tensor asks its device rather than a module bound at import; a CuPy
device is one more :func:`register_backend` call. Device types PyTorch knows but that have no
backend here (``cuda``, ``mps``, ...) can be named (``gradlab.device("cuda")``) but not used:
moving a tensor there raises an error that says what is missing.

Ops take the module from the arrays they are given (``xp = array_module(a)``), factories from
their ``device=`` argument (:func:`resolve_device`; None is the default device, the CPU unless
:func:`set_default_device` or ``with gradlab.device(...):`` says otherwise). Randomness goes
through one generator, ``gradlab.default_generator`` (a :class:`gradlab.Generator`, which is a
``numpy.random.Generator``; reseeded in place by :func:`manual_seed`), never the global
``np.random`` state.
"""

from __future__ import annotations

import numpy as np

from gradlab.generator import Generator

xp = np
"""The CPU device's array module (NumPy). Ops ask :func:`array_module` instead; only code not
yet moved to the device model imports this (the fused layers' paths: conv, pooling,
recurrent, cross-entropy, BLAS workspaces, the optimizers' foreach kernels)."""

KNOWN_DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu", "meta", "hip", "xla", "ipu", "hpu", "mtia")
"""Device types PyTorch's ``torch.device`` accepts."""


class device:  # noqa: N801 - PyTorch's name
    """Where a tensor lives: ``device("cpu")``, ``device("cuda:0")``, ``device("cuda", 0)``.

    Attributes ``type`` (str) and ``index`` (int or None), as PyTorch's. Two devices are equal
    when both are; as in PyTorch, a device never equals a string (``t.device == "cpu"`` is
    False: compare ``t.device.type == "cpu"`` or ``t.device == device("cpu")``). As a
    context manager (``with device("cpu"):``) it is the default device of the factories inside.
    """

    __slots__ = ("type", "index")

    def __init__(self, type_or_spec, index=None):
        if isinstance(type_or_spec, device):
            if index is not None:
                raise ValueError("device(): an index was given with a device object")
            self.type, self.index = type_or_spec.type, type_or_spec.index
            return
        if isinstance(type_or_spec, int) and not isinstance(type_or_spec, bool):
            raise ValueError(
                f"device({type_or_spec}): a bare device index needs an accelerator, and "
                f"gradlab has {_missing_accelerator_text()}"
            )
        if not isinstance(type_or_spec, str):
            raise TypeError(
                f"device(): expected a string such as 'cpu' or 'cuda:0', got "
                f"{type(type_or_spec).__name__}"
            )
        kind, _, number = type_or_spec.strip().partition(":")
        if kind not in KNOWN_DEVICE_TYPES and kind not in _BACKENDS:
            raise RuntimeError(
                f"Expected one of {', '.join(KNOWN_DEVICE_TYPES)} device type at start of "
                f"device string: {type_or_spec}"
            )
        if number:
            if index is not None:
                raise ValueError(f"device(): index given twice in {type_or_spec!r} and {index}")
            if not number.isdigit():
                raise RuntimeError(f"Invalid device string: '{type_or_spec}'")
            index = int(number)
        if index is not None and (not isinstance(index, int) or index < 0):
            raise RuntimeError(f"Device index must not be negative, got {index!r}")
        self.type, self.index = kind, index

    def __eq__(self, other):
        if isinstance(other, str):
            return False  # as torch.device: compare with device("cpu"), or use .type
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __reduce__(self):
        return (device, (self.type, self.index))

    def __enter__(self):
        """``with gradlab.device("cpu"):`` makes it the default device inside (as PyTorch)."""
        _DEFAULT_STACK.append(_default_device)
        set_default_device(self)
        return self

    def __exit__(self, *exc):
        set_default_device(_DEFAULT_STACK.pop())
        return False


class Backend:
    """One device type's arrays: ``xp`` (the array module: ``xp.zeros``, ``xp.exp`` ...) and
    ``array_type`` (the class of its arrays, how a tensor's device is recognised)."""

    __slots__ = ("type", "xp", "array_type", "to_host", "from_host")

    def __init__(self, type, xp, array_type, to_host, from_host):  # noqa: A002
        self.type, self.xp, self.array_type = type, xp, array_type
        self.to_host, self.from_host = to_host, from_host


_BACKENDS: dict[str, Backend] = {}
_BY_ARRAY_TYPE: dict[type, Backend] = {}


def register_backend(backend: Backend) -> None:
    """Make a device type usable: its arrays are ``backend.array_type``."""
    _BACKENDS[backend.type] = backend
    _BY_ARRAY_TYPE[backend.array_type] = backend


def unregister_backend(kind: str) -> None:
    backend = _BACKENDS.pop(kind)
    _BY_ARRAY_TYPE.pop(backend.array_type, None)


_CPU_BACKEND = Backend("cpu", np, np.ndarray, lambda a: a, lambda a: a)
register_backend(_CPU_BACKEND)

CPU = device("cpu")
_default_device = None  # None: the CPU
_DEFAULT_STACK: list = []


def get_default_device() -> device:
    """The device factories use when no ``device=`` is given (PyTorch's)."""
    return CPU if _default_device is None else _default_device


def set_default_device(where) -> None:
    """Make ``where`` (a device, its string, or None for the CPU) the device that factory
    functions use when no ``device=`` is given, as PyTorch's ``set_default_device``."""
    global _default_device
    if where is not None:
        where = where if isinstance(where, device) else device(where)
        resolve_device(where, "set_default_device()")
        if where.type == "cpu":
            where = None
    _default_device = where


def _missing_accelerator_text() -> str:
    return (
        "no accelerator backend: it runs on the CPU with NumPy; a GPU needs a CUDA device "
        "and CuPy (pip install cupy-cuda12x), which gradlab does not support yet"
    )


def backend_of(array) -> Backend:
    """The backend whose arrays ``array`` is (the CPU's for NumPy arrays and scalars)."""
    backend = _BY_ARRAY_TYPE.get(type(array))
    if backend is not None:
        return backend
    for array_type, backend in _BY_ARRAY_TYPE.items():
        if isinstance(array, array_type):
            return backend
    return _BACKENDS["cpu"]


def is_device_string(text) -> bool:
    """Whether ``text`` names a device type ("cpu", "cuda:0", a registered test device)."""
    kind = text.split(":")[0].strip()
    return kind in KNOWN_DEVICE_TYPES or kind in _BACKENDS


def as_array(value):
    """``value`` as an array: device arrays and NumPy arrays as they are, anything else
    (NumPy scalars, numbers, lists) as a NumPy array."""
    if type(value) is np.ndarray or type(value) in _BY_ARRAY_TYPE:
        return value
    return np.asarray(value)


def host_array(data, dtype=None):
    """Python data (numbers, nested lists) or a host array as a NumPy array of ``dtype``:
    how code makes a host array from user data before copying it to a device."""
    return np.array(data, dtype=dtype)


def to_host(array):
    """``array`` as a NumPy array (an explicit copy from its device; itself on the CPU)."""
    return backend_of(array).to_host(array)


_HOST_TYPES = (np.ndarray, np.generic, int, float, complex, bool, type(None), list, tuple)


def array_module(array=None, *others):
    """The array module of the arrays' (or Tensors') device: the first device array's, NumPy
    when all are host arrays, NumPy scalars or Python numbers (as CuPy's
    ``get_array_module``). Ops call it on their inputs, or on the incoming gradient in
    backward: ``xp = array_module(a)``."""
    if type(array) is np.ndarray and not others:
        return np  # the common case, kept to one test
    for item in (array, *others):
        backend = _BY_ARRAY_TYPE.get(type(item))
        if backend is None:
            if isinstance(item, _HOST_TYPES):
                continue
            item = getattr(item, "_data", item)  # a Tensor: its array's
            backend = backend_of(item)
        if backend is not _CPU_BACKEND:
            return backend.xp
    return np


def device_of(array) -> device:
    kind = backend_of(array).type
    return CPU if kind == "cpu" else device(kind)


def resolve_device(where, what: str = "device") -> Backend:
    """The backend for ``where`` (a device, its string, or None for the default device); a
    clear error for a device type gradlab cannot use."""
    if where is None:
        where = _default_device
        if where is None:
            return _CPU_BACKEND
    if not isinstance(where, device):
        where = device(where)
    backend = _BACKENDS.get(where.type)
    if backend is None:
        raise RuntimeError(
            f"{what}: cannot use device '{where}': gradlab has {_missing_accelerator_text()}. "
            f"(gradlab.cuda.is_available() is False; use device='cpu'.)"
        )
    if where.index not in (None, 0):
        raise RuntimeError(f"{what}: device '{where}' does not exist (there is one {where.type})")
    return backend


def to_backend(array, backend: Backend):
    """``array`` moved onto ``backend``'s device (no copy when it is there already)."""
    source = backend_of(array)
    if source is backend:
        return array
    return backend.from_host(source.to_host(array))


_default_dtype = np.dtype(np.float32)
_generator = Generator()
_generator.seed()  # as PyTorch's default generator: a fresh seed per process until seeded


def get_default_dtype() -> np.dtype:
    """The floating dtype that Python numbers, lists and factory functions get (float32), as
    a NumPy dtype (the engine's form; ``gradlab.get_default_dtype()`` gives the dtype object)."""
    return _default_dtype


def set_default_dtype(dtype) -> None:
    """Set the default floating dtype; only float32 and float64 are accepted."""
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"set_default_dtype: expected float32 or float64, got {dtype}")
    _default_dtype = dtype


def manual_seed(seed) -> Generator:
    """Seed the default generator (used by rand, randn, init, dropout ...) in place and return
    it, as ``torch.manual_seed``: any integer in [-2**63, 2**64), or a value ``int()`` takes."""
    return _generator.manual_seed(int(seed))


def seed() -> int:
    """Reseed the default generator from the operating system's entropy; return the seed."""
    return _generator.seed()


def initial_seed() -> int:
    """The seed the default generator was last given."""
    return _generator.initial_seed()


def default_generator() -> Generator:
    """The generator that random functions use when none is passed
    (``gradlab.default_generator`` is this object itself, as in PyTorch)."""
    return _generator


def get_rng_state():
    """The default generator's state, a uint8 Tensor (as PyTorch's ByteTensor; its bytes are
    gradlab's PCG64 state, not PyTorch's Mersenne Twister's)."""
    return _generator.get_state()


def set_rng_state(new_state) -> None:
    """Restore a state returned by :func:`get_rng_state`."""
    _generator.set_state(new_state)
