"""Checkpoints: ``save(state, path)`` / ``load(path)``, safetensors plus a JSON structure.

``state`` is a nested structure of dicts, lists and tuples whose leaves are NumPy arrays,
gradlab Tensors, NumPy scalars, or JSON values (int of any size, float including nan/inf,
str, bool, None): a model's ``state_dict``, an optimizer's (with its int-keyed ``state``),
scheduler and callback state, ``numpy`` bit-generator states (128-bit ints), epoch and
batch position.

The file is a valid safetensors file: every array is a safetensors tensor, named by its
path in the structure (``"model.fc1.weight"``, ``"optimizer.state.0.exp_avg"``), and the
metadata holds the structure itself as one JSON string (arrays replaced by references)
and a SHA-256 over the structure and every tensor's name, dtype, shape and bytes.

``load`` gives back the same structure: arrays come back as NumPy arrays (a Tensor saved
is loaded as its array), dict keys keep their type (int keys stay int), tuples stay
tuples, NumPy scalars come back as Python numbers. Anything that is not a checkpoint
written by ``save`` (a pickle, a truncated or bit-flipped file, random bytes, a missing
file) raises :class:`CheckpointError`; loading never runs code from the file.

Writing is atomic (:func:`gradlab.atomic.atomic_write`): a temporary file in the same
directory, flushed and fsynced, then ``os.replace`` onto ``path`` and an fsync of the
directory. A crash leaves either the old checkpoint or the new one at ``path``, never a mix;
the temporary file of a killed writer is removed by the next save to that path. A failed
write (a full disk) raises :class:`CheckpointError` naming the file.

Loading reads only regular files (a FIFO or a device such as ``/dev/zero`` is refused
before anything is read), and a structure nested deeper than :data:`MAX_DEPTH` is refused,
both when saving and when loading.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import stat
from pathlib import Path

import numpy as np
import safetensors.numpy
from safetensors import SafetensorError

from gradlab.atomic import atomic_write
from gradlab.tensor import Tensor

FORMAT = "gradlab.checkpoint"
VERSION = "1"
_KEYS = ("format", "version", "structure", "sha256")
MAX_DEPTH = 100
"""The deepest nesting of dicts, lists and tuples a checkpoint's state may have."""
_REF, _DICT, _TUPLE, _FLOAT = "$array", "$dict", "$tuple", "$float"
_SUPPORTED = {
    np.dtype(t)
    for t in ("bool", "uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64",
              "float16", "float32", "float64", "complex64")
}  # fmt: skip


class CheckpointError(Exception):
    """A file is not a loadable gradlab checkpoint, or a state cannot be saved."""

    def __init__(self, path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


# ---------------------------------------------------------------------------- encoding
class _Encoder:
    """Turns a state into a JSON-able structure plus a flat {name: array} dict."""

    def __init__(self, path):
        self.path = path
        self.arrays: dict = {}
        self.open: set = set()  # ids of the containers being encoded (cycle detection)

    def _name(self, where: list) -> str:
        base = ".".join(str(w) for w in where) or "array"
        name, n = base, 1
        while name in self.arrays:
            name, n = f"{base}#{n}", n + 1
        return name

    def encode(self, value, where: list):
        if isinstance(value, Tensor):
            value = value.numpy()
        if isinstance(value, np.ndarray):
            return {_REF: self._add_array(value, where)}
        if isinstance(value, np.generic):
            value = value.item()
        if value is None or isinstance(value, (bool, int, str)):
            return value
        if isinstance(value, float):
            return value if math.isfinite(value) else {_FLOAT: repr(value)}
        if isinstance(value, (dict, list, tuple)):
            return self._encode_container(value, where)
        raise CheckpointError(
            self.path,
            f"cannot save {_where(where)} of type {type(value).__name__}; expected arrays, "
            f"Tensors, numbers, strings, bools, None, lists, tuples or dicts",
        )

    def _encode_container(self, value, where: list):
        if id(value) in self.open:
            raise CheckpointError(
                self.path, f"cannot save {_where(where)}: it contains itself (a reference cycle)"
            )
        if len(where) >= MAX_DEPTH:
            raise CheckpointError(
                self.path, f"cannot save the state: nested deeper than {MAX_DEPTH} levels"
            )
        self.open.add(id(value))
        try:
            if isinstance(value, dict):
                return self._encode_dict(value, where)
            items = [self.encode(v, where + [i]) for i, v in enumerate(value)]
            return {_TUPLE: items} if isinstance(value, tuple) else items
        finally:
            self.open.discard(id(value))

    def _encode_dict(self, value: dict, where: list):
        plain = all(isinstance(k, str) and not k.startswith("$") for k in value)
        if plain:
            return {k: self.encode(v, where + [k]) for k, v in value.items()}
        items = []
        for k, v in value.items():
            if isinstance(k, np.generic):
                k = k.item()
            if not (k is None or isinstance(k, (str, int, float, bool))):
                raise CheckpointError(
                    self.path,
                    f"cannot save {_where(where)}: dict key {k!r} of type {type(k).__name__}; "
                    f"keys must be str, int, float, bool or None",
                )
            items.append([self.encode(k, where), self.encode(v, where + [k])])
        return {_DICT: items}

    def _add_array(self, array: np.ndarray, where: list) -> str:
        little = array.dtype.newbyteorder("<")
        if little not in _SUPPORTED:
            raise CheckpointError(
                self.path,
                f"cannot save {_where(where)}: arrays of dtype {array.dtype} are not supported "
                f"(safetensors stores bool, (u)int8..64, float16/32/64 and complex64)",
            )
        name = self._name(where)
        # np.require keeps 0-d arrays 0-d (np.ascontiguousarray would make them 1-d)
        self.arrays[name] = np.require(array, dtype=little, requirements="C")
        return name


def _where(where: list) -> str:
    return "state" + "".join(f"[{w!r}]" for w in where)


def _decode(value, arrays: dict):
    if isinstance(value, list):
        return [_decode(v, arrays) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((tag, inner),) = value.items()
        if tag == _REF:
            return arrays[inner]
        if tag == _TUPLE:
            return tuple(_decode(v, arrays) for v in inner)
        if tag == _DICT:
            return {_decode(k, arrays): _decode(v, arrays) for k, v in inner}
        if tag == _FLOAT:
            return float(inner)
    return {k: _decode(v, arrays) for k, v in value.items()}


def _depth(value) -> int:
    """The nesting depth of JSON lists and objects, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (
                item.values() if isinstance(item, dict) else item))  # fmt: skip
    return deepest


def _digest(structure: str, arrays: dict) -> str:
    h = hashlib.sha256(structure.encode("utf-8"))
    for name in sorted(arrays):
        a = arrays[name]
        h.update(f"\0{name}\0{a.dtype.str}\0{a.shape}\0".encode())
        h.update(np.require(a, requirements="C").reshape(-1).view(np.uint8).data)
    return h.hexdigest()


# ---------------------------------------------------------------------------- save / load
def encode(state, where="<bytes>") -> bytes:
    """The checkpoint bytes of ``state`` (see the module docstring for what it may hold);
    ``where`` names it in errors."""
    encoder = _Encoder(where)
    structure = json.dumps(encoder.encode(state, []), allow_nan=False, separators=(",", ":"))
    metadata = {
        "format": FORMAT,
        "version": VERSION,
        "structure": structure,
        "sha256": _digest(structure, encoder.arrays),
    }
    return safetensors.numpy.save(encoder.arrays, metadata=metadata)


def save(state, path) -> None:
    """Write ``state`` (see the module docstring for what it may hold) to ``path``,
    atomically: a crash leaves the previous file at ``path`` or the complete new one."""
    path = Path(path)
    blob = encode(state, path)
    try:
        atomic_write(path, blob)
    except OSError as exc:
        full = " (the disk is full)" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else ""
        raise CheckpointError(
            path, f"cannot write the checkpoint: {exc.strerror or exc}{full}"
        ) from exc


def _read_regular(path: Path) -> bytes:
    """The bytes of ``path`` when it is a regular file; a FIFO, a device or a directory is
    refused before anything is read (opened non-blocking, so a FIFO does not wait)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise CheckpointError(path, f"cannot read the file ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = (
                "a FIFO" if stat.S_ISFIFO(info.st_mode)
                else "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
                else "a directory" if stat.S_ISDIR(info.st_mode)
                else "not a regular file"
            )  # fmt: skip
            raise CheckpointError(path, f"not a checkpoint: {kind}, not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read()
    except OSError as exc:
        raise CheckpointError(path, f"cannot read the file ({exc.strerror or exc})") from None
    finally:
        os.close(fd)


def load(path):
    """Read a checkpoint written by :func:`save`; raise :class:`CheckpointError` for
    anything else. Arrays come back as NumPy arrays."""
    path = Path(path)
    return decode(_read_regular(path), path)


def decode(blob: bytes, path="<bytes>"):
    """The state in checkpoint bytes ``blob`` (from :func:`encode`); ``path`` names it in
    errors (:class:`CheckpointError`). Arrays come back as NumPy arrays."""
    metadata = _metadata(path, blob)
    try:
        arrays = safetensors.numpy.load(blob)
    except (SafetensorError, ValueError, TypeError) as exc:
        raise CheckpointError(path, f"corrupted safetensors data ({exc})") from None
    if _digest(metadata["structure"], arrays) != metadata["sha256"]:
        raise CheckpointError(
            path, "checksum mismatch: the file was modified or corrupted after it was written"
        )
    try:
        structure = json.loads(metadata["structure"])
        if _depth(structure) > 3 * MAX_DEPTH + 3:  # a dict level is up to 3 JSON levels
            raise CheckpointError(path, f"structure nested deeper than {MAX_DEPTH} levels")
        return _decode(structure, arrays)
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(path, f"corrupted structure ({exc})") from None
    except RecursionError:
        raise CheckpointError(path, f"structure nested deeper than {MAX_DEPTH} levels") from None


def _metadata(path: Path, blob: bytes) -> dict:
    """The gradlab metadata of a safetensors file, checked before the tensors are parsed."""
    if len(blob) < 8:
        raise CheckpointError(path, f"not a checkpoint: {len(blob)} bytes is shorter than a header")
    size = int.from_bytes(blob[:8], "little")
    if size > len(blob) - 8:
        hint = " (it looks like a pickle, which gradlab never loads)" if blob[:1] == b"\x80" else ""
        raise CheckpointError(
            path,
            f"not a gradlab checkpoint, or truncated: the first 8 bytes give a {size}-byte "
            f"header but the file has {len(blob)} bytes{hint}",
        )
    try:
        header = json.loads(blob[8 : 8 + size].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CheckpointError(path, f"corrupted header (not JSON: {exc})") from None
    except RecursionError:  # json parses nested arrays and objects recursively
        raise CheckpointError(path, "corrupted header (nested too deeply)") from None
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise CheckpointError(
            path,
            "not a gradlab checkpoint (a safetensors file without gradlab's metadata; read "
            "plain safetensors files with safetensors.numpy.load_file)",
        )
    if metadata.get("version") != VERSION:
        raise CheckpointError(
            path, f"checkpoint format version {metadata.get('version')!r}, expected {VERSION!r}"
        )
    if set(metadata) != set(_KEYS) or not all(isinstance(metadata[k], str) for k in _KEYS):
        raise CheckpointError(path, f"corrupted metadata: keys {sorted(metadata)}")
    return metadata
