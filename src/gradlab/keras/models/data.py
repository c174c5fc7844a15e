"""Arrays in, batches out: the data side of ``fit`` / ``evaluate`` / ``predict``.

``x`` is an array, a list/tuple of arrays (several inputs) or a dict of arrays (by Input
name); ``y`` likewise (several outputs) or None; all share their first dimension. gradlab
Tensors are accepted as arrays.
"""

from __future__ import annotations

import math

import numpy as np

from gradlab.backend import default_generator
from gradlab.tensor import Tensor


def as_array(value, what: str) -> np.ndarray:
    if isinstance(value, Tensor):
        return value.numpy()
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor
        return value.detach().cpu().numpy()
    try:
        return np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what}: expected an array, got {type(value).__name__}") from exc


def structure(value, what: str):
    """Arrays of a nested list/tuple/dict (one level), as the same structure."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: as_array(v, f"{what}[{k!r}]") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_array(v, f"{what}[{i}]") for i, v in enumerate(value)]
    return as_array(value, what)


def leaves(value) -> list:
    if value is None:
        return []
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return value
    return [value]


def take(value, index):
    """The rows ``index`` (a slice or an index array) of every array in ``value``."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: v[index] for k, v in value.items()}
    if isinstance(value, list):
        return [v[index] for v in value]
    return value[index]


def num_samples(caller: str, *values) -> int:
    sizes = {}
    for name, value in zip(("x", "y", "sample_weight"), values):
        for a in leaves(value):
            if a.ndim == 0:
                raise ValueError(f"{caller}: {name} must have a batch dimension, got a scalar")
            sizes.setdefault(name, set()).add(a.shape[0])
    all_sizes = set().union(*sizes.values()) if sizes else set()
    if len(all_sizes) > 1:
        detail = ", ".join(f"{k} sizes: {sorted(v)}" for k, v in sizes.items())
        raise ValueError(
            f"{caller}: data cardinality is ambiguous; make sure all arrays contain the same "
            f"number of samples ({detail})"
        )
    if not all_sizes:
        raise ValueError(f"{caller}: no data given (x is None)")
    return all_sizes.pop()


def batches(n: int, batch_size: int, shuffle):
    """Index slices (or arrays, when shuffled) of successive batches of one epoch."""
    steps = math.ceil(n / batch_size)
    if shuffle:
        order = default_generator().permutation(n)
        return [order[i * batch_size : (i + 1) * batch_size] for i in range(steps)]
    return [slice(i * batch_size, min((i + 1) * batch_size, n)) for i in range(steps)]


def validation_split(x, y, sample_weight, split: float):
    """Keras's split: the last ``split`` fraction of the samples (before any shuffling)."""
    if not 0 < split < 1:
        raise ValueError(f"fit: validation_split must be in (0, 1), got {split}")
    n = num_samples("fit", x, y, sample_weight)
    at = int(math.floor(n * (1.0 - split)))
    if at == 0 or at == n:
        raise ValueError(
            f"fit: validation_split={split} leaves no samples for training or for validation "
            f"(of {n} samples)"
        )
    head, tail = slice(0, at), slice(at, n)
    return (
        (take(x, head), take(y, head), take(sample_weight, head)),
        (take(x, tail), take(y, tail), take(sample_weight, tail)),
    )


def class_weights(y, class_weight: dict) -> np.ndarray:
    """Per-sample weights from a {class: weight} dict and labels (sparse or one-hot)."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        y = np.argmax(y, axis=1)
    elif y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    labels = np.round(y).astype(np.int64)
    missing = sorted(set(np.unique(labels).tolist()) - set(class_weight))
    if missing:
        raise ValueError(f"fit: class_weight has no weight for classes {missing}")
    return np.array([class_weight[int(c)] for c in labels], dtype=np.float32)


def unpack_validation(validation_data):
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        raise ValueError(
            "fit: validation_data must be a tuple (x_val, y_val) or (x_val, y_val, "
            f"val_sample_weight), got {type(validation_data).__name__}"
        )
    if len(validation_data) == 2:
        return validation_data[0], validation_data[1], None
    return tuple(validation_data)
