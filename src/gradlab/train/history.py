"""``History``: what ``Trainer.fit`` logged, one value per epoch (Keras's ``History``)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

from gradlab.atomic import atomic_open, atomic_write


def _number(value):
    """A logged value as a plain Python number (floats stay floats, NaN included)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    return float(value)


class History:
    """Per-epoch logs of a training run.

    Attributes:
        history: dict name -> list of values, one per epoch that logged the name
            ("loss", "accuracy", "val_loss", "val_accuracy", "lr", ...).
        epoch: list of the epoch indices (0-based) that were logged.
    """

    def __init__(self):
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []

    def append(self, epoch: int, logs: dict) -> None:
        """Record one epoch's ``logs`` (name -> number). Every list stays one value per
        logged epoch: a name missing from an epoch's logs gets NaN there."""
        done = len(self.epoch)
        self.epoch.append(int(epoch))
        for name, value in logs.items():
            self.history.setdefault(name, [math.nan] * done).append(_number(value))
        for values in self.history.values():
            if len(values) == done:
                values.append(math.nan)

    def logs(self, index: int = -1) -> dict:
        """One epoch's logs, name -> value (the last logged epoch's by default)."""
        return {name: values[index] for name, values in self.history.items()}

    def __len__(self) -> int:
        return len(self.epoch)

    def __getitem__(self, name: str) -> list:
        return self.history[name]

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={sorted(self.history)})"

    # ------------------------------------------------------------------ Jupyter
    def _repr_png_(self):
        """One panel per logged quantity against the epoch (matplotlib; None without it)."""
        from gradlab.train.history_display import history_png

        return history_png(self)

    def _repr_html_(self) -> str:
        """The plot and a table of the per-epoch values."""
        from gradlab.train.history_display import history_html

        return history_html(self)

    # ------------------------------------------------------------------ files
    def to_csv(self, path) -> None:
        """Write one row per epoch: ``epoch`` then every logged name (sorted)."""
        names = sorted(self.history)
        with atomic_open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["epoch", *names])
            for row, epoch in enumerate(self.epoch):
                values = [self.history[n][row] for n in names]
                writer.writerow([epoch, *(repr(v) if isinstance(v, float) else v for v in values)])

    @classmethod
    def from_csv(cls, path) -> History:
        """Read a file written by :meth:`to_csv`."""
        history = cls()
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            for row in reader:
                epoch = int(row.pop("epoch"))
                history.append(epoch, {k: _parse(v) for k, v in row.items()})
        return history

    def to_json(self, path) -> None:
        """Write ``{"epoch": [...], "history": {name: [...]}}``; NaN and infinities are
        written as the strings "nan", "inf", "-inf" so the file is strict JSON."""
        state = {
            "epoch": self.epoch,
            "history": {k: [_json_value(v) for v in vs] for k, vs in self.history.items()},
        }
        atomic_write(path, json.dumps(state, indent=1, allow_nan=False))

    @classmethod
    def from_json(cls, path) -> History:
        """Read a file written by :meth:`to_json`."""
        state = json.loads(Path(path).read_text(encoding="utf-8"))
        history = cls()
        history.load_state_dict(
            {
                "epoch": state["epoch"],
                "history": {k: [_parse(v) for v in vs] for k, vs in state["history"].items()},
            }
        )
        return history

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict:
        return {"epoch": list(self.epoch), "history": {k: list(v) for k, v in self.history.items()}}

    def load_state_dict(self, state: dict) -> None:
        self.epoch = [int(e) for e in state["epoch"]]
        self.history = {str(k): [_number(v) for v in vs] for k, vs in state["history"].items()}


def _json_value(value):
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "nan", "inf", "-inf"
    return value


def _parse(text):
    """A CSV/JSON cell back to a number: ints stay ints, the rest floats ("nan" too)."""
    if not isinstance(text, str):
        return text
    try:
        return int(text)
    except ValueError:
        return float(text)
