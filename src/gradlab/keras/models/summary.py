"""``model.summary()``: Keras 3's table of layers, output shapes and parameter counts."""

from __future__ import annotations

import numpy as np


def _count(weights) -> int:
    return int(sum(int(np.prod(w.shape)) for w in weights))


def _bytes(n: int) -> str:
    size = n * 4.0
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024
    return ""


def _shape(layer) -> str:
    try:
        out = layer.output
    except AttributeError:
        return "?"
    if isinstance(out, list):
        return ", ".join(str(t.shape) for t in out)
    return str(out.shape)


def render(model, line_length=None) -> str:
    widths = (33, 24, 15)
    rows = []
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            rows.append((f"{layer.name} (InputLayer)", str(layer.batch_shape), "0"))
            continue
        rows.append(
            (
                f"{layer.name} ({type(layer).__name__})",
                _shape(layer),
                f"{layer.count_params():,}" if layer.built else "0 (unbuilt)",
            )
        )
    top = "┏" + "┳".join("━" * w for w in widths) + "┓"
    head = (
        "┃"
        + "┃".join(
            f" {t:<{w - 2}} " if i < 2 else f" {t:>{w - 2}} "
            for i, (t, w) in enumerate(zip(("Layer (type)", "Output Shape", "Param #"), widths))
        )
        + "┃"
    )
    sep = "┡" + "╇".join("━" * w for w in widths) + "┩"
    body = [
        "│"
        + "│".join(
            f" {t:<{w - 2}} " if i < 2 else f" {t:>{w - 2}} "
            for i, (t, w) in enumerate(zip(row, widths))
        )
        + "│"
        for row in rows
    ]
    bottom = "└" + "┴".join("─" * w for w in widths) + "┘"
    total = _count(model.weights)
    trainable = _count(model.trainable_weights)
    lines = [
        f'Model: "{model.name}"',
        top,
        head,
        sep,
        *body,
        bottom,
        f" Total params: {total:,} ({_bytes(total)})",
        f" Trainable params: {trainable:,} ({_bytes(trainable)})",
        f" Non-trainable params: {total - trainable:,} ({_bytes(total - trainable)})",
    ]
    return "\n".join(lines)
