"""Reading PyTorch's own ``.pt`` files (the zip format ``torch.save`` writes) without torch.

The archive holds ``<name>/data.pkl`` (a pickle of the saved object, whose tensors refer to
storages by key) and ``<name>/data/<key>`` (each storage's raw little-endian bytes). The pickle
is read by a restricted unpickler, as ``torch.load(weights_only=True)`` reads it: it rebuilds
tensors, parameters, storages, dtypes, ``torch.Size`` and ``torch.device``, and the plain
containers and values (dict, OrderedDict, list, tuple, set, numbers, strings, bytes). Any other
global the pickle names is refused with :class:`UnsafeFileError` before it is looked up, so
loading never runs code from the file.

Each tensor is rebuilt as a gradlab Tensor holding a copy of its elements (views of one storage
do not share memory after loading).
"""

from __future__ import annotations

import collections
import io
import pickle
import zipfile

import numpy as np

from gradlab.tensor import Tensor

_STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
    "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
    "ComplexFloatStorage": np.complex64, "ComplexDoubleStorage": np.complex128,
    "UntypedStorage": np.uint8,
}  # fmt: skip

_DTYPE_NAMES = {
    "float32", "float", "float64", "double", "float16", "half", "int64", "long", "int32", "int",
    "int16", "short", "int8", "uint8", "bool", "complex64", "cfloat", "complex128", "cdouble",
}  # fmt: skip


class UnsafeFileError(pickle.UnpicklingError):
    """A ``.pt`` file names something other than tensors and plain containers."""


def is_torch_zip(head: bytes) -> bool:
    """Whether a file starting with ``head`` is a zip archive (torch.save's format)."""
    return head[:4] == b"PK\x03\x04"


class _StorageType:
    """Stands for ``torch.FloatStorage`` ... in the pickle: only its element type is used."""

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):  # fmt: skip
    if not isinstance(storage, np.ndarray):
        raise UnsafeFileError("a tensor in the file is not backed by a storage")
    size, stride = tuple(size), tuple(stride)
    if any(s < 0 for s in size) or any(s < 0 for s in stride) or storage_offset < 0:
        raise UnsafeFileError(f"a tensor has a negative size, stride or offset: {size}, {stride}")
    if all(size):
        last = storage_offset + sum((n - 1) * s for n, s in zip(size, stride))
        if last >= storage.size:
            raise UnsafeFileError(
                f"a tensor of size {size} and stride {stride} at offset {storage_offset} reaches "
                f"past its storage of {storage.size} elements"
            )
        view = np.lib.stride_tricks.as_strided(
            storage[storage_offset:],
            shape=size,
            strides=tuple(s * storage.itemsize for s in stride),
            writeable=False,
        )
        array = np.array(view)
    else:
        array = np.zeros(size, storage.dtype)
    tensor = Tensor(array)
    if requires_grad and array.dtype.kind in "fc":
        tensor.requires_grad = True
    return tensor


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _rebuild_tensor_v2(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad, backward_hooks, *state):
    from gradlab.nn import Parameter

    return Parameter(data, requires_grad=requires_grad)


def _encode(text, encoding="latin1"):
    # protocol-2 pickles spell bytes as _codecs.encode(str, "latin1")
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise UnsafeFileError("_codecs.encode is allowed only on a string with latin1")
    return text.encode(encoding)


def _size(values=()):
    return tuple(values)


def _device(kind="cpu", index=None):
    return "cpu" if index is None else f"{kind}:{index}"


def _allowed(module: str, name: str):
    from gradlab import dtypes

    if module == "__builtin__":  # protocol-2 pickles spell builtins the Python 2 way
        module = "builtins"
    table = {
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("collections", "Counter"): collections.Counter,
        ("builtins", "set"): set,
        ("builtins", "frozenset"): frozenset,
        ("builtins", "complex"): complex,
        ("builtins", "slice"): slice,
        ("builtins", "bytearray"): bytearray,
        ("_codecs", "encode"): _encode,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
        ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
        ("torch", "Size"): _size,
        ("torch", "device"): _device,
    }
    if (module, name) in table:
        return table[(module, name)]
    if module == "torch" and name in _STORAGE_DTYPES:
        return _StorageType(_STORAGE_DTYPES[name])
    if module == "torch" and name in _DTYPE_NAMES:
        return getattr(dtypes, name)
    return None


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file, archive: zipfile.ZipFile, prefix: str, where: str, map_location):
        super().__init__(file)
        self.archive = archive
        self.prefix = prefix
        self.where = where
        self.map_location = map_location
        self.storages: dict = {}

    def find_class(self, module, name):
        found = _allowed(module, name)
        if found is None:
            raise UnsafeFileError(
                f"{self.where}: the file names {module}.{name}, which gradlab does not load: "
                f"gradlab reads only tensors, parameters, dtypes and plain containers (dict, "
                f"OrderedDict, list, tuple, numbers, strings), as torch.load(weights_only=True) "
                f"does, and never runs code from a file. Save model.state_dict() (not the model "
                f"object) with torch.save."
            )
        return found

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise UnsafeFileError(f"{self.where}: unknown persistent id {pid!r:.80}")
        _, storage_type, key, location, numel = pid
        if not isinstance(storage_type, _StorageType):
            raise UnsafeFileError(f"{self.where}: storage {key!r} has no storage type")
        _check_location(self.where, str(location), self.map_location)
        if key not in self.storages:
            name = f"{self.prefix}data/{key}"
            try:
                raw = self.archive.read(name)
            except KeyError:
                raise UnsafeFileError(f"{self.where}: storage {name} is missing") from None
            dtype = storage_type.dtype.newbyteorder("<")
            if len(raw) % dtype.itemsize:
                raise UnsafeFileError(
                    f"{self.where}: storage {name} has {len(raw)} bytes, not a whole number of "
                    f"{dtype} elements"
                )
            self.storages[key] = np.frombuffer(raw, dtype=dtype).astype(dtype.newbyteorder("="))
        return self.storages[key]


def _check_location(where: str, location: str, map_location) -> None:
    if location.startswith("cpu") or map_location is not None:
        return
    raise RuntimeError(
        f"{where}: the file holds tensors saved on {location!r}, and gradlab has only the cpu "
        f"device (CUDA is not implemented in gradlab); load with map_location='cpu'"
    )


def load_torch_zip(file, where: str, map_location=None):
    """The object in a ``torch.save`` zip archive (``file``: a path or a binary file object),
    tensors rebuilt as gradlab Tensors; see the module docstring for what is allowed."""
    try:
        archive = zipfile.ZipFile(file)
    except zipfile.BadZipFile as error:
        raise pickle.UnpicklingError(f"{where}: not a readable zip archive ({error})") from None
    with archive:
        pickles = [n for n in archive.namelist() if n.endswith("data.pkl") and n.count("/") == 1]
        if len(pickles) != 1:
            raise pickle.UnpicklingError(
                f"{where}: a torch.save archive holds one <name>/data.pkl; found {pickles}"
            )
        prefix = pickles[0][: -len("data.pkl")]
        order = f"{prefix}byteorder"
        if order in archive.namelist() and archive.read(order).strip() != b"little":
            raise pickle.UnpicklingError(f"{where}: big-endian files are not supported")
        data = io.BytesIO(archive.read(pickles[0]))
        return _RestrictedUnpickler(data, archive, prefix, where, map_location).load()
