"""``save_weights`` / ``load_weights`` on gradlab's checkpoint format (safetensors plus a JSON
header, written atomically; no pickle). Weights are keyed by their place in the model,
``"<layer index>/<layer class in snake case>/<weight name>"``, so a model rebuilt in code (with
other automatic layer names) loads them. Any path suffix is accepted (Keras's
``.weights.h5`` included); the file is always gradlab's format, not HDF5."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gradlab.keras.backend import to_snake_case
from gradlab.train import checkpoint


def weight_table(model) -> dict:
    """key -> weight Tensor, in layer order."""
    table = {}
    for i, layer in enumerate(model.layers):
        for name, *_ in layer._weight_specs:
            table[f"{i}/{to_snake_case(type(layer).__name__)}/{name}"] = getattr(layer, name)
        for j, w in enumerate(w for w in layer.weights if not _own(layer, w)):
            table[f"{i}/{to_snake_case(type(layer).__name__)}/nested_{j}"] = w
    return table


def _own(layer, w) -> bool:
    return any(getattr(layer, n) is w for n, *_ in layer._weight_specs)


def save_weights(model, filepath, overwrite=True) -> None:
    path = Path(filepath)
    if path.exists() and not overwrite:
        raise FileExistsError(f"save_weights: {path} exists and overwrite=False")
    if not model.built:
        raise ValueError(f"save_weights: model {model.name!r} is not built yet (no weights)")
    checkpoint.save({k: np.asarray(v.numpy()) for k, v in weight_table(model).items()}, path)


def load_weights(model, filepath, skip_mismatch=False) -> None:
    state = checkpoint.load(filepath)
    table = weight_table(model)
    problems = []
    missing = [k for k in table if k not in state]
    extra = [k for k in state if k not in table]
    if missing:
        problems.append(f"weights the model has but the file lacks: {missing}")
    if extra:
        problems.append(f"weights in the file that the model lacks: {extra}")
    for k in table.keys() & state.keys():
        if tuple(np.shape(state[k])) != tuple(table[k].shape):
            problems.append(
                f"{k}: file has shape {tuple(np.shape(state[k]))}, model has "
                f"{tuple(table[k].shape)}"
            )
    if problems and not skip_mismatch:
        raise ValueError(f"load_weights({filepath}): " + "; ".join(problems))
    for k, w in table.items():
        if k in state and tuple(np.shape(state[k])) == tuple(w.shape):
            w.numpy()[...] = state[k]
