"""Train with Trainer.fit, under mpiexec or as one process; save weights and History.

Usage: python fit.py OUT_DIR BATCH EPOCHS [shuffle] [crash_at=EPOCH.BATCH] [crash_rank=R]
[resume] [stop_rank=R] [save_freq=N] [tensorboard]. With a process group when launched by
MPI; writes OUT_DIR/weights-RANK.npy and OUT_DIR/history-RANK.json.
"""

import json
import sys
from pathlib import Path

import numpy as np

import gradlab
import gradlab.distributed as dist
from gradlab import nn, optim
from gradlab.train import (
    BackupAndRestore,
    Callback,
    CSVLogger,
    EarlyStopping,
    ModelCheckpoint,
    Trainer,
)

out, batch, epochs = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
options = dict(a.split("=", 1) if "=" in a else (a, "1") for a in sys.argv[4:])
if dist.launched_world_size() > 1:
    dist.init_process_group("mpi")
rank = dist.get_rank() if dist.is_initialized() else 0
world = dist.get_world_size() if dist.is_initialized() else 1


class Crash(Callback):
    """Raise on one rank (or all) at a given epoch and batch."""

    def __init__(self, epoch, batch, rank):
        self.at, self.rank = (epoch, batch), rank

    def on_batch_end(self, batch, logs=None):
        if (self.trainer.epoch, batch) == self.at and self.rank in (-1, rank):
            raise RuntimeError(f"deliberate failure on rank {rank}")


class StopOn(Callback):
    """Ask to stop on one rank only after its second batch (the others must follow)."""

    def __init__(self, rank):
        self.rank, self.batches = rank, 0

    def on_batch_end(self, batch, logs=None):
        self.batches += 1
        if rank == self.rank and self.batches == 2:
            self.trainer.stop_training = True


rng = np.random.default_rng(0)
x = rng.normal(size=(96, 6)).astype(np.float32)
y = (x[:, 0] + x[:, 1] * x[:, 2] > 0).astype(np.int64) + (x[:, 3] > 1).astype(np.int64)
xv, yv = x[:24] * 0.5, y[:24]
gradlab.manual_seed(rank)  # each rank starts from other weights: fit must use rank 0's
model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3))
optimizer = optim.Adam(model.parameters(), lr=0.01)
out.mkdir(parents=True, exist_ok=True)
callbacks = [
    EarlyStopping(monitor="val_loss", patience=50),
    CSVLogger(out / "history.csv"),
    ModelCheckpoint(str(out / "model-{epoch}.safetensors"), save_best_only=False),
]
if "tensorboard" in options:
    from gradlab.train import TensorBoard

    callbacks.append(TensorBoard(out / "tb"))
# always there, so that a crashed run and its resumed run have the same callbacks
e, b = options.get("crash_at", "-1.-1").split(".")
callbacks.append(Crash(int(e), int(b), int(options.get("crash_rank", -1))))
if "stop_rank" in options:
    callbacks.append(StopOn(int(options["stop_rank"])))
callbacks.append(BackupAndRestore(out / "backup.ckpt", save_freq=int(options.get("save_freq", 2))))
trainer = Trainer(model, nn.CrossEntropyLoss(), optimizer, metrics=["accuracy"],
                  callbacks=callbacks)  # fmt: skip
history = trainer.fit(
    x, y, epochs=epochs, batch_size=batch, validation_data=(xv, yv), verbose=0,
    shuffle="shuffle" in options, generator=np.random.default_rng(7),
    resume_from=str(out / "backup.ckpt") if "resume" in options else None,
)  # fmt: skip
weights = np.concatenate([p.numpy().ravel() for p in model.parameters()])
np.save(out / f"weights-{rank}.npy", weights)
(out / f"history-{rank}.json").write_text(json.dumps(history.history))
