"""Gradient flow: the gradient norm of every layer at every batch of the first epoch, and a
verdict: vanishing, exploding or healthy (notes 002, "vanishing/exploding gradients").

:func:`gradient_flow` trains the model for one epoch with :class:`~gradlab.train.Trainer` and
records, after each batch's ``backward()``, the L2 norm of each layer's gradient (all of the
layer's parameters together: ``sqrt(sum of squared gradient entries)``). A "layer" is a
module that owns parameters directly (a Linear, a Conv2d, a BatchNorm...); layers are listed
in the order of ``model.named_parameters()``, which for a Sequential stack runs from the input
to the output.

The verdict's rule (:data:`RULE`), on each layer's median norm over the epoch's batches:

* exploding: some norm is inf or nan, or some layer's norm exceeds ``explode_norm``
  (default 1e3) at some batch;
* vanishing: the first (input-side) layer's median norm is below ``vanish_ratio`` (default
  1e-3) times the last (output-side) layer's, or every layer's median norm is below
  ``vanish_norm`` (default 1e-7);
* healthy otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gradlab.train.callbacks import Callback
from gradlab.train.trainer import Trainer

__all__ = ["GradientFlowResult", "gradient_flow", "judge_gradient_flow", "RULE", "layer_groups"]

RULE = (
    "exploding: a gradient norm is inf/nan or some layer's norm exceeds {explode_norm:g} at a "
    "batch; vanishing: the first layer's median norm is below {vanish_ratio:g} x the last "
    "layer's, or every layer's median norm is below {vanish_norm:g}; healthy otherwise"
)
"""The verdict's rule; ``RULE.format(explode_norm=..., vanish_ratio=..., vanish_norm=...)``."""


def layer_groups(model) -> dict[str, list]:
    """``{layer name: [its parameters]}`` in parameter order; the layer name is the parameter
    name without its last part (``layers.0.weight`` -> ``layers.0``; "(model)" for parameters
    the model itself owns)."""
    groups: dict[str, list] = {}
    for name, param in model.named_parameters():
        layer = name.rpartition(".")[0] or "(model)"
        groups.setdefault(layer, []).append(param)
    return groups


def _layer_labels(model, names) -> list[str]:
    modules = dict(model.named_modules())
    return [f"{name} ({type(modules[name]).__name__})" if name in modules else name
            for name in names]  # fmt: skip


class _NormRecorder(Callback):
    """Each layer's gradient norm after every batch (read before the next ``zero_grad``)."""

    def __init__(self, groups: dict[str, list]):
        self.groups = groups
        self.rows: list[list[float]] = []
        self.losses: list[float] = []

    def on_batch_end(self, batch, logs=None):
        row = []
        for params in self.groups.values():
            total = 0.0
            for p in params:
                if p.grad is not None:
                    g = np.asarray(p.grad, dtype=np.float64)
                    total += float(np.sum(g * g))
            row.append(math.sqrt(total))
        self.rows.append(row)
        self.losses.append(float((logs or {}).get("loss", math.nan)))


@dataclass
class GradientFlowResult:
    """``layers`` (L names, input side first), ``norms`` (batches, L), ``losses`` (batches,),
    ``verdict`` ("vanishing" | "exploding" | "healthy"), ``reason`` (why), ``rule``."""

    layers: list[str]
    norms: np.ndarray
    losses: np.ndarray
    verdict: str
    reason: str
    rule: str

    @property
    def medians(self) -> np.ndarray:
        """Each layer's median norm over the batches with a finite norm, shape (L,) (nan for
        a layer without one)."""
        return _finite_stat(np.nanmedian, self.norms)

    def to_text(self) -> str:
        width = max(len("layer"), *(len(n) for n in self.layers))
        lines = [
            f"gradient norms over the first epoch ({self.norms.shape[0]} batches), "
            "input side first",
            f"  {'layer':<{width}}  {'first batch':>11}  {'median':>11}  {'min':>11}  {'max':>11}",
        ]
        stats = [self.norms[0], self.medians, _finite_stat(np.nanmin, self.norms),
                 _finite_stat(np.nanmax, self.norms)]  # fmt: skip
        for k, name in enumerate(self.layers):
            lines.append(f"  {name:<{width}}" + "".join(f"  {s[k]:>11.4g}" for s in stats))
        bad = int((~np.isfinite(self.norms)).any(axis=1).sum())
        if bad:
            lines.append(f"  ({bad} of {self.norms.shape[0]} batches have inf/nan norms; the "
                         "statistics are over the finite ones)")  # fmt: skip
        lines += [f"verdict: {self.verdict} ({self.reason})", f"rule: {self.rule}"]
        return "\n".join(lines)

    def plot(self, path, title: str | None = None):
        """Two panels: each layer's norm per batch, and the median norm by depth (log y)."""
        from gradlab.figures import pyplot, save_figure

        figure = pyplot().figure(figsize=(11, 4))
        self._draw(figure, title)
        return save_figure(figure, path)

    def _repr_png_(self):
        """The plot of :meth:`plot`, for Jupyter."""
        from gradlab._display import figure_png

        return figure_png(self._draw, size=(11, 4))

    def _repr_pretty_(self, printer, cycle):
        printer.text(self.to_text())

    def _draw(self, figure, title: str | None = None) -> None:
        from matplotlib import colormaps
        from matplotlib.ticker import MaxNLocator

        left, right = figure.subplots(1, 2)
        batches = np.arange(1, self.norms.shape[0] + 1)
        shown = np.where(np.isfinite(self.norms) & (self.norms > 0), self.norms, np.nan)
        colors = colormaps["viridis"](np.linspace(0, 0.9, len(self.layers)))
        for k, name in enumerate(self.layers):
            left.plot(batches, shown[:, k], color=colors[k], label=name)
        left.set(xlabel="batch (first epoch)", ylabel="gradient L2 norm",
                 title="per layer, per batch")  # fmt: skip
        left.xaxis.set_major_locator(MaxNLocator(integer=True))
        left.legend(fontsize=7)
        medians = np.where(self.medians > 0, self.medians, np.nan)
        right.plot(np.arange(len(self.layers)), medians, marker="o")
        right.set_xticks(np.arange(len(self.layers)), self.layers, rotation=45, ha="right",
                         fontsize=7)  # fmt: skip
        right.set(ylabel="median gradient L2 norm", title="by depth (input first)")
        for axis, values in ((left, shown), (right, medians)):
            if np.isfinite(values).any():  # a log axis needs one positive value
                axis.set_yscale("log")
            axis.grid(alpha=0.3, which="both")
        figure.suptitle(title or f"gradient flow: {self.verdict}")
        figure.tight_layout()


def _finite_stat(stat, norms: np.ndarray) -> np.ndarray:
    """``stat`` (nanmedian, nanmin, nanmax) per column over the finite entries."""
    finite = np.where(np.isfinite(norms), norms, np.nan)
    out = np.full(norms.shape[1], np.nan)
    has = np.isfinite(finite).any(axis=0)
    out[has] = stat(finite[:, has], axis=0)
    return out


def judge_gradient_flow(norms: np.ndarray, explode_norm: float = 1e3, vanish_ratio: float = 1e-3,
                        vanish_norm: float = 1e-7, names=None) -> tuple[str, str]:  # fmt: skip
    """``(verdict, reason)`` for norms of shape (batches, layers), by :data:`RULE`; ``names``
    (one per layer) label the layers in the reason."""
    norms = np.asarray(norms, dtype=np.float64)
    if norms.ndim != 2 or norms.size == 0:
        raise ValueError(f"judge_gradient_flow: expected norms of shape (batches, layers), "
                         f"got {norms.shape}")  # fmt: skip

    def label(k) -> str:
        return f"layer {names[k]}" if names is not None else f"layer {k}"

    over = ~np.isfinite(norms) | (norms > explode_norm)
    if over.any():
        batch, k = np.argwhere(over)[0]  # the first batch where it happens
        value = norms[batch, k]
        what = (f"a norm of {value:.3g} > {explode_norm:g}" if np.isfinite(value)
                else f"a non-finite gradient norm ({value})")  # fmt: skip
        return "exploding", f"{label(k)} has {what} at batch {batch + 1}"
    medians = np.median(norms, axis=0)
    if medians.max() < vanish_norm:
        return "vanishing", f"every layer's median norm is below {vanish_norm:g}"
    first, last = medians[0], medians[-1]
    ratio = first / last if last > 0 else math.inf
    if ratio < vanish_ratio:
        return "vanishing", (f"the first layer's median norm {first:.3g} is {ratio:.2g} x the "
                             f"last layer's {last:.3g} (< {vanish_ratio:g})")  # fmt: skip
    return "healthy", (f"norms within bounds; first/last layer median ratio {ratio:.3g}, "
                       f"largest norm {norms.max():.3g}")  # fmt: skip


def gradient_flow(model, loss, optimizer, x, y=None, batch_size: int = 32, shuffle: bool = True,
                  generator=None, explode_norm: float = 1e3, vanish_ratio: float = 1e-3,
                  vanish_norm: float = 1e-7) -> GradientFlowResult:  # fmt: skip
    """Train ``model`` for one epoch on ``(x, y)`` (arrays, a Dataset or a DataLoader, as
    :meth:`Trainer.fit` takes them) and record every layer's gradient norm at every batch.

    The model and optimizer are trained (one epoch), not restored. Returns a
    :class:`GradientFlowResult` with norms of shape (batches, layers).
    """
    groups = layer_groups(model)
    if not groups:
        raise ValueError(f"gradient_flow: {type(model).__name__} has no parameters")
    recorder = _NormRecorder(groups)
    trainer = Trainer(model, loss, optimizer, callbacks=[recorder])
    with np.errstate(over="ignore", invalid="ignore"):  # exploding is an outcome, not an error
        trainer.fit(x, y, epochs=1, batch_size=batch_size, shuffle=shuffle, verbose=0,
                    generator=generator)  # fmt: skip
    norms = np.asarray(recorder.rows, dtype=np.float64)
    names = list(groups)
    verdict, reason = judge_gradient_flow(norms, explode_norm, vanish_ratio, vanish_norm, names)
    rule = RULE.format(explode_norm=explode_norm, vanish_ratio=vanish_ratio,
                       vanish_norm=vanish_norm)  # fmt: skip
    return GradientFlowResult(_layer_labels(model, names), norms,
                              np.asarray(recorder.losses), verdict, reason, rule)  # fmt: skip
