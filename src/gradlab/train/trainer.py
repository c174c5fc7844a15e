"""``Trainer``: Keras's ``fit`` / ``evaluate`` / ``predict`` around a gradlab model, loss and
optimizer, with metrics, callbacks, an lr scheduler, a tqdm progress bar, and exact resume
of a killed run (``fit(..., resume_from=path)``, checkpoints by
:class:`~gradlab.train.backup.BackupAndRestore`).

Data may be NumPy arrays or Tensors ``(x, y)``, a :class:`~gradlab.data.Dataset` whose items
are ``(x, y)``, or a :class:`~gradlab.data.DataLoader` yielding ``[x, y]`` batches.
"""

from __future__ import annotations

import math

import numpy as np

from gradlab import autograd
from gradlab._fast import allocator
from gradlab.optim.lr_scheduler.base import advance
from gradlab.train import metrics as M
from gradlab.train import training_state as TS
from gradlab.train.callbacks import Callback, CallbackList
from gradlab.train.fit_inputs import (
    as_target,
    check_first_batch,
    make_loader,
    split_batch,
    split_validation,
)
from gradlab.train.history import History
from gradlab.train.progress import Progress
from gradlab.train.strategy import get_strategy


def _labels_average(t: np.ndarray, p: np.ndarray) -> str:
    """ "binary" for 0/1 labels, "macro" otherwise (precision/recall/F1 averaging)."""
    labels = np.union1d(t, p)
    return "binary" if set(labels.tolist()) <= {0, 1} else "macro"


class _Metric:
    """A named metric computed over a whole epoch's outputs and targets."""

    def __init__(self, spec, loss):
        if isinstance(spec, str):
            try:
                self.fn = M.metric_function(spec)
            except ValueError as error:
                raise ValueError(f"Trainer: {error}") from None
            key = spec.lower()
            self.name = M.ALIASES.get(key, key)
            self.classification = self.name in M.CLASSIFICATION_METRICS
        elif callable(spec):  # fn(y_true, y_pred) on labels from predictions_from_output
            self.name = getattr(spec, "__name__", type(spec).__name__)
            self.fn, self.classification = spec, True
        else:
            raise TypeError(f"Trainer: a metric must be a name or a callable, got {spec!r}")
        self.loss = loss

    def __call__(self, output: np.ndarray, target: np.ndarray) -> float:
        if not self.classification:
            return self.fn(
                target.reshape(len(target), -1)[:, 0], output.reshape(len(output), -1)[:, 0]
            )
        pred = M.predictions_from_output(output, self.loss)
        target = target.reshape(-1) if target.ndim == 2 and target.shape[1] == 1 else target
        if self.fn in (M.precision, M.recall, M.f1):
            return self.fn(target, pred, average=_labels_average(target, pred))
        return self.fn(target, pred)


class Trainer:
    """Train ``model`` on ``loss`` with ``optimizer``.

    Args:
        model: a :class:`~gradlab.nn.Module` mapping a batch x (B, ...) to an output (B, ...).
        loss: a loss module ``loss(output, target)`` returning a scalar Tensor.
        optimizer: an optimizer over the model's parameters.
        metrics: names ("accuracy", "precision", "recall", "f1", "mae", "rmse", "r2") or
            callables ``fn(y_true, y_pred)``; classification metrics see predicted labels
            (``predictions_from_output``: argmax of class scores, logit > 0, probability > 0.5).
        callbacks: :class:`~gradlab.train.callbacks.Callback` objects.
        scheduler: an lr scheduler stepped once per epoch (``ReduceLROnPlateau`` gets
            "val_loss" when there is validation data, else "loss").

    ``stop_training``: set to True (by a callback) to stop after the current batch.
    """

    def __init__(self, model, loss, optimizer, metrics=(), callbacks=(), scheduler=None):
        self.model, self.loss, self.optimizer, self.scheduler = model, loss, optimizer, scheduler
        allocator.configure()  # a training loop: keep freed memory for the next step
        self.metrics = [_Metric(m, loss) for m in metrics]
        self.callbacks = CallbackList(list(callbacks), self)
        self.stop_training = False
        self.history = History()
        self.epoch = 0
        self._fit_loader = None  # the training loader of the last fit
        self._run: TS.EpochRun | None = None  # the epoch in progress (or the last one)
        self._strategy = get_strategy()

    # ------------------------------------------------------------------ fit
    def fit(self, x, y=None, epochs=1, batch_size=32, validation_data=None,
            validation_split=0.0, shuffle=True, verbose=1, generator=None,
            resume_from=None) -> History:  # fmt: skip
        """Train for ``epochs`` epochs; return the :class:`History` (per-epoch "loss",
        metrics, "val_loss"/"val_<metric>" with validation data, and "lr").

        ``resume_from``: the path of a training checkpoint (written by
        :class:`~gradlab.train.backup.BackupAndRestore`): the run goes on from the epoch and
        batch it was written at, and ends with exactly the weights and History of the run
        that was never interrupted. Give the same model, optimizer, scheduler, callbacks (same
        order), metrics, data, batch size and generators as that run. A missing file raises
        FileNotFoundError; a checkpoint that does not fit (another model's shapes, other
        callbacks or data) raises ValueError naming every mismatch, before anything changes.
        A resumed fit calls ``on_train_begin`` and then loads every callback's state; within
        an epoch it does not call ``on_epoch_begin`` again.
        """
        if not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ValueError(f"fit: epochs must be a non-negative integer, got {epochs!r}")
        x, y, validation_data = split_validation(x, y, validation_data, validation_split)
        loader = make_loader("fit", x, y, batch_size, shuffle, generator)
        val_loader = None
        if validation_data is not None:
            vx, vy = (validation_data if isinstance(validation_data, (tuple, list))
                      else (validation_data, None))  # fmt: skip
            val_loader = make_loader("fit (validation_data)", vx, vy, batch_size)
        check_first_batch(self.model, self.loss, loader)
        if val_loader is not None:
            check_first_batch(self.model, self.loss, val_loader)
        strategy = self._strategy = get_strategy()  # one process unless distributed
        loader = strategy.begin_fit(self, loader)
        saved = None
        if resume_from is not None:
            saved = TS.read(resume_from)
            TS.check(self, saved, loader, epochs, resume_from)

        if not strategy.is_chief:
            self.callbacks = CallbackList(self.callbacks.callbacks, self, chief=False)
            verbose = 0
        self.stop_training = False
        self.history = History()
        self._fit_loader, self._run = loader, None
        start, run = TS.restore(self, saved) if saved is not None else (0, None)
        show = Progress(verbose, epochs, len(loader))
        self.callbacks.on_train_begin({})
        logs = {}
        if saved is not None:
            TS.restore_callbacks(self, saved, loader, run)
            logs = self.history.logs() if len(self.history) else {}
            if run is None and self.stop_training:  # stopped at the end of the last epoch
                start = epochs
        for epoch in range(start, epochs):
            self.epoch = epoch
            if run is None:
                self.callbacks.on_epoch_begin(epoch, {})
                # the lr this epoch starts with
                run = TS.EpochRun(epoch, float(self.optimizer.param_groups[0]["lr"]))
            self._run = run
            strategy.begin_epoch(loader, epoch)
            logs = self._train_epoch(run, loader, show)
            if val_loader is not None:
                logs.update({f"val_{k}": v for k, v in self._evaluate(val_loader).items()})
            logs["lr"] = run.lr
            self._step_scheduler(logs)
            self.history.append(epoch, logs)
            run.ended = True
            show.epoch_end(epoch, logs)
            self.callbacks.on_epoch_end(epoch, logs)
            self.stop_training = strategy.agree(self.stop_training)
            run = None
            if self.stop_training:
                break
        show.close()
        self.callbacks.on_train_end(dict(logs))
        return self.history

    def _train_epoch(self, run: TS.EpochRun, loader, show) -> dict:
        self.model.train()
        keep = bool(self.metrics)
        bar = show.bar(run.epoch, initial=run.batch)
        # a run resumed after a callback stopped it within this epoch trains no more batches
        batches = () if run.batch and self.stop_training else TS.epoch_batches(self, loader, run)
        for batch in batches:
            index = run.batch
            self.callbacks.on_batch_begin(index, {})
            xb, yb = split_batch(batch)
            self.optimizer.zero_grad()
            output = self.model(xb)
            target = as_target(self.loss, output, yb)
            loss = self.loss(output, target)
            loss.backward()
            self._strategy.before_step(self.model)
            self.optimizer.step()
            value, n, out, tgt = self._strategy.batch_result(
                float(loss.numpy()), output.shape[0],
                output.numpy().copy() if keep else None, target.numpy() if keep else None,
            )  # fmt: skip
            run.add(value, n, out, tgt)
            bar.update(run.total / run.count)
            self.callbacks.on_batch_end(index, {"batch": index, "size": n, "loss": value})
            self.stop_training = self._strategy.agree(self.stop_training)
            if self.stop_training:
                break
        bar.close()
        logs = {"loss": run.total / run.count if run.count else math.nan}
        outputs, targets = run.collected()
        if self.metrics and outputs is not None:
            logs.update(self._metric_logs(outputs, targets))
        return logs

    def _metric_logs(self, output, target) -> dict:
        if not np.isfinite(output).all():
            return {m.name: math.nan for m in self.metrics}
        return {m.name: m(output, target) for m in self.metrics}

    def _step_scheduler(self, logs: dict) -> None:
        if self.scheduler is not None:
            advance(self.scheduler, logs.get("val_loss", logs["loss"]))

    def training_state(self) -> dict:
        """Everything needed to continue this fit exactly from where it is now: a dict for
        :func:`gradlab.train.checkpoint.save` that ``fit(..., resume_from=path)`` reads
        (see :mod:`gradlab.train.training_state`). Exact when taken after every callback's
        hooks of a batch or an epoch (BackupAndRestore runs after the other callbacks), or
        after fit. Like ``state_dict()``, it holds the live arrays: save it right away."""
        return TS.capture(self)

    # ------------------------------------------------------------------ evaluate / predict
    def _evaluate(self, loader) -> dict:
        self.model.eval()
        total, count, outputs, targets = 0.0, 0, [], []
        with autograd.no_grad():
            for batch in loader:
                xb, yb = split_batch(batch)
                output = self.model(xb)
                target = as_target(self.loss, output, yb)
                n = output.shape[0]
                total, count = total + float(self.loss(output, target).numpy()) * n, count + n
                outputs.append(output.numpy())
                targets.append(target.numpy())
        logs = {"loss": total / count}
        if self.metrics:
            logs.update(self._metric_logs(np.concatenate(outputs), np.concatenate(targets)))
        return logs

    def evaluate(self, x, y=None, batch_size=32) -> dict:
        """Loss and metrics on ``(x, y)`` with the model in eval mode, without gradients."""
        loader = make_loader("evaluate", x, y, batch_size)
        was_training = self.model.training
        try:
            return self._evaluate(loader)
        finally:
            self.model.train(was_training)

    def predict(self, x, batch_size=32) -> np.ndarray:
        """The model's outputs for ``x`` (arrays, Tensor, Dataset or DataLoader; for
        (x, y) items only x is used), concatenated into one NumPy array (N, ...)."""
        loader = make_loader("predict", x, None, batch_size)
        was_training = self.model.training
        self.model.eval()
        try:
            with autograd.no_grad():
                return np.concatenate([self.model(split_batch(b)[0]).numpy() for b in loader])
        finally:
            self.model.train(was_training)


__all__ = ["Callback", "Trainer"]
