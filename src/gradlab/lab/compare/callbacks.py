"""Callbacks the comparisons add to ``Trainer.fit``: a progress tick per epoch, a quiet stop
on a non-finite loss, the learning rate of every batch, and per-layer gradient norms."""

from __future__ import annotations

import math

import numpy as np

from gradlab.train.callbacks import Callback

__all__ = ["EpochTick", "LayerGradients", "LrTrace", "StopOnNaN"]


class EpochTick(Callback):
    """Calls ``tick(logs)`` after every epoch (the runner's progress bar)."""

    def __init__(self, tick):
        self.tick = tick
        self.epochs = 0

    def on_epoch_end(self, epoch, logs=None):
        self.epochs += 1
        self.tick(logs or {})


class StopOnNaN(Callback):
    """Stop training when a batch loss is NaN or infinite, without printing (the runner
    reports it). ``stopped_at``: (epoch, batch), 1-based, or None."""

    def __init__(self):
        self.stopped_at = None

    def on_batch_end(self, batch, logs=None):
        if not math.isfinite(float((logs or {}).get("loss", 0.0))):
            self.stopped_at = (self.trainer.epoch + 1, batch + 1)
            self.trainer.stop_training = True


class LrTrace(Callback):
    """The learning rate of the first param group at every batch, before the step.
    ``lrs``: list of floats, one per batch trained."""

    def __init__(self):
        self.lrs: list[float] = []

    def on_batch_begin(self, batch, logs=None):
        self.lrs.append(float(self.trainer.optimizer.param_groups[0]["lr"]))


def _norm(array) -> float:
    a = np.asarray(array, dtype=np.float64)
    return float(np.sqrt(np.sum(a * a)))


class LayerGradients(Callback):
    """Per-layer gradient norms of a stack of layers (e.g. the Linear layers of an MLP).

    For layer l with output z_l = W_l a_{l-1} + b_l:

    - ``at_init["weight"]``: ||∂L/∂W_l|| on the first batch (the network as initialized),
      the gradient the optimizer applies to the layer;
    - ``at_init["signal"]``: ||∂L/∂z_l|| over the first batch, the back-propagated error
      reaching the layer (kept with ``retain_grad`` on the layer's output);
    - ``signal``: ||∂L/∂z_l|| averaged over each epoch's batches, one list per epoch.

    Per-epoch weight-gradient norms are :class:`gradlab.train.GradientFlow`'s.
    ``names``: the layers' names, input side first.
    """

    def __init__(self, layers):
        self.names = [name for name, _ in layers]
        self.layers = [layer for _, layer in layers]
        self.at_init: dict[str, list[float]] = {}
        self.signal: list[list[float]] = []
        self._outputs: list = [None] * len(self.layers)
        self._handles = []
        self._sum = np.zeros(len(self.layers))
        self._batches = 0

    def _hook(self, index):
        def keep(module, inputs, output):
            if output.requires_grad:
                output.retain_grad()
                self._outputs[index] = output

        return keep

    def on_train_begin(self, logs=None):
        self._handles = [layer.register_forward_hook(self._hook(i))
                         for i, layer in enumerate(self.layers)]  # fmt: skip

    def on_train_end(self, logs=None):
        for handle in self._handles:
            handle.remove()
        self._handles = []
        self._outputs = [None] * len(self.layers)

    def on_epoch_begin(self, epoch, logs=None):
        self._sum = np.zeros(len(self.layers))
        self._batches = 0

    def on_batch_end(self, batch, logs=None):
        signal = [_norm(out.grad) if out is not None and out.grad is not None else 0.0
                  for out in self._outputs]  # fmt: skip
        self._outputs = [None] * len(self.layers)  # release the batch's graph
        if not self.at_init:
            weight = [_norm(layer.weight.grad) if layer.weight.grad is not None else 0.0
                      for layer in self.layers]  # fmt: skip
            self.at_init = {"weight": weight, "signal": signal}
        self._sum += signal
        self._batches += 1

    def on_epoch_end(self, epoch, logs=None):
        self.signal.append((self._sum / max(self._batches, 1)).tolist())
