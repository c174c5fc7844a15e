"""Loading a state dict into a module's tensors, as PyTorch's ``load_state_dict``: every
entry read as an array (NumPy, gradlab or torch tensors), every problem reported at once, and
nothing copied unless every entry is good."""

from __future__ import annotations

from collections import OrderedDict, namedtuple

import numpy as np

from gradlab.backend import as_array, backend_of, to_backend
from gradlab.tensor import Tensor

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def _as_array(value, key: str):
    """A state-dict entry as a NumPy array: arrays, gradlab Tensors, numbers, torch tensors.

    As in PyTorch, bfloat16 values are read as float32 and complex values lose their
    imaginary part with a UserWarning; any other non-numeric dtype is a TypeError naming it."""
    if isinstance(value, Tensor):
        return value._data
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch.Tensor, converted as-is
        value = value.detach().cpu()
        if str(value.dtype) == "torch.bfloat16":  # NumPy has no bfloat16
            value = value.float()
        value = value.numpy()
    try:
        array = as_array(value)
    except (TypeError, ValueError):
        array = None
    if array is None or (not hasattr(value, "dtype") and array.dtype.kind not in "biufc"):
        raise TypeError(
            f"load_state_dict: {key}: expected an array or Tensor, got {type(value).__name__}"
        )
    if array.dtype.name == "bfloat16":  # ml_dtypes' bfloat16 (kind "V")
        array = array.astype(np.float32)
    if array.dtype.kind == "c":
        import warnings

        warnings.warn(
            f"load_state_dict: {key}: casting {array.dtype} values to real discards the "
            "imaginary part",
            UserWarning,
            stacklevel=4,  # the caller of Module.load_state_dict
        )
        array = array.real
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"load_state_dict: {key}: expected numbers, got an array of dtype {array.dtype}"
        )
    return array


def load_state(targets: OrderedDict, state_dict, strict: bool, owner: str) -> IncompatibleKeys:
    """Copy ``state_dict``'s entries into ``targets`` (key -> Tensor), keeping their dtype.
    Every missing, unexpected, mis-shaped and unreadable key is reported in one RuntimeError
    naming ``owner`` (missing and unexpected ones only when ``strict``)."""
    missing = [key for key in targets if key not in state_dict]
    unexpected = [key for key in state_dict if key not in targets]
    problems = []
    if strict and unexpected:
        problems.append(
            "Unexpected key(s) in state_dict: " + ", ".join(f'"{key}"' for key in unexpected)
        )
    if strict and missing:
        problems.append("Missing key(s) in state_dict: " + ", ".join(f'"{key}"' for key in missing))
    arrays = {}
    for key, target in targets.items():
        if key not in state_dict:
            continue
        try:
            array = _as_array(state_dict[key], key)
        except TypeError as error:
            problems.append(str(error))
            continue
        if array.shape != target._data.shape:
            problems.append(
                f"size mismatch for {key}: copying a param with shape {array.shape} from "
                f"checkpoint, the shape in current model is {target._data.shape}"
            )
        else:
            arrays[key] = array
    if problems:
        raise RuntimeError(
            f"Error(s) in loading state_dict for {owner}:\n\t" + "\n\t".join(problems)
        )
    for key, array in arrays.items():
        target = targets[key]
        target._data[...] = to_backend(array, backend_of(target._data))
    return IncompatibleKeys(missing, unexpected)
