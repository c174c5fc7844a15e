"""Keras's training API on a gradlab Module: ``compile``, ``fit``, ``evaluate``, ``predict``.

One training step is gradlab's: forward through the model's layers (training mode), the
compiled loss (plus the layers' regularization penalties) as a gradlab Tensor,
``loss.backward()``, then the optimizer's ``step()`` (a gradlab Optimizer with Keras's update
rule) and the weights' constraints. What is reported follows Keras 3: the loss and every
metric are running means over the epoch's samples (float32); the logs' keys are sorted, then
``val_*``; ``evaluate`` returns the loss alone, or ``[loss, *metrics]``; ``predict`` returns
NumPy arrays.
"""

from __future__ import annotations

import numpy as np

from gradlab import autograd
from gradlab.keras import callbacks as C
from gradlab.keras import losses as L
from gradlab.keras import metrics as M
from gradlab.keras import optimizers
from gradlab.keras.models import data as D
from gradlab.keras.models.progbar import Progbar


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


def _unsupported(caller: str, **values) -> None:
    given = sorted(k for k, v in values.items() if v is not None)
    if given:
        raise NotImplementedError(
            f"{caller}: {', '.join(given)} is not supported (gradlab.keras iterates over whole "
            f"arrays; pass the data you want to use)"
        )


class KerasTrainer:
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

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        x=None,
        y=None,
        batch_size=None,
        epochs=1,
        verbose="auto",
        callbacks=None,
        validation_split=0.0,
        validation_data=None,
        shuffle=True,
        class_weight=None,
        sample_weight=None,
        initial_epoch=0,
        steps_per_epoch=None,
        validation_steps=None,
        validation_batch_size=None,
        validation_freq=1,
    ):
        """Train for ``epochs - initial_epoch`` epochs; return the History callback."""
        self._check_compiled("fit")
        _unsupported("fit", steps_per_epoch=steps_per_epoch, validation_steps=validation_steps)
        if not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ValueError(f"fit: epochs must be a non-negative integer, got {epochs!r}")
        batch_size = 32 if batch_size is None else int(batch_size)
        if batch_size <= 0:
            raise ValueError(f"fit: batch_size must be positive, got {batch_size}")
        verbose = 1 if verbose == "auto" else int(verbose)
        x, y = D.structure(x, "fit: x"), D.structure(y, "fit: y")
        sample_weight = (
            None if sample_weight is None else D.as_array(sample_weight, "sample_weight")
        )
        if y is None:
            raise ValueError("fit: y is None; gradlab.keras trains on (x, y) arrays")
        if validation_split and validation_data is None:
            (x, y, sample_weight), val = D.validation_split(x, y, sample_weight, validation_split)
            validation_data = val
        elif validation_data is not None:
            vx, vy, vsw = D.unpack_validation(validation_data)
            validation_data = (
                D.structure(vx, "validation x"),
                D.structure(vy, "validation y"),
                vsw,
            )
        if class_weight is not None:
            cw = D.class_weights(D.leaves(y)[0], class_weight)
            sample_weight = cw if sample_weight is None else sample_weight * cw
        n = D.num_samples("fit", x, y, sample_weight)
        steps = -(-n // batch_size)
        cbs = C.CallbackList(
            callbacks, add_history=True, model=self, verbose=verbose, epochs=epochs, steps=steps
        )
        self.stop_training = False
        cbs.on_train_begin()
        logs = {}
        for epoch in range(initial_epoch, epochs):
            self._reset_metrics()
            cbs.on_epoch_begin(epoch)
            if verbose:
                print(f"Epoch {epoch + 1}/{epochs}", flush=True)
            bar = Progbar(steps, verbose)
            self.train()
            try:
                for step, index in enumerate(D.batches(n, batch_size, shuffle)):
                    cbs.on_train_batch_begin(step)
                    logs = self.train_step(
                        D.take(x, index), D.take(y, index), D.take(sample_weight, index)
                    )
                    cbs.on_train_batch_end(step, logs)
                    bar.update(step + 1, logs)
                    if self.stop_training:
                        break
            finally:
                self.eval()
            epoch_logs = dict(logs)
            if validation_data is not None and (epoch + 1) % validation_freq == 0:
                vx, vy, vsw = validation_data
                val = self.evaluate(
                    vx,
                    vy,
                    batch_size=validation_batch_size or batch_size,
                    verbose=0,
                    sample_weight=vsw,
                    return_dict=True,
                    _callbacks=cbs,
                )
                epoch_logs.update({f"val_{k}": v for k, v in val.items()})
            cbs.on_epoch_end(epoch, epoch_logs)
            bar.update(step + 1 if n else 0, epoch_logs, finalize=True)
            if self.stop_training:
                break
        cbs.on_train_end(epoch_logs if epochs > initial_epoch else logs)
        return cbs.history

    # ------------------------------------------------------------------ evaluate / predict
    def evaluate(
        self,
        x=None,
        y=None,
        batch_size=None,
        verbose="auto",
        sample_weight=None,
        steps=None,
        callbacks=None,
        return_dict=False,
        _callbacks=None,
    ):
        """Loss and metrics over ``(x, y)`` in inference mode: a scalar when there are no
        metrics, else ``[loss, *metrics]`` (a dict with ``return_dict``)."""
        self._check_compiled("evaluate")
        _unsupported("evaluate", steps=steps)
        batch_size = 32 if batch_size is None else int(batch_size)
        verbose = 1 if verbose == "auto" else int(verbose)
        x, y = D.structure(x, "evaluate: x"), D.structure(y, "evaluate: y")
        if sample_weight is not None:
            sample_weight = D.as_array(sample_weight, "sample_weight")
        n = D.num_samples("evaluate", x, y, sample_weight)
        steps_count = -(-n // batch_size)
        cbs = _callbacks or C.CallbackList(
            callbacks, model=self, verbose=verbose, steps=steps_count
        )
        saved = self._snapshot_metrics()
        self._reset_metrics()
        cbs.on_test_begin()
        bar = Progbar(steps_count, verbose)
        logs = {}
        for step, index in enumerate(D.batches(n, batch_size, False)):
            cbs.on_test_batch_begin(step)
            logs = self.test_step(D.take(x, index), D.take(y, index), D.take(sample_weight, index))
            cbs.on_test_batch_end(step, logs)
            bar.update(step + 1, logs)
        bar.update(steps_count, logs, finalize=True)
        cbs.on_test_end(logs)
        self._restore_metrics(saved)
        if return_dict:
            return logs
        ordered = [logs["loss"]] + [logs[k] for k in self._metric_order() if k in logs]
        return ordered[0] if len(ordered) == 1 else ordered

    def _metric_order(self) -> list:
        names = [t.name for t in getattr(self, "_output_loss_trackers", [])]
        return names + [m.name for _, m, _ in self._metrics or []]

    def _snapshot_metrics(self):
        return [(m, dict(vars(m))) for m in self.metrics if m is not None]

    def _restore_metrics(self, saved) -> None:
        for m, state in saved:
            vars(m).update(state)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs as NumPy arrays (one, a list, or a dict, as the outputs)."""
        _unsupported("predict", steps=steps)
        batch_size = 32 if batch_size is None else int(batch_size)
        verbose = 1 if verbose == "auto" else int(verbose)
        x = D.structure(x, "predict: x")
        n = D.num_samples("predict", x)
        steps_count = -(-n // batch_size)
        bar = Progbar(steps_count, verbose)
        cbs = C.CallbackList(callbacks, model=self, verbose=verbose, steps=steps_count)
        cbs.on_predict_begin()
        chunks = []
        with autograd.no_grad():
            for step, index in enumerate(D.batches(n, batch_size, False)):
                cbs.on_predict_batch_begin(step)
                out = self(D.take(x, index), training=False)
                chunks.append(out)
                cbs.on_predict_batch_end(step, {"outputs": out})
                bar.update(step + 1)
        bar.update(steps_count, finalize=True)
        cbs.on_predict_end()
        first = chunks[0]
        if isinstance(first, dict):
            return {k: np.concatenate([c[k].numpy() for c in chunks]) for k in first}
        if isinstance(first, (list, tuple)):
            return [np.concatenate([c[i].numpy() for c in chunks]) for i in range(len(first))]
        return np.concatenate([c.numpy() for c in chunks])

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        self._check_compiled("train_on_batch")
        x, y = D.structure(x, "x"), D.structure(y, "y")
        if class_weight is not None:
            sample_weight = D.class_weights(D.leaves(y)[0], class_weight)
        self._reset_metrics()
        self.train()
        try:
            logs = self.train_step(x, y, sample_weight)
        finally:
            self.eval()
        if return_dict:
            return logs
        ordered = [logs["loss"]] + [logs[k] for k in self._metric_order() if k in logs]
        return ordered[0] if len(ordered) == 1 else ordered

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        return self.evaluate(
            x,
            y,
            batch_size=D.num_samples("test_on_batch", D.structure(x, "x")),
            verbose=0,
            sample_weight=sample_weight,
            return_dict=return_dict,
        )

    def predict_on_batch(self, x):
        with autograd.no_grad():
            out = self(D.structure(x, "x"), training=False)
        return out.numpy() if hasattr(out, "numpy") else [o.numpy() for o in out]
