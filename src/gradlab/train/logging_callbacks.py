"""Callbacks that record a run: :class:`CSVLogger` (one row per epoch, in a file) and
:class:`GradientFlow` (per-parameter gradient norms per epoch)."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np

from gradlab.train.callback_base import Callback


class CSVLogger(Callback):
    """Write one CSV row per epoch: ``epoch`` (0-based) then the logged names, sorted.

    Its state holds the text this fit wrote, so a resumed fit leaves the file as the
    uninterrupted run would (rows written after the checkpoint are dropped)."""

    chief_only = True

    def __init__(self, path, separator=",", append=False):
        self.path, self.separator, self.append = Path(path), separator, append
        self.keys = None
        self._base, self._written = 0, ""  # file size at train begin, text written since

    def on_train_begin(self, logs=None):
        if not self.append and self.path.exists():
            os.remove(self.path)
        self.keys = None
        self._base = self.path.stat().st_size if self.path.exists() else 0
        self._written = ""

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
        new = not self.path.exists() or self.path.stat().st_size == 0
        text = io.StringIO(newline="")
        writer = csv.writer(text, delimiter=self.separator)
        if new:
            writer.writerow(["epoch", *self.keys])
        writer.writerow([epoch, *(repr(float(logs[k])) if k in logs else "" for k in self.keys)])
        with open(self.path, "a", newline="", encoding="utf-8") as f:
            f.write(text.getvalue())
        self._written += text.getvalue()

    def state_dict(self) -> dict:
        return {"keys": self.keys, "base_size": self._base, "written": self._written}

    def load_state_dict(self, state: dict) -> None:
        self.keys = None if state["keys"] is None else list(state["keys"])
        self._base, self._written = int(state["base_size"]), state["written"]
        with open(self.path, "r+b" if self.path.exists() else "wb") as f:
            f.truncate(min(self._base, os.fstat(f.fileno()).st_size))
            f.seek(0, os.SEEK_END)
            f.write(self._written.encode("utf-8"))


class GradientFlow(Callback):
    """Per-parameter gradient L2 norms, averaged over each epoch's batches.

    ``norms``: dict parameter name -> list of per-epoch mean norms (a parameter without a
    gradient in a batch counts as norm 0 for that batch).
    """

    def __init__(self):
        self.norms: dict[str, list[float]] = {}
        self._sums: dict[str, float] = {}
        self._batches = 0

    def on_train_begin(self, logs=None):
        self.norms = {name: [] for name, _ in self.trainer.model.named_parameters()}

    def on_epoch_begin(self, epoch, logs=None):
        self._sums = dict.fromkeys(self.norms, 0.0)
        self._batches = 0

    def on_batch_end(self, batch, logs=None):
        for name, p in self.trainer.model.named_parameters():
            if p.grad is not None:
                g = np.asarray(p.grad, dtype=np.float64)
                self._sums[name] = self._sums.get(name, 0.0) + float(np.sqrt(np.sum(g * g)))
        self._batches += 1

    def on_epoch_end(self, epoch, logs=None):
        for name in self.norms:
            self.norms[name].append(self._sums.get(name, 0.0) / max(self._batches, 1))

    def state_dict(self) -> dict:
        return {"norms": {k: list(v) for k, v in self.norms.items()},
                "epoch_sums": dict(self._sums), "epoch_batches": self._batches}  # fmt: skip

    def load_state_dict(self, state: dict) -> None:
        self.norms = {k: list(v) for k, v in state["norms"].items()}
        self._sums = {k: float(v) for k, v in state.get("epoch_sums", {}).items()}
        self._batches = int(state.get("epoch_batches", 0))
