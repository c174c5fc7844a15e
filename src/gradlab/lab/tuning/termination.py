"""SIGTERM to a ``gradlab tune`` worker fails its running trial at once.

:func:`sigterm_fails_the_trial` turns SIGTERM into :class:`Terminated`, a KeyboardInterrupt:
Optuna fails the trial whose objective raises one, and re-raises it. Two cases need care:

- an exception raised by a signal handler is lost when it lands in a weakref callback or a
  ``__del__`` (Python prints "Exception ignored"): until the code that handles it calls
  :func:`acknowledge_termination`, it is raised again every 0.2 s (SIGALRM);
- one raised inside Optuna's bookkeeping between trials (creating a trial, telling its
  result) would leave a trial RUNNING: there (:func:`shield`) it waits for the objective or
  for the worker's own loop.
"""

from __future__ import annotations

import contextlib
import signal
import threading

__all__ = [
    "Terminated", "acknowledge_termination", "pending", "raise_if_pending", "shield",
    "sigterm_fails_the_trial", "storage_write",
]  # fmt: skip


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived. A KeyboardInterrupt, so Optuna fails the running trial and re-raises."""


_TERMINATION = {"pending": False, "shielded": False}
_REPEAT = 0.2  # seconds between raises of a SIGTERM not yet handled


def raise_if_pending(signum=None, frame=None):
    """Raise :class:`Terminated` for a SIGTERM not yet handled, unless shielded (also the
    SIGALRM handler that repeats it)."""
    if _TERMINATION["pending"] and not _TERMINATION["shielded"]:
        raise Terminated("SIGTERM")


@contextlib.contextmanager
def shield(shielded: bool):
    """Inside Optuna's own bookkeeping (``study.optimize`` outside the objective) a SIGTERM
    waits: an exception there would leave the trial RUNNING. The objective is not shielded:
    Optuna fails the trial whose objective raises."""
    previous = _TERMINATION["shielded"]
    _TERMINATION["shielded"] = shielded
    try:
        yield
    finally:
        _TERMINATION["shielded"] = previous


@contextlib.contextmanager
def storage_write():
    """Around a storage write from inside the objective (``trial.suggest_*``, ``report``,
    ``set_user_attr``): a SIGTERM arriving there would break the storage's open transaction
    (SQLAlchemy), so it waits until the write is done and is raised right after it."""
    with shield(True):
        yield
    raise_if_pending()


def acknowledge_termination() -> None:
    """The :class:`Terminated` raised by SIGTERM reached code that handles it: stop raising."""
    _TERMINATION["pending"] = False
    if hasattr(signal, "setitimer"):
        signal.setitimer(signal.ITIMER_REAL, 0)


@contextlib.contextmanager
def sigterm_fails_the_trial():
    """While the block runs (in the main thread), SIGTERM raises :class:`Terminated` where
    the program is, so the running trial is marked failed at once.

    An exception raised by a signal handler is lost when it lands in a weakref callback or
    a ``__del__`` (Python prints "Exception ignored"), and one inside Optuna's bookkeeping
    between trials would leave a trial RUNNING; so it is raised where the program is only
    when that is safe (:func:`shield`), and again every 0.2 s (SIGALRM) until the code that
    handles it calls :func:`acknowledge_termination`."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum, frame):
        _TERMINATION["pending"] = True
        if hasattr(signal, "setitimer"):
            signal.setitimer(signal.ITIMER_REAL, _REPEAT, _REPEAT)
        raise_if_pending()

    previous = signal.signal(signal.SIGTERM, terminate)
    alarm = signal.signal(signal.SIGALRM, raise_if_pending) if hasattr(signal, "SIGALRM") else None
    try:
        yield
    finally:
        acknowledge_termination()
        signal.signal(signal.SIGTERM, previous)
        if alarm is not None:
            signal.signal(signal.SIGALRM, alarm)


def pending() -> bool:
    """Whether a SIGTERM arrived that no code has handled yet."""
    return _TERMINATION["pending"]
