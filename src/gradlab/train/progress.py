"""Progress display for every training loop: ``Trainer.fit``, the Keras front end's ``fit``,
``compare``, ``tune`` and the lr range test use this one module.

Where the output goes decides what is drawn (:func:`display_mode`):

- ``"terminal"`` (stdout is a tty): a tqdm bar per epoch with the running loss, then one line
  per epoch with every logged value (``verbose=1``);
- ``"notebook"`` (a Jupyter kernel): a live bar per epoch with the running loss that stays on
  screen with the epoch's loss, metrics and validation values, as Keras draws it: tqdm's
  notebook widget when ipywidgets is installed, a text bar otherwise;
- ``"plain"`` (a pipe, a log file, a test): one line per epoch.

``verbose=0`` shows nothing; ``verbose=2`` one line per epoch everywhere.

A training loop uses it like this::

    show = Progress(verbose, epochs, steps_per_epoch)
    for epoch in range(epochs):
        bar = show.bar(epoch)                  # initial=k for a resumed epoch
        for batch in ...:
            ...
            bar.update(running_loss)           # or bar.update(logs={"loss": .., "acc": ..})
        bar.close()
        ...                                    # validation
        show.epoch_end(epoch, logs)            # the epoch's line, or the bar's final values
    show.close()

and a loop over other units (variants, trials, steps) takes :func:`progress_bar`.
"""

from __future__ import annotations

import importlib.util
import sys

from tqdm import tqdm as _text_tqdm

from gradlab._display import in_notebook

__all__ = ["EpochBar", "Progress", "display_mode", "format_logs", "progress_bar"]


def display_mode(stream=None) -> str:
    """``"notebook"`` in a Jupyter kernel, ``"terminal"`` when ``stream`` (stdout) is a tty,
    else ``"plain"``."""
    if in_notebook():
        return "notebook"
    stream = sys.stdout if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return "terminal" if isatty is not None and isatty() else "plain"


def _widget_tqdm():
    """tqdm's notebook class when ipywidgets is installed, else None (a text bar then)."""
    if importlib.util.find_spec("ipywidgets") is None:
        return None
    try:
        from tqdm.notebook import IProgress, tqdm
    except ImportError:  # pragma: no cover - a broken ipywidgets
        return None
    return tqdm if IProgress is not None else None


def progress_bar(total: int, desc: str, *, unit: str = "it", file=None, disable: bool = False,
                 mode: str | None = None, leave: bool = True):  # fmt: skip
    """A tqdm bar over ``total`` units: the notebook widget in a notebook with ipywidgets, a
    text bar otherwise (on ``file``, default stderr). Update it with ``update(n)`` and
    ``set_postfix_str(text)``; close it with ``close()``."""
    mode = display_mode() if mode is None else mode
    widget = _widget_tqdm() if mode == "notebook" and not disable else None
    if widget is not None:
        try:
            return widget(total=total, desc=desc, unit=unit, leave=leave)
        except ImportError:  # pragma: no cover - ipywidgets present but not usable
            pass
    file = sys.stderr if file is None else file
    if mode == "notebook":  # a text bar in a notebook: no width to ask for, a fixed bar
        return _text_tqdm(total=total, desc=desc, unit=unit, leave=leave, file=file,
                          ncols=1000, bar_format="{l_bar}{bar:20}{r_bar}",
                          disable=disable)  # fmt: skip
    return _text_tqdm(total=total, desc=desc, unit=unit, leave=leave, file=file,
                      dynamic_ncols=True, disable=disable)  # fmt: skip


def format_logs(logs: dict, sep: str = " - ") -> str:
    """``loss: 0.3412 - accuracy: 0.9 - val_loss: 0.4``: every logged number, 4 significant
    digits (Keras's epoch line)."""
    return sep.join(f"{k}: {v:.4g}" if isinstance(v, (int, float)) else f"{k}: {v}"
                    for k, v in logs.items())  # fmt: skip


class EpochBar:
    """The bar of one epoch; a no-op when nothing is shown.

    ``update(loss=None, logs=None, steps=1)``: ``steps`` more batches done; the bar shows
    ``loss`` (the running mean) or every value of ``logs``. ``close()``: the epoch's batches
    are done (the bar may stay open until :meth:`Progress.epoch_end` writes its values)."""

    def __init__(self, bar=None, keep_open: bool = False):
        self._bar, self._keep_open = bar, keep_open

    def update(self, loss: float | None = None, logs: dict | None = None, steps: int = 1):
        if self._bar is None:
            return
        if logs:
            self._bar.set_postfix_str(format_logs(logs, ", "), refresh=False)
        elif loss is not None:
            self._bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
        self._bar.update(steps)

    def close(self):
        if self._bar is not None and not self._keep_open:
            self._bar.close()

    def finish(self, logs: dict):
        """Show the epoch's final ``logs`` and close the bar."""
        if self._bar is None:
            return
        if logs:
            self._bar.set_postfix_str(format_logs(logs), refresh=True)
        self._bar.close()
        self._bar = None


class Progress:
    """What a training loop shows (the module docstring): ``verbose`` 0 (nothing), 1 (a bar
    per epoch where a bar can be drawn, else a line per epoch) or 2 (a line per epoch);
    ``epochs``: the fit's epochs; ``steps``: batches per epoch; ``mode``: "terminal",
    "notebook" or "plain" (default: :func:`display_mode`)."""

    def __init__(self, verbose, epochs, steps, mode: str | None = None):
        self.verbose, self.epochs, self.steps = verbose, epochs, steps
        self.mode = display_mode() if mode is None else mode
        self._open: EpochBar | None = None  # a notebook bar waiting for its epoch's logs

    @property
    def draws_bars(self) -> bool:
        return self.verbose == 1 and self.mode in ("terminal", "notebook")

    def bar(self, epoch, initial=0) -> EpochBar:
        """The bar of one epoch (a no-op object when not shown); ``initial``: batches
        already done (a resumed epoch)."""
        self._finish_open({})
        if not self.draws_bars:
            return EpochBar()
        desc = f"Epoch {epoch + 1}/{self.epochs}"
        if self.mode == "terminal":
            bar = _text_tqdm(total=self.steps, initial=initial, desc=desc, leave=True,
                             file=sys.stdout, dynamic_ncols=True)  # fmt: skip
            return EpochBar(bar)
        bar = progress_bar(self.steps, desc, unit="batch", file=sys.stdout, mode="notebook")
        if initial:
            bar.update(initial)
        self._open = EpochBar(bar, keep_open=True)
        return self._open

    def epoch_end(self, epoch, logs: dict) -> None:
        """The epoch's values: the notebook bar's final text, else one line."""
        if not self.verbose:
            return
        if self._open is not None:
            self._finish_open(logs)
            return
        _text_tqdm.write(f"Epoch {epoch + 1}/{self.epochs} - {format_logs(logs)}",
                         file=sys.stdout)  # fmt: skip

    def close(self) -> None:
        """Close a bar left open (a fit that stopped between a bar and its epoch's end)."""
        self._finish_open({})

    def _finish_open(self, logs: dict) -> None:
        if self._open is not None:
            self._open.finish(logs)
            self._open = None
