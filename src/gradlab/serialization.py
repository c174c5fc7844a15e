"""``gradlab.save`` / ``gradlab.load``: PyTorch's signatures over gradlab's checkpoint format.

``save(obj, f)`` writes a state dict or a plain container (dicts, lists, tuples of Tensors,
arrays, numbers, strings) to a path or a binary file object, in gradlab's checkpoint format
(safetensors plus a JSON structure, :mod:`gradlab.train.checkpoint`). A whole Module or
Optimizer is refused: save its ``state_dict()``.

``load(f, map_location=None, weights_only=None)`` reads a gradlab checkpoint, or a ``.pt`` file
written by ``torch.save`` (zip format, through the restricted reader of
:mod:`gradlab.torch_format`); arrays come back as Tensors, as ``torch.load`` gives them. No
code from a file ever runs, whatever ``weights_only`` says.
"""

from __future__ import annotations

import io
import os
import pickle

import numpy as np

from gradlab.tensor import Tensor
from gradlab.torch_format import is_torch_zip, load_torch_zip
from gradlab.train import checkpoint

__all__ = ["save", "load"]


def _refuse_objects(obj, where: str = "obj") -> None:
    """Raise TypeError for a Module or Optimizer anywhere in ``obj``, naming state_dict()."""
    from gradlab.nn import Module
    from gradlab.optim import Optimizer

    if isinstance(obj, (Module, Optimizer)):
        kind = "Module" if isinstance(obj, Module) else "Optimizer"
        raise TypeError(
            f"gradlab.save: {where} is a whole {kind} ({type(obj).__name__}); gradlab saves "
            f"state, not objects (that would need pickle, which can run code when loaded). "
            f"Save its state_dict() instead: gradlab.save(model.state_dict(), path), then "
            f"model.load_state_dict(gradlab.load(path))"
        )
    if isinstance(obj, dict):
        for key, value in obj.items():
            _refuse_objects(value, f"{where}[{key!r}]")
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            _refuse_objects(value, f"{where}[{i}]")


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True):
    """Write ``obj`` (a state dict or plain container) to ``f`` (a path or a binary file
    object opened for writing). ``pickle_module``/``pickle_protocol`` are refused: gradlab
    never pickles."""
    if pickle_module is not None or pickle_protocol is not None:
        raise TypeError(
            "gradlab.save: pickle_module and pickle_protocol are not supported; gradlab writes "
            "safetensors, never pickle"
        )
    _refuse_objects(obj)
    if isinstance(f, (str, os.PathLike)):
        checkpoint.save(obj, f)
        return
    if not hasattr(f, "write"):
        raise TypeError(
            f"gradlab.save: f must be a path or a binary file object, got {type(f).__name__}"
        )
    f.write(checkpoint.encode(obj, getattr(f, "name", "<file object>")))


def _as_tensors(value):
    """The loaded structure with NumPy arrays turned into Tensors (as torch.load gives)."""
    if isinstance(value, np.ndarray):
        return Tensor(value)
    if isinstance(value, dict):
        out = type(value)() if type(value) is not dict else {}
        for k, v in value.items():
            out[k] = _as_tensors(v)
        return out
    if isinstance(value, list):
        return [_as_tensors(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_as_tensors(v) for v in value)
    return value


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):  # fmt: skip
    """Read what :func:`save` wrote, or a ``torch.save`` ``.pt`` file, from a path or a binary
    file object; Tensors for arrays.

    Args:
        map_location: None, ``"cpu"``, a device, a dict or a function: gradlab has only the
            cpu, so everything loads there; a file saved on CUDA needs one of them (as PyTorch
            on a machine without CUDA).
        weights_only: accepted; gradlab always loads as ``weights_only=True`` does (tensors
            and plain containers only), and ``weights_only=False`` cannot widen that.
    """
    if pickle_module is not None:
        raise TypeError("gradlab.load: pickle_module is not supported; gradlab never unpickles")
    if isinstance(f, (str, os.PathLike)):
        where = str(f)
        try:
            with open(f, "rb") as handle:
                head = handle.read(4)
        except OSError as error:
            raise FileNotFoundError(
                f"gradlab.load: cannot read {where} ({error.strerror or error})"
            ) from None
        if is_torch_zip(head):
            return load_torch_zip(f, where, map_location)
        return _as_tensors(_load_checkpoint(f, where, head))
    if not hasattr(f, "read"):
        raise TypeError(
            f"gradlab.load: f must be a path or a binary file object, got {type(f).__name__}"
        )
    where = getattr(f, "name", "<file object>")
    blob = f.read()
    if is_torch_zip(blob):
        return load_torch_zip(io.BytesIO(blob), str(where), map_location)
    return _as_tensors(_load_checkpoint(blob, where, blob[:4]))


def _load_checkpoint(source, where, head: bytes):
    """A gradlab checkpoint from a path or bytes; a file that is not one but starts like a
    pickle (PROTO opcode, protocol 2 to 5) gets the error that says gradlab never unpickles."""
    try:
        if isinstance(source, bytes):
            return checkpoint.decode(source, where)
        return checkpoint.load(source)
    except checkpoint.CheckpointError:
        if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
            _refuse_pickle(where)
        raise


def _refuse_pickle(where) -> None:
    raise pickle.UnpicklingError(
        f"{where}: a bare pickle (PyTorch's legacy pre-1.6 format, or any pickle); gradlab "
        f"reads torch.save's zip format and its own checkpoints, and never unpickles arbitrary "
        f"files. Re-save it with a current torch.save (zip format)"
    )
