"""Optimizer paths on an ill-conditioned quadratic (notes 003, "SGD with Momentum": momentum
"helps to smooth out the updates ... and dampens oscillations").

f(w) = ½ Σ_i h_i w_i², with curvatures h = (1, 20) by default: a long shallow valley along
w₁ with steep walls along w₂ (condition number 20). Plain gradient descent with a step
large enough to make progress along the valley (lr·h₂ = 1.8) overshoots across it at every
step; momentum (PyTorch's and the notes' v ← γv + ∇f, w ← w − lr·v) carries the steady
downhill direction along and lets the alternating one cancel. The paths come from
:class:`gradlab.optim.SGD` on a gradlab tensor, so they are what the library does.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

import gradlab
from gradlab import optim
from gradlab.lab.plots import pyplot, save_figure

__all__ = ["CURVATURE", "OPTIMIZERS", "START", "STEPS", "TOLERANCE", "path_summary", "plot_paths",
           "quadratic", "quadratic_paths"]  # fmt: skip

CURVATURE = (1.0, 20.0)
START = (-4.5, 1.0)
LR = 0.09
STEPS = 60
TOLERANCE = 1e-3  # "reached the minimum": f(w) below this
OPTIMIZERS = {
    "gradient descent": {"lr": LR, "momentum": 0.0},
    "momentum 0.5": {"lr": LR, "momentum": 0.5},
    "momentum 0.9": {"lr": LR, "momentum": 0.9},
}
"""Name -> SGD settings; the same learning rate, so only the momentum differs."""


def quadratic(w: np.ndarray, curvature=CURVATURE) -> np.ndarray:
    """f at points ``w`` (..., 2)."""
    return 0.5 * (np.asarray(curvature) * np.asarray(w) ** 2).sum(axis=-1)


def quadratic_paths(optimizers: Mapping[str, dict] = OPTIMIZERS, steps: int = STEPS,
                    start=START, curvature=CURVATURE) -> dict[str, np.ndarray]:  # fmt: skip
    """Each optimizer's iterates from ``start``: name -> (steps + 1, 2) float64, row 0 the
    start. ``optimizers``: name -> keyword arguments of ``optim.SGD``."""
    h = gradlab.tensor(np.asarray(curvature, dtype=np.float64))
    paths = {}
    for name, settings in optimizers.items():
        w = gradlab.tensor(np.asarray(start, dtype=np.float64), requires_grad=True)
        optimizer = optim.SGD([w], **settings)
        points = [w.numpy().copy()]
        for _ in range(steps):
            optimizer.zero_grad()
            loss = (h * w * w).sum() * 0.5
            loss.backward()
            optimizer.step()
            points.append(w.numpy().copy())
        paths[name] = np.array(points)
    return paths


def path_summary(path: np.ndarray, curvature=CURVATURE) -> dict[str, float]:
    """``steps_to_min``: the first step with f < TOLERANCE (NaN if none); ``f_20``: f after
    20 steps; ``across``: Σ|Δw₂|, the distance travelled across the valley (the zigzag);
    ``sign_changes``: how often w₂ changed sign (each one a crossing of the valley floor)."""
    f = quadratic(path, curvature)
    below = np.flatnonzero(f < TOLERANCE)
    steep = path[:, int(np.argmax(curvature))]
    return {
        "steps_to_min": float(below[0]) if below.size else float("nan"),
        "f_20": float(f[min(20, len(f) - 1)]),
        "across": float(np.abs(np.diff(steep)).sum()),
        "sign_changes": float(np.count_nonzero(np.diff(np.sign(steep)) != 0)),
    }


def plot_paths(paths: Mapping[str, np.ndarray], path, curvature=CURVATURE,
               title: str | None = None):  # fmt: skip
    """Contours of f (log-spaced levels) with each optimizer's path drawn over them."""
    plt = pyplot()
    points = np.concatenate(list(paths.values()))
    span_x = max(np.abs(points[:, 0]).max() * 1.1, 1.0)
    span_y = max(np.abs(points[:, 1]).max() * 1.2, 0.5)
    gx, gy = np.meshgrid(np.linspace(-span_x, span_x, 300), np.linspace(-span_y, span_y, 300))
    f = quadratic(np.stack([gx, gy], axis=-1), curvature)
    figure, axis = plt.subplots(figsize=(8.0, 4.2))
    levels = np.geomspace(max(f.min(), 1e-3), f.max(), 14)
    axis.contour(gx, gy, f, levels=levels, colors="0.75", linewidths=0.8)
    for (name, iterates), marker in zip(paths.items(), "os^dv"):
        axis.plot(iterates[:, 0], iterates[:, 1], marker=marker, markersize=3, linewidth=1.2,
                  label=name)  # fmt: skip
    axis.plot(*points[0], "k*", markersize=10, label="start")
    axis.plot(0, 0, "kx", markersize=8, label="minimum")
    axis.set_xlabel(f"w₁ (shallow, h = {curvature[0]:g})")
    axis.set_ylabel(f"w₂ (steep, h = {curvature[1]:g})")
    axis.set_title(title or "f(w) = ½(h₁w₁² + h₂w₂²)")
    axis.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    return save_figure(figure, path)
