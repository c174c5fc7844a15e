"""What ``Trainer.fit`` / ``evaluate`` / ``predict`` do with their inputs before training:
turn arrays, Tensors, Datasets and DataLoaders into one :class:`DataLoader`, cut off a
``validation_split``, shape targets for the loss, and push one batch through the model and
the loss so that bad input fails with a clear error before any weight changes.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from gradlab import autograd
from gradlab.backend import get_default_dtype
from gradlab.data.dataset import Dataset, TensorDataset
from gradlab.data.loader import DataLoader
from gradlab.tensor import Tensor

PROBE_SAMPLES = 4
"""Samples in the batch that :func:`check_first_batch` pushes through the model."""

CLASS_INDEX_LOSSES = ("CrossEntropyLoss", "NLLLoss")
BINARY_LOSSES = ("BCELoss", "BCEWithLogitsLoss")
# losses that take class indices when the target has the output's shape without dim 1
_EITHER_FORM_LOSSES = ("FocalLoss",)


def loss_class_names(loss) -> set[str]:
    """The class names of ``loss`` and its bases: a subclass of CrossEntropyLoss (a loss plus
    a penalty, say) is treated as CrossEntropyLoss."""
    return {cls.__name__ for cls in type(loss).__mro__}


def takes_class_indices(loss, output_shape, target) -> bool:
    """Whether ``loss`` gets ``target`` as integer class indices (N, ...) for an output of
    shape (N, C, ...): always for CrossEntropyLoss/NLLLoss, and for FocalLoss when the target
    is integer and has the output's shape without the class dimension."""
    names = loss_class_names(loss)
    if names & set(CLASS_INDEX_LOSSES):
        return True
    if not names & set(_EITHER_FORM_LOSSES) or len(output_shape) < 2 or output_shape[1] < 2:
        return False
    data = target.numpy() if isinstance(target, Tensor) else np.asarray(target)
    class_free = tuple(output_shape[:1]) + tuple(output_shape[2:])
    return data.dtype.kind in "iu" and tuple(data.shape) == class_free


def as_array(value) -> np.ndarray:
    return value.numpy() if isinstance(value, Tensor) else np.asarray(value)


def with_context(exc: Exception, message: str) -> Exception:
    """An exception of the same type as ``exc`` with ``message`` (RuntimeError when that
    type cannot be built from one message)."""
    try:
        return type(exc)(message)
    except Exception:
        return RuntimeError(message)


def make_loader(where, x, y, batch_size, shuffle=False, generator=None) -> DataLoader:
    """A DataLoader over ``x`` (arrays/Tensors with ``y``, a Dataset, or a DataLoader that
    is returned as it is); ``where`` ("fit", "evaluate", ...) starts every error."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"{where}: batch_size must be a positive integer, got {batch_size!r}")
    if batch_size <= 0:
        raise ValueError(f"{where}: batch_size must be a positive integer, got {batch_size}")
    if isinstance(x, DataLoader):
        if y is not None:
            raise ValueError(f"{where}: x is a DataLoader, so y must be None (got y)")
        if len(x.dataset) == 0:
            raise ValueError(f"{where}: the data is empty (0 samples)")
        return x
    if isinstance(x, Dataset):
        if y is not None:
            raise ValueError(f"{where}: x is a Dataset, so y must be None (got y)")
        dataset = x
    else:
        dataset = arrays_dataset(where, x, y)
    if len(dataset) == 0:
        raise ValueError(f"{where}: the data is empty (0 samples)")
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator)


def arrays_dataset(where, x, y) -> TensorDataset:
    """A TensorDataset of ``x`` (N, ...) and ``y`` (N, ...), floats in the default dtype."""
    xa = as_array(x)
    if xa.ndim == 0:
        raise ValueError(f"{where}: x is a scalar; expected an array of shape (N, ...)")
    if xa.dtype.kind == "f" and xa.dtype != get_default_dtype():
        xa = xa.astype(get_default_dtype())
    if xa.shape[0] == 0:
        raise ValueError(f"{where}: the data is empty (x has shape {xa.shape})")
    if y is None:
        return TensorDataset(xa)
    ya = as_array(y)
    if ya.ndim == 0 or ya.shape[0] != xa.shape[0]:
        raise ValueError(
            f"{where}: x and y have different lengths: x has {xa.shape[0]} samples "
            f"(shape {xa.shape}), y has {ya.shape[0] if ya.ndim else 0} (shape {ya.shape})"
        )
    if ya.dtype.kind == "f" and ya.dtype != get_default_dtype():
        ya = ya.astype(get_default_dtype())
    return TensorDataset(xa, ya)


def split_validation(x, y, validation_data, validation_split):
    """``(x, y, validation_data)`` with the last ``validation_split`` of the samples moved
    from ``(x, y)`` into ``validation_data`` (Keras: the split is taken before shuffling)."""
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"fit: validation_split must be in [0, 1), got {validation_split}")
    if validation_split == 0.0:
        return x, y, validation_data
    if validation_data is not None:
        raise ValueError("fit: give validation_data or validation_split, not both")
    if isinstance(x, (Dataset, DataLoader)):
        raise ValueError(
            "fit: validation_split needs array inputs (x, y); for a Dataset or "
            "DataLoader pass validation_data"
        )
    xa, ya = as_array(x), as_array(y) if y is not None else None
    n_val = int(math.floor(len(xa) * validation_split))
    if n_val == 0 or n_val == len(xa):
        raise ValueError(
            f"fit: validation_split={validation_split} of {len(xa)} samples leaves "
            f"{n_val} for validation and {len(xa) - n_val} for training"
        )
    validation_data = (xa[-n_val:], ya[-n_val:] if ya is not None else None)
    return xa[:-n_val], (ya[:-n_val] if ya is not None else None), validation_data


def split_batch(batch):
    """``(x, y)`` of a batch (y None when the batch has one field)."""
    if isinstance(batch, (list, tuple)):
        return batch[0], (batch[1] if len(batch) > 1 else None)
    return batch, None


def as_target(loss, output: Tensor, y):
    """The target in the form ``loss`` expects: float for non-class-index losses, a (N,)
    column reshaped to the output's (N, 1)."""
    if y is None:
        raise ValueError("Trainer: the batch has no targets (expected (x, y) pairs)")
    y = y if isinstance(y, Tensor) else Tensor(np.asarray(y))
    if not takes_class_indices(loss, output.shape, y):
        if y.numpy().dtype.kind in "iub":
            y = Tensor(y.numpy().astype(output.numpy().dtype))
        if y.ndim == 1 and output.ndim == 2 and output.shape == (y.shape[0], 1):
            y = Tensor(y.numpy().reshape(-1, 1))
    return y


def check_first_batch(model, loss, loader: DataLoader) -> None:
    """One batch through the model and loss under no_grad, and the labels' range, before
    any training step: bad input fails with a clear error, weights untouched."""
    # the first few samples, unshuffled: the probe draws nothing from any generator, and a
    # small batch checks the shapes at a fraction of a training step's cost
    probe_size = min(loader.batch_size, PROBE_SAMPLES)
    probe = DataLoader(loader.dataset, probe_size, collate_fn=loader.collate_fn)
    x, y = split_batch(next(iter(probe)))
    was_training = model.training
    model.eval()
    watch = _watch_probabilities(model, loss)
    try:
        with autograd.no_grad():
            try:
                output = model(x)
                _warn_probabilities(model, loss, output, watch)
            except Exception as exc:
                raise with_context(
                    exc,
                    f"fit: the model cannot take samples of shape {tuple(x.shape[1:])} "
                    f"(tried on a batch of the first {len(x)}): {exc}",
                ) from exc
            _check_labels(loss, loader, output, y)
            target = as_target(loss, output, y)
            try:
                loss(output, target)
            except Exception as exc:
                raise with_context(
                    exc,
                    f"fit: {type(loss).__name__} cannot take the model's output of "
                    f"shape {tuple(output.shape)} with targets of shape "
                    f"{tuple(target.shape)}: {exc}",
                ) from exc
    finally:
        model.train(was_training)
        for handle in watch["handles"]:
            handle.remove()


# losses that apply softmax / sigmoid themselves, and the layers that would do it twice
_LOGIT_LOSSES = {"CrossEntropyLoss": "Softmax", "BCEWithLogitsLoss": "Sigmoid"}


def _watch_probabilities(model, loss) -> dict:
    """Forward hooks that note the outputs of Softmax/Sigmoid modules, when ``loss`` wants
    logits (the model's output being one of them means the loss squashes twice)."""
    watch = {"outputs": {}, "handles": []}
    layer = _LOGIT_LOSSES.get(type(loss).__name__)
    if layer is None or not hasattr(model, "modules"):
        return watch
    for module in model.modules():
        if type(module).__name__ == layer:

            def note(mod, args, out, outputs=watch["outputs"]):
                outputs[id(out)] = mod

            watch["handles"].append(module.register_forward_hook(note))
    return watch


def _warn_probabilities(model, loss, output, watch) -> None:
    module = watch["outputs"].get(id(output))
    if module is not None and not loss.__dict__.get("_warned"):
        object.__setattr__(loss, "_warned", True)  # the loss itself would warn again
        name = type(loss).__name__
        warnings.warn(
            f"fit: the model's output comes from a {type(module).__name__} layer, but {name} "
            f"expects logits (it applies {_LOGIT_LOSSES[name].lower()} itself), so the "
            f"probabilities are squashed twice and training slows or stalls; remove the "
            f"{type(module).__name__} layer (or use "
            f"{'NLLLoss on LogSoftmax' if name == 'CrossEntropyLoss' else 'BCELoss'})",
            UserWarning,
            stacklevel=4,
        )


def _check_labels(loss, loader, output, y_batch) -> None:
    name = type(loss).__name__
    dataset = loader.dataset
    if isinstance(dataset, TensorDataset) and len(dataset.tensors) > 1:
        labels = dataset.tensors[1]
    else:
        labels = as_array(y_batch) if y_batch is not None else None
    if labels is None or labels.size == 0:
        return
    if output.ndim >= 2 and takes_class_indices(loss, output.shape, labels[: output.shape[0]]):
        classes = output.shape[1]
        if labels.dtype.kind not in "iu":
            raise TypeError(
                f"fit: {name} needs integer class labels, got y of dtype {labels.dtype}"
            )
        ignore = getattr(loss, "ignore_index", None)
        bad = ((labels < 0) | (labels >= classes)) & (labels != ignore)
        if bad.any():
            raise ValueError(
                f"fit: labels out of range for {name}: the model outputs {classes} classes "
                f"(output shape {tuple(output.shape)}), so labels must be in [0, {classes}); "
                f"y holds {int(labels[bad].reshape(-1)[0])} (labels range "
                f"{int(labels.min())}..{int(labels.max())})"
            )
    elif loss_class_names(loss) & set(BINARY_LOSSES) and ((labels < 0) | (labels > 1)).any():
        raise ValueError(
            f"fit: labels out of range for {name}: targets must be in [0, 1], y ranges "
            f"{labels.min()}..{labels.max()}"
        )
