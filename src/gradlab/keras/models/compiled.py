"""The compiled half of Keras's training API: ``compile`` (losses, loss weights and metrics
per output), ``compute_loss``, the running metrics, and one ``train_step`` / ``test_step``.
The loops over data (``fit``, ``evaluate``, ``predict``) are :mod:`gradlab.keras.models.trainer`.
"""

from __future__ import annotations

import numpy as np

from gradlab import autograd
from gradlab.keras import losses as L
from gradlab.keras import metrics as M
from gradlab.keras import optimizers
from gradlab.keras.models import data as D


def _as_list(value, n: int, what: str, names) -> list:
    """A per-output spec: one value for every output, a list, or a dict by output name."""
    if isinstance(value, dict):
        unknown = [k for k in value if k not in names]
        if unknown:
            raise ValueError(
                f"compile: {what} names unknown outputs {unknown}; outputs are {names}"
            )
        return [value.get(name) for name in names]
    if isinstance(value, (list, tuple)) and n > 1:
        if len(value) != n:
            raise ValueError(f"compile: {what} has {len(value)} entries, the model {n} outputs")
        return list(value)
    return [value] * n


class Compiled:
    """The state ``compile`` sets and the one-step methods that use it."""

    def __init__(self):
        self.optimizer = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._compiled_losses = None
        self._metrics = None

    # ------------------------------------------------------------------ compile
    def compile(
        self,
        optimizer="rmsprop",
        loss=None,
        loss_weights=None,
        metrics=None,
        weighted_metrics=None,
        run_eagerly=False,
        steps_per_execution=1,
        jit_compile="auto",
        auto_scale_loss=True,
    ):
        """Set the optimizer (name or object), the loss (name, Loss or function; per output:
        a list or dict) and the metrics (names such as "accuracy", Metric objects or
        functions)."""
        self.optimizer = optimizers.get(optimizer)
        self._loss_spec, self._loss_weights = loss, loss_weights
        self._metric_spec, self._weighted_spec = metrics, weighted_metrics
        self._compiled_losses, self._metrics = None, None
        self._loss_tracker = M.Mean(name="loss")
        self.compiled = True

    @property
    def metrics_names(self) -> list:
        names = ["loss"]
        for _, metric, _ in self._metrics or []:
            names.append(metric.name)
        return names

    @property
    def metrics(self) -> list:
        return [self._loss_tracker] + [m for _, m, _ in self._metrics or []]

    def _output_names(self, n: int) -> list:
        names = getattr(self, "output_names", None)
        return list(names) if names and len(names) == n else [f"output_{i}" for i in range(n)]

    def _prepare(self, ys: list, preds: list) -> None:
        """Resolve the losses and metrics once the first batch's shapes are known."""
        n = len(preds)
        names = self._output_names(n)
        if self._loss_spec is None:
            raise ValueError("compile: a loss is needed to train or evaluate (loss=None)")
        loss_specs = _as_list(self._loss_spec, n, "loss", names)
        weights = _as_list(
            self._loss_weights if self._loss_weights is not None else 1.0, n, "loss_weights", names
        )
        self._compiled_losses = []
        for spec, w in zip(loss_specs, weights):
            if spec is None:
                self._compiled_losses.append(None)
                continue
            fn = L.get(spec)
            if not isinstance(fn, L.Loss):
                fn = L.LossFunctionWrapper(fn, name=getattr(fn, "__name__", None))
            self._compiled_losses.append((fn, float(w)))
        self._metrics = []
        for spec, weighted in ((self._metric_spec, False), (self._weighted_spec, True)):
            if spec is None:
                continue
            per_output = _as_list(spec, n, "metrics", names) if n > 1 else [spec]
            for i, specs in enumerate(per_output):
                if specs is None:
                    continue
                for s in specs if isinstance(specs, (list, tuple)) else [specs]:
                    metric = M.get(s, ys[i], preds[i])
                    if n > 1:
                        metric.name = f"{names[i]}_{metric.name}"
                    if weighted:
                        metric.name = (
                            f"weighted_{metric.name}" if isinstance(s, str) else metric.name
                        )
                    self._metrics.append((i, metric, weighted))
        self._output_loss_trackers = (
            [M.Mean(name=f"{names[i]}_loss") for i in range(n)] if n > 1 else []
        )

    def _targets(self, y, n: int) -> list:
        if isinstance(y, dict):
            return [y[name] for name in self._output_names(n)]
        if isinstance(y, list) and n > 1:
            return y
        return [y]

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss of ``y_pred`` against ``y`` plus the regularization penalties,
        as a scalar gradlab Tensor."""
        preds = (
            y_pred
            if isinstance(y_pred, list)
            else (list(y_pred.values()) if isinstance(y_pred, dict) else [y_pred])
        )
        ys = self._targets(y, len(preds))
        if self._compiled_losses is None:
            self._prepare(ys, preds)
        total, per_output = None, []
        for spec, yt, yp in zip(self._compiled_losses, ys, preds):
            if spec is None:
                per_output.append(None)
                continue
            fn, w = spec
            value = fn(yt, yp, sample_weight)
            per_output.append(value)
            value = value * w if w != 1.0 else value
            total = value if total is None else total + value
        for penalty in self.losses:
            total = total + penalty
        self._last_output_losses = per_output
        return total

    def _update_metrics(self, ys, preds, loss, n, sample_weight) -> None:
        self._loss_tracker.update_state(np.float32(float(loss.numpy())), sample_weight=n)
        for tracker, value in zip(self._output_loss_trackers, self._last_output_losses):
            if value is not None:
                tracker.update_state(np.float32(float(value.numpy())), sample_weight=n)
        for i, metric, weighted in self._metrics:
            pred = preds[i].numpy()
            if weighted or isinstance(metric, M.Mean):
                metric.update_state(ys[i], pred, sample_weight if weighted else None)
            else:
                metric.update_state(ys[i], pred)

    def _reset_metrics(self) -> None:
        for m in [
            self._loss_tracker,
            *getattr(self, "_output_loss_trackers", []),
            *(m for _, m, _ in self._metrics or []),
        ]:
            m.reset_state()

    def _logs(self) -> dict:
        logs = {"loss": self._loss_tracker.result()}
        for t in getattr(self, "_output_loss_trackers", []):
            logs[t.name] = t.result()
        for _, m, _ in self._metrics or []:
            logs[m.name] = m.result()
        return {k: float(np.float32(v)) for k, v in sorted(logs.items())}

    def _preds(self, out) -> list:
        if isinstance(out, dict):
            return list(out.values())
        return list(out) if isinstance(out, (list, tuple)) else [out]

    # ------------------------------------------------------------------ steps
    def train_step(self, x, y, sample_weight=None):
        """One batch: forward, loss, backward, optimizer step, constraints, metrics."""
        out = self(x, training=True)  # first: a model without an input shape builds here
        weights = self.trainable_weights
        self.optimizer.build(weights)
        for w in weights:
            w.grad = None
        preds = self._preds(out)
        loss = self.compute_loss(x, y, out if len(preds) > 1 else preds[0], sample_weight)
        loss.backward()
        self.optimizer.step()
        for w, constraint in self._constraints():
            w.numpy()[...] = constraint(w.numpy())
        n = D.leaves(x)[0].shape[0]
        self._update_metrics(self._targets(y, len(preds)), preds, loss, n, sample_weight)
        return self._logs()

    def test_step(self, x, y, sample_weight=None):
        with autograd.no_grad():
            out = self(x, training=False)
            preds = self._preds(out)
            loss = self.compute_loss(
                x, y, out if len(preds) > 1 else preds[0], sample_weight, training=False
            )
        n = D.leaves(x)[0].shape[0]
        self._update_metrics(self._targets(y, len(preds)), preds, loss, n, sample_weight)
        return self._logs()

    def _check_compiled(self, caller: str) -> None:
        if not self.compiled:
            raise RuntimeError(f"You must call `compile()` before using the model ({caller}).")
