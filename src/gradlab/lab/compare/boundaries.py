"""Decision boundaries of classifiers on 2-D inputs, drawn as images: each model's predicted
class over a grid covering the data, its boundary, and the training points on top."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from gradlab.autograd import no_grad
from gradlab.lab.plots import pyplot, save_figure
from gradlab.tensor import Tensor

__all__ = ["Grid", "class_probabilities", "grid_accuracy_note", "plot_boundaries"]

COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown")


class Grid:
    """A ``resolution`` x ``resolution`` grid over the box around points ``x`` (N, 2),
    widened by ``margin`` of its span on every side. ``xx``, ``yy``: (R, R) coordinates;
    ``points``: (R·R, 2) float32, row-major, for a model."""

    def __init__(self, x, resolution: int = 150, margin: float = 0.1):
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != 2:
            raise ValueError(f"Grid: points have shape {x.shape}, expected (N, 2)")
        low, high = x.min(axis=0), x.max(axis=0)
        pad = margin * np.maximum(high - low, 1e-6)
        xs = np.linspace(low[0] - pad[0], high[0] + pad[0], resolution)
        ys = np.linspace(low[1] - pad[1], high[1] + pad[1], resolution)
        self.xx, self.yy = np.meshgrid(xs, ys)
        self.points = np.stack([self.xx.ravel(), self.yy.ravel()], axis=1).astype(np.float32)
        self.extent = (self.xx.min(), self.xx.max(), self.yy.min(), self.yy.max())


def class_probabilities(model, points: np.ndarray) -> np.ndarray:
    """Softmax of the model's class logits (B, C) at ``points`` (B, 2), in eval mode,
    without gradients; a single logit (B, 1) gives (1 − p, p). Returns (B, C) float64."""
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            logits = np.asarray(model(Tensor(points)).numpy(), dtype=np.float64)
    finally:
        model.train(was_training)
    if logits.ndim == 1 or logits.shape[1] == 1:
        p = 1.0 / (1.0 + np.exp(-logits.reshape(-1)))
        return np.stack([1.0 - p, p], axis=1)
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def plot_boundaries(panels: Mapping[str, np.ndarray], grid: Grid, x, y, path,
                    titles: Mapping[str, str] | None = None, title: str | None = None):  # fmt: skip
    """One panel per model: the predicted class over ``grid`` as a light image, shaded by
    the model's confidence, the boundary (where the top class changes) as a black line, and
    the points ``x`` (N, 2) coloured by their labels ``y`` (N,).

    Args:
        panels: name -> class probabilities at ``grid.points``, (R·R, C).
        titles: name -> the panel's title (default the name).
    """
    plt = pyplot()
    from matplotlib.colors import to_rgb  # matplotlib is there: pyplot() checked it

    x, y = np.asarray(x), np.asarray(y).reshape(-1)
    shape = grid.xx.shape
    figure, axes = plt.subplots(1, len(panels), figsize=(4.0 * len(panels), 3.9), squeeze=False)
    for axis, (name, probs) in zip(axes[0], panels.items()):
        probs = np.asarray(probs, dtype=np.float64)
        label = probs.argmax(axis=1).reshape(shape)
        confidence = probs.max(axis=1).reshape(shape)
        classes = probs.shape[1]
        palette = np.array([to_rgb(COLORS[k % len(COLORS)]) for k in range(classes)])
        # pale near the boundary (confidence 1/C), the class colour where the model is sure
        strength = ((confidence - 1.0 / classes) / (1.0 - 1.0 / classes)).clip(0, 1)[..., None]
        image = 1.0 - (0.15 + 0.35 * strength) * (1.0 - palette[label])
        axis.imshow(image, origin="lower", extent=grid.extent, aspect="auto",
                    interpolation="bilinear")  # fmt: skip
        axis.contour(grid.xx, grid.yy, label, levels=np.arange(classes) + 0.5, colors="k",
                     linewidths=1.0)  # fmt: skip
        for k in range(classes):
            mine = y == k
            axis.scatter(x[mine, 0], x[mine, 1], s=12, color=COLORS[k % len(COLORS)],
                         edgecolors="white", linewidths=0.4)  # fmt: skip
        axis.set_title((titles or {}).get(name, name), fontsize=10)
        axis.set_xticks([])
        axis.set_yticks([])
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return save_figure(figure, path)


def grid_accuracy_note(train_accuracy: float, test_accuracy: float) -> str:
    """``train 1.000, test 0.870`` for a panel title (``nan`` shown as such)."""

    def show(v):
        return "nan" if not math.isfinite(v) else f"{v:.3f}"

    return f"train {show(train_accuracy)}, test {show(test_accuracy)}"
