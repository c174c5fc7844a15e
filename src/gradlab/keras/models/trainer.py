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
from gradlab.keras.models import data as D
from gradlab.keras.models.compiled import Compiled
from gradlab.keras.models.progbar import Progbar


def _unsupported(caller: str, **values) -> None:
    given = sorted(k for k, v in values.items() if v is not None)
    if given:
        raise NotImplementedError(
            f"{caller}: {', '.join(given)} is not supported (gradlab.keras iterates over whole "
            f"arrays; pass the data you want to use)"
        )


class KerasTrainer(Compiled):
    """``fit``, ``evaluate``, ``predict`` and the ``*_on_batch`` forms over :class:`Compiled`."""

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
