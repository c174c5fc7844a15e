"""``TensorBoard``: write what ``Trainer.fit`` logs as TensorBoard event files (Keras's callback).

The event files are written by tensorboardX (an optional dependency: ``pip install
'gradlab[tensorboard]'``), so ``tensorboard --logdir <log_dir>`` shows them. The layout is
Keras's, so training and validation curves of one quantity share a chart:

- ``<log_dir>/train``: scalars ``epoch_<name>`` for every logged name without the ``val_``
  prefix ("epoch_loss", "epoch_accuracy", "epoch_lr", ...), at step = epoch (0-based);
  ``batch_loss`` every ``update_freq`` batches at step = batches trained so far (1-based,
  counted across ``fit`` calls like Keras's ``optimizer.iterations``); and with
  ``histogram_freq`` > 0, one histogram per parameter (tag = its name in
  ``model.named_parameters()``, e.g. "0.weight") every ``histogram_freq`` epochs.
- ``<log_dir>/validation``: ``epoch_<name>`` for every ``val_<name>`` ("val_loss" ->
  "epoch_loss"), at step = epoch.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import numpy as np

from gradlab.train.callbacks import Callback

__all__ = ["TensorBoard"]

MISSING = (
    "TensorBoard needs the tensorboard extra: pip install 'gradlab[tensorboard]' "
    "(it installs the tensorboardX package: pip install tensorboardX)"
)

# tensorboardX names an event file by the second it was opened and the host; two writers
# opened into one folder within a second would write the same file, so each gets a suffix
_WRITER_IDS = itertools.count()


def _summary_writer_class():
    try:
        from tensorboardX import SummaryWriter
    except ImportError as exc:
        raise ImportError(MISSING, name="tensorboardX") from exc
    return SummaryWriter


def _batches_per_write(update_freq) -> int | None:
    """None for "epoch" (no per-batch scalars), else write every that many batches."""
    if update_freq == "epoch":
        return None
    if update_freq == "batch":
        return 1
    is_int = isinstance(update_freq, (int, np.integer)) and not isinstance(update_freq, bool)
    if is_int and update_freq >= 1:
        return int(update_freq)
    raise ValueError(
        f"TensorBoard: update_freq must be 'epoch', 'batch' or a positive number of batches, "
        f"got {update_freq!r}"
    )


class TensorBoard(Callback):
    """Log every epoch's logs (and optionally batch losses and weight histograms) for
    TensorBoard.

    Args:
        log_dir: the folder of the run; event files go into its ``train`` and
            ``validation`` subfolders (created as needed).
        histogram_freq: write a histogram of every parameter each ``histogram_freq``
            epochs (epochs 0, k, 2k, ...); 0 writes none.
        update_freq: "epoch" writes epoch scalars only; "batch" or an int n also writes
            the training loss of every n-th batch as ``batch_loss``.

    Raises:
        ImportError: when tensorboardX is not installed.
    """

    chief_only = True

    def __init__(self, log_dir="logs", histogram_freq=0, update_freq="epoch"):
        self._SummaryWriter = _summary_writer_class()
        self.every = _batches_per_write(update_freq)
        self.update_freq = update_freq
        if (
            isinstance(histogram_freq, bool)
            or not isinstance(histogram_freq, (int, np.integer))
            or histogram_freq < 0
        ):
            raise ValueError(
                f"TensorBoard: histogram_freq must be a non-negative integer, got "
                f"{histogram_freq!r}"
            )
        self.histogram_freq = int(histogram_freq)
        self.log_dir = Path(log_dir)
        self.train_batches = 0  # batches trained so far: the step of "batch_loss"
        self._writers: dict = {}

    def _writer(self, run: str):
        """The SummaryWriter of ``run`` ("train" or "validation"), opened on first use."""
        writer = self._writers.get(run)
        if writer is None:
            suffix = f".{os.getpid()}.{next(_WRITER_IDS)}"
            writer = self._SummaryWriter(logdir=str(self.log_dir / run), filename_suffix=suffix)
            self._writers[run] = writer
        return writer

    def on_batch_end(self, batch, logs=None):
        self.train_batches += 1
        if self.every is not None and self.train_batches % self.every == 0:
            loss = (logs or {}).get("loss")
            if loss is not None:
                self._writer("train").add_scalar("batch_loss", float(loss), self.train_batches)

    def on_epoch_end(self, epoch, logs=None):
        for name, value in (logs or {}).items():
            if name.startswith("val_"):
                run, tag = "validation", "epoch_" + name[len("val_") :]
            else:
                run, tag = "train", "epoch_" + name
            self._writer(run).add_scalar(tag, float(value), epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._histograms(epoch)
        for writer in self._writers.values():
            writer.flush()  # a running TensorBoard sees each epoch as it ends

    def _histograms(self, epoch: int) -> None:
        writer = self._writer("train")
        for name, param in self.trainer.model.named_parameters():
            values = np.asarray(param.numpy(), dtype=np.float64).reshape(-1)
            if values.size and np.isfinite(values).all():  # a NaN weight has no histogram
                writer.add_histogram(name, values, epoch)

    def on_train_end(self, logs=None):
        self.close()

    def close(self) -> None:
        """Flush and close the event files (the next epoch logged opens new ones)."""
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def state_dict(self) -> dict:
        return {"train_batches": self.train_batches}

    def load_state_dict(self, state: dict) -> None:
        self.train_batches = int(state["train_batches"])

    def __repr__(self) -> str:
        return (
            f"TensorBoard(log_dir={str(self.log_dir)!r}, histogram_freq={self.histogram_freq}, "
            f"update_freq={self.update_freq!r})"
        )
