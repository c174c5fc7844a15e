"""One training run for tests/train/test_resume.py, in the test process or as a script in a
child process that may kill itself with SIGKILL part way::

    python resume_run.py CONFIG WORKDIR SAVE_FREQ [--kill-at N] [--delay SECONDS] [--resume]

CONFIG "adam": Adam, StepLR stepped every batch (LearningRateScheduler) and ExponentialLR
every epoch, shuffling by its own generator, Dropout with its own generator.
CONFIG "sgd": SGD with Nesterov momentum and weight decay, OneCycleLR every batch and
ReduceLROnPlateau every epoch, shuffling and Dropout by gradlab's default generator.
Both: metrics, validation data, EarlyStopping with restore_best_weights, CSVLogger,
GradientFlow and BackupAndRestore (not last in the list: it runs last anyway).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import numpy as np

import gradlab
from gradlab import nn, optim
from gradlab.optim.lr_scheduler import ExponentialLR, OneCycleLR, ReduceLROnPlateau, StepLR
from gradlab.train.backup import BackupAndRestore
from gradlab.train.callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    GradientFlow,
    LearningRateScheduler,
)
from gradlab.train.trainer import Trainer

EPOCHS, BATCH, TRAIN, VAL = 4, 16, 300, 60
BATCHES = -(-TRAIN // BATCH)  # 19 per epoch, the last one of 12 samples


class Killer(Callback):
    """SIGKILL this process at the end of its ``at``-th batch (counted from 1); sleep
    ``delay`` seconds after every batch (a slow run, for a kill from outside)."""

    def __init__(self, at=None, delay=0.0):
        self.at, self.delay, self.seen = at, delay, 0

    def on_batch_end(self, batch, logs=None):
        time.sleep(self.delay)
        self.seen += 1
        if self.at is not None and self.seen == self.at:
            os.kill(os.getpid(), signal.SIGKILL)


def data():
    """10 Gaussian classes in 64 dimensions (no sklearn: a child process starts faster)."""
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(10, 64))
    y = rng.integers(0, 10, size=TRAIN + VAL)
    X = (centers[y] + 1.5 * rng.normal(size=(TRAIN + VAL, 64))).astype(np.float32)
    return X[:TRAIN], y[:TRAIN], X[TRAIN:], y[TRAIN:]


def run(config, workdir, save_freq, kill_at=None, resume=False, delay=0.0):
    """Train; return the final weights, History, GradientFlow norms and CSV text."""
    workdir = Path(workdir)
    x, y, xv, yv = data()
    gradlab.manual_seed(7)
    if config == "adam":
        dropout = nn.Dropout(0.2, generator=np.random.default_rng(5))
    else:
        dropout = nn.Dropout(0.2)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), dropout, nn.Linear(32, 10))
    if config == "adam":
        opt = optim.Adam(model.parameters(), lr=3e-3)
        per_batch = StepLR(opt, step_size=5, gamma=0.95)
        per_epoch = ExponentialLR(opt, gamma=0.8)
        generator = np.random.default_rng(3)
    else:
        opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True,
                        weight_decay=1e-4)  # fmt: skip
        per_batch = OneCycleLR(opt, max_lr=0.1, total_steps=EPOCHS * BATCHES)
        per_epoch = ReduceLROnPlateau(opt, patience=0, factor=0.5)
        generator = None
    flow = GradientFlow()
    callbacks = [
        Killer(kill_at, delay),
        BackupAndRestore(workdir / "backup.ckpt", save_freq=save_freq),
        LearningRateScheduler(per_batch, per="batch"),
        EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True),
        CSVLogger(workdir / "log.csv"),
        flow,
    ]
    trainer = Trainer(model, nn.CrossEntropyLoss(), opt, metrics=["accuracy", "f1"],
                      callbacks=callbacks, scheduler=per_epoch)  # fmt: skip
    history = trainer.fit(
        x, y, epochs=EPOCHS, batch_size=BATCH, validation_data=(xv, yv), verbose=0,
        generator=generator, resume_from=workdir / "backup.ckpt" if resume else None,
    )  # fmt: skip
    return {
        "weights": {k: np.array(getattr(v, "data", v)) for k, v in model.state_dict().items()},
        "history": {"epoch": history.epoch, "history": history.history},
        "norms": flow.norms,
        "csv": (workdir / "log.csv").read_text(encoding="utf-8"),
    }


def save_result(result, workdir) -> None:
    workdir = Path(workdir)
    np.savez(workdir / "weights.npz", **result["weights"])
    rest = {k: v for k, v in result.items() if k != "weights"}
    (workdir / "result.json").write_text(json.dumps(rest), encoding="utf-8")


def load_result(workdir) -> dict:
    workdir = Path(workdir)
    with np.load(workdir / "weights.npz") as f:
        weights = {k: f[k] for k in f.files}
    return {"weights": weights, **json.loads((workdir / "result.json").read_text("utf-8"))}


if __name__ == "__main__":
    args = sys.argv[1:]
    config, workdir, freq = args[0], args[1], args[2]
    kill = int(args[args.index("--kill-at") + 1]) if "--kill-at" in args else None
    delay = float(args[args.index("--delay") + 1]) if "--delay" in args else 0.0
    freq = freq if freq == "epoch" else int(freq)
    result = run(config, workdir, freq, kill, "--resume" in args, delay)
    save_result(result, workdir)
