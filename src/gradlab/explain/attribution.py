"""Per-feature gradient attribution: which inputs move a model's output, and which way.

For a model output y (a logit, or the score of one class) and an input sample x:

- ``"gradient"`` (saliency): ∂y/∂x_j, how much y changes per unit change of feature j;
- ``"gradient_x_input"``: x_j · ∂y/∂x_j, the first-order share of feature j in y relative
  to an all-zero input (for a linear model exactly w_j·x_j, the term feature j adds to y).

Both come per sample; :class:`Attribution` averages them over samples, signed (``mean``: the
typical direction) and absolute (``mean_abs``: the typical strength), and ranks features
by ``mean_abs``. With standardized features, "zero input" is the average patient, image...

The model runs in eval mode (dropout off, batch norm on running statistics), so samples do
not interact and one backward pass of the summed outputs gives every per-sample gradient.
Parameter gradients are left untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gradlab.autograd import enable_grad
from gradlab.backend import get_default_dtype, xp
from gradlab.tensor import Tensor

__all__ = ["Attribution", "feature_attribution", "input_gradients"]

METHODS = ("gradient", "gradient_x_input")


def _selected(output: Tensor, target, n: int) -> Tensor:
    """The (N,) outputs to explain: the single output, or one class score per sample."""
    if output.ndim == 1 or (output.ndim == 2 and output.shape[1] == 1):
        return output.reshape(n)
    if output.ndim != 2:
        raise ValueError(
            f"input_gradients: the model output has shape {tuple(output.shape)}; expected "
            f"(N,), (N, 1) or (N, C) class scores"
        )
    classes = output.shape[1]
    if target is None:
        index = output.numpy().argmax(axis=1)
    else:
        index = np.broadcast_to(np.asarray(target, dtype=np.int64).reshape(-1), (n,))
        bad = index[(index < 0) | (index >= classes)]
        if bad.size:
            raise ValueError(
                f"input_gradients: target holds class {int(bad[0])} but the model outputs "
                f"{classes} classes (shape {tuple(output.shape)})"
            )
    mask = np.zeros(output.shape, dtype=output.numpy().dtype)
    mask[np.arange(n), index] = 1.0
    return (output * Tensor(mask)).sum(dim=1)


def input_gradients(model, x, target=None, batch_size: int = 256) -> np.ndarray:
    """∂y/∂x for every sample: an array of x's shape (N, ...).

    Args:
        model: a Module (or callable) mapping x (N, ...) to (N,), (N, 1) or (N, C).
        x: inputs, array or Tensor (N, ...).
        target: for (N, C) outputs, the class whose score y is: None (each sample's
            predicted class), an int (that class for all) or an (N,) array of classes.
        batch_size: samples per backward pass.
    """
    data = x.numpy() if isinstance(x, Tensor) else np.asarray(x)
    if data.ndim == 0 or data.shape[0] == 0:
        raise ValueError(f"input_gradients: x has shape {data.shape}; expected (N, ...), N > 0")
    if data.dtype.kind != "f":
        data = data.astype(get_default_dtype())
    params = list(model.parameters()) if hasattr(model, "parameters") else []
    flags = [p.requires_grad for p in params]
    was_training = getattr(model, "training", None)
    if was_training is not None:
        model.eval()
    targets = None if target is None or np.ndim(target) == 0 else np.asarray(target).reshape(-1)
    if targets is not None and len(targets) != len(data):
        raise ValueError(
            f"input_gradients: target has {len(targets)} entries for {len(data)} samples"
        )
    grads = np.empty_like(data)
    try:
        for p in params:
            p.requires_grad_(False)
        with enable_grad():
            for start in range(0, len(data), batch_size):
                stop = min(start + batch_size, len(data))
                xb = Tensor(xp.array(data[start:stop]), requires_grad=True)
                tb = target if targets is None else targets[start:stop]
                y = _selected(model(xb), tb, stop - start)
                y.sum().backward()
                grads[start:stop] = xb.grad
    finally:
        for p, flag in zip(params, flags, strict=True):
            p.requires_grad_(flag)
        if was_training is not None:
            model.train(was_training)
    return grads


@dataclass
class Attribution:
    """Per-sample attributions ``values`` (N, ...) by ``method``, with their averages.

    ``mean`` (...): signed average over samples; ``mean_abs`` (...): average magnitude;
    ``feature_names``: one name per feature of flat (N, F) inputs (else None).
    """

    method: str
    values: np.ndarray
    feature_names: list[str] | None = None
    mean: np.ndarray = field(init=False)
    mean_abs: np.ndarray = field(init=False)

    def __post_init__(self):
        self.mean = self.values.mean(axis=0)
        self.mean_abs = np.abs(self.values).mean(axis=0)

    def ranking(self) -> np.ndarray:
        """Flat feature indices, strongest (largest ``mean_abs``) first."""
        return np.argsort(-self.mean_abs.reshape(-1), kind="stable")

    def _name(self, index: int) -> str:
        if self.feature_names is not None:
            return self.feature_names[index]
        return f"x[{', '.join(map(str, np.unravel_index(index, self.mean.shape)))}]"

    def top(self, k: int = 10) -> list[tuple[str, float, float]]:
        """The k strongest features as (name, mean, mean_abs)."""
        flat_mean, flat_abs = self.mean.reshape(-1), self.mean_abs.reshape(-1)
        return [(self._name(int(i)), float(flat_mean[i]), float(flat_abs[i]))
                for i in self.ranking()[:k]]  # fmt: skip

    def to_text(self, k: int = 10) -> str:
        """A table of the k strongest features."""
        rows = self.top(k)
        width = max([len("feature"), *(len(name) for name, _, _ in rows)])
        lines = [f"{'feature':<{width}}  {'mean':>10}  {'mean |.|':>10}",
                 f"{'-' * width}  {'-' * 10}  {'-' * 10}"]  # fmt: skip
        lines += [f"{name:<{width}}  {mean:>10.4f}  {mag:>10.4f}" for name, mean, mag in rows]
        return "\n".join(lines)

    def plot(self, path, k: int = 15, title: str | None = None) -> Path:
        """A horizontal bar chart of the k strongest features' signed mean, written to
        ``path`` (PNG by extension; needs matplotlib)."""
        from gradlab.figures import pyplot, save_figure

        rows = self.top(k)[::-1]
        fig, ax = pyplot().subplots(figsize=(7, 0.3 * len(rows) + 1.5))
        colors = ["tab:red" if mean > 0 else "tab:blue" for _, mean, _ in rows]
        ax.barh([name for name, _, _ in rows], [mean for _, mean, _ in rows], color=colors)
        ax.axvline(0.0, color="black", linewidth=0.8)
        ax.set_xlabel(f"mean {self.method} over {len(self.values)} samples")
        ax.set_title(title or f"Feature attribution ({self.method})")
        fig.tight_layout()
        return save_figure(fig, path)


def feature_attribution(model, x, target=None, method: str = "gradient",
                        feature_names=None, batch_size: int = 256) -> Attribution:  # fmt: skip
    """Gradient attribution of ``model``'s output to each input feature of ``x`` (N, ...),
    per sample and averaged (see the module docstring). ``method``: "gradient" or
    "gradient_x_input"; ``target`` as in :func:`input_gradients`."""
    if method not in METHODS:
        raise ValueError(f"feature_attribution: method must be one of {METHODS}, got {method!r}")
    data = x.numpy() if isinstance(x, Tensor) else np.asarray(x)
    grads = input_gradients(model, data, target, batch_size)
    values = grads if method == "gradient" else grads * data.astype(grads.dtype)
    names = list(feature_names) if feature_names is not None else None
    if names is not None and len(names) != int(np.prod(data.shape[1:])):
        raise ValueError(
            f"feature_attribution: {len(names)} feature_names for inputs of shape "
            f"{data.shape} ({int(np.prod(data.shape[1:]))} features per sample)"
        )
    return Attribution(method, values, names)
