"""Keras's progress output: ``Epoch 3/20`` then, for verbose=1, a bar per epoch
``25/25 ━━━━━━━━━━━━━━━━━━━━ 0s 3ms/step - accuracy: 0.8502 - loss: 0.4218`` (redrawn in
place on a terminal, printed once at the end otherwise); verbose=2 one line per epoch
``25/25 - 0s - 3ms/step - accuracy: ...``."""

from __future__ import annotations

import sys
import time

from gradlab._display import in_notebook


def format_value(v) -> str:
    v = float(v)
    return f"{v:.4f}" if abs(v) > 1e-3 or v == 0 else f"{v:.4e}"


def format_logs(logs: dict) -> str:
    return "".join(
        f" - {k}: {format_value(v)}" for k, v in logs.items() if isinstance(v, (int, float))
    )


def _time(seconds: float) -> str:
    if seconds >= 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds >= 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


def _per_step(seconds: float, steps: int) -> str:
    per = seconds / max(steps, 1)
    if per >= 1:
        return f"{per:.0f}s/step"
    if per >= 1e-3:
        return f"{per * 1e3:.0f}ms/step"
    return f"{per * 1e6:.0f}us/step"


class Progbar:
    """The bar of one epoch (or one evaluate/predict pass) of ``target`` steps."""

    def __init__(self, target: int, verbose: int = 1, width: int = 20):
        self.target, self.verbose, self.width = target, verbose, width
        self.start = time.time()
        # redrawn in place (carriage returns) in a terminal and in a Jupyter notebook, whose
        # output cells honour them: a live bar there, as Keras draws it
        isatty = getattr(sys.stdout, "isatty", None)
        self.dynamic = verbose == 1 and ((isatty is not None and isatty()) or in_notebook())
        self._last = 0.0

    def update(self, current: int, logs: dict | None = None, finalize: bool = False) -> None:
        if self.verbose == 0:
            return
        now = time.time()
        elapsed = now - self.start
        logs = logs or {}
        if self.verbose == 2:
            if finalize:
                print(
                    f"{current}/{self.target} - {_time(elapsed)} - "
                    f"{_per_step(elapsed, current)}{format_logs(logs)}",
                    flush=True,
                )
            return
        if not finalize and (not self.dynamic or now - self._last < 0.05):
            return
        self._last = now
        done = int(self.width * current / max(self.target, 1))
        bar = "━" * done + " " * (self.width - done) if self.dynamic else "━" * self.width
        if finalize:
            when = f"{_time(elapsed)} {_per_step(elapsed, current)}"
        else:
            eta = elapsed / max(current, 1) * (self.target - current)
            when = f"{_time(eta)}"
        line = f"{current}/{self.target} {bar} {when}{format_logs(logs)}"
        if self.dynamic:
            sys.stdout.write("\r" + line + ("\n" if finalize else ""))
            sys.stdout.flush()
        elif finalize:
            print(line, flush=True)
