"""``BackupAndRestore``: checkpoint the whole training state during ``fit`` so that a killed
run can be continued exactly (Keras's callback of that name).

::

    backup = BackupAndRestore("run.ckpt", save_freq=50)          # every 50 batches
    trainer = Trainer(model, loss, optimizer, callbacks=[backup, ...])
    resume = "run.ckpt" if os.path.exists("run.ckpt") else None
    trainer.fit(x, y, epochs=20, resume_from=resume)

Run the same script again after a kill (SIGKILL, power loss, a preempted job): the second
``fit`` goes on from the last checkpoint and ends with exactly the weights and History of a
run that was never interrupted, when it is given the same model, optimizer, scheduler,
callbacks, metrics, data and generators (build them with the same seeds).

Unlike Keras, resuming is asked for explicitly with ``resume_from`` (a missing file is an
error there, not a fresh start), and the file is kept when training ends: it then holds the
final state, so ``fit(..., epochs=more, resume_from=path)`` trains further.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gradlab.train import checkpoint
from gradlab.train.callbacks import Callback


class BackupAndRestore(Callback):
    """Write ``trainer.training_state()`` to ``path`` (atomically, with
    :func:`gradlab.train.checkpoint.save`) at the end of every epoch (``save_freq="epoch"``)
    or every ``save_freq`` batches (counted across epochs from the start of training).

    It runs after every other callback (``runs_last``), so a checkpoint holds their work of
    that batch or epoch. A kill during a write leaves the previous checkpoint at ``path``.
    """

    runs_last = True
    chief_only = True

    def __init__(self, path, save_freq="epoch"):
        if save_freq != "epoch" and (
            isinstance(save_freq, bool)
            or not isinstance(save_freq, (int, np.integer))
            or save_freq < 1
        ):
            raise ValueError(
                f"BackupAndRestore: save_freq must be 'epoch' or a positive number of batches, "
                f"got {save_freq!r}"
            )
        self.path = Path(path)
        self.save_freq = save_freq if save_freq == "epoch" else int(save_freq)
        self.batches = 0  # batches trained since training started
        self.saves = 0

    def on_train_begin(self, logs=None):
        self.batches = 0

    def on_batch_end(self, batch, logs=None):
        if self.save_freq != "epoch":
            self.batches += 1
            if self.batches % self.save_freq == 0:
                self.save()

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self.save()

    def save(self) -> None:
        """Write the training state now."""
        checkpoint.save(self.trainer.training_state(), self.path)
        self.saves += 1

    def state_dict(self) -> dict:
        return {"batches": self.batches}

    def load_state_dict(self, state: dict) -> None:
        self.batches = int(state["batches"])


__all__ = ["BackupAndRestore"]
