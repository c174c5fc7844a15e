"""Keras's global settings, as ``keras.config`` / ``keras.backend``: epsilon (1e-7), floatx
(float32), channels-last images, and the per-session name counter that gives layers their
default names (``dense``, ``dense_1``, ...)."""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np

from gradlab.tensor import Tensor

_EPSILON = 1e-7
_FLOATX = "float32"
_NAME_UIDS: defaultdict = defaultdict(int)


def epsilon() -> float:
    """The fuzz factor of losses and optimizers (Keras's default 1e-7)."""
    return _EPSILON


def set_epsilon(value: float) -> None:
    global _EPSILON
    _EPSILON = float(value)


def floatx() -> str:
    """The default float type of weights and inputs ('float32')."""
    return _FLOATX


def set_floatx(value: str) -> None:
    global _FLOATX
    if value not in ("float16", "float32", "float64"):
        raise ValueError(f"set_floatx: expected 'float16', 'float32' or 'float64', got {value!r}")
    _FLOATX = value


def image_data_format() -> str:
    """Always 'channels_last': images are (batch, height, width, channels)."""
    return "channels_last"


def backend() -> str:
    return "gradlab"


def to_snake_case(name: str) -> str:
    """``BatchNormalization`` -> ``batch_normalization``, as Keras names layers."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(base: str) -> str:
    """``base`` the first time, then ``base_1``, ``base_2``, ... (per session)."""
    uid = _NAME_UIDS[base]
    _NAME_UIDS[base] += 1
    return base if uid == 0 else f"{base}_{uid}"


def clear_session() -> None:
    """Reset the layer-name counters (as ``keras.backend.clear_session``)."""
    _NAME_UIDS.clear()


def as_tensor(value, dtype=None) -> Tensor:
    """A Tensor from a Tensor, array or number; float inputs become floatx."""
    if isinstance(value, Tensor):
        return value
    array = np.asarray(value)
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    elif array.dtype.kind == "f" or array.dtype.kind == "b":
        array = array.astype(_FLOATX, copy=False)
    return Tensor(np.ascontiguousarray(array))


def convert_to_numpy(value) -> np.ndarray:
    if isinstance(value, Tensor):
        return value.numpy()
    return np.asarray(value)
