"""Running compiled kernels on two threads: the caller's and one helper thread.

Memory-bound passes (an optimizer step's updates) are split in two halves; the helper thread
runs the first half's kernel calls while the caller runs the second's, then the caller waits
for the helper. The kernels release the GIL (``nogil=True``), so the halves run at once.

One helper thread per process, started on first use (a daemon, named ``gradlab-fast``), and
started again in a child process after a fork (threads do not survive one). The helper serves
one caller at a time: a call made while another thread's call holds it runs both halves on its
own thread, so concurrent callers are safe and never wait for each other. An exception raised
by the helper's half is raised again in the caller.
"""

from __future__ import annotations

import os
import threading

__all__ = ["run_halves"]


def _run_all(calls: list) -> None:
    for kernel, args in calls:
        kernel(*args)


class _Helper:
    """The helper thread and the two locks that hand it a job and hand it back."""

    def __init__(self):
        self.busy = threading.Lock()  # held by the caller being served
        self.go = threading.Lock()  # released by the caller to start the helper's half
        self.done = threading.Lock()  # released by the helper when its half is done
        self.go.acquire()
        self.done.acquire()
        self.job = None
        self.error = None
        threading.Thread(target=self._serve, name="gradlab-fast", daemon=True).start()

    def _serve(self) -> None:
        while True:
            self.go.acquire()
            try:
                _run_all(self.job)
            except BaseException as error:  # noqa: BLE001 - handed to the caller
                self.error = error
            self.job = None
            self.done.release()


_helper: _Helper | None = None
_starting = threading.Lock()


def _forget_helper() -> None:
    global _helper, _starting
    _helper, _starting = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_helper)


def _get_helper() -> _Helper:
    global _helper
    if _helper is None:
        with _starting:
            if _helper is None:
                _helper = _Helper()
    return _helper


def run_halves(first: list, second: list) -> None:
    """Each ``(kernel, args)`` of ``first`` on the helper thread and of ``second`` on this one,
    at once; returns when both are done. Both on this thread while another caller has the
    helper."""
    helper = _get_helper()
    if not helper.busy.acquire(blocking=False):
        _run_all(first)
        _run_all(second)
        return
    try:
        helper.job = first
        helper.go.release()
        try:
            _run_all(second)
        finally:
            helper.done.acquire()
        error, helper.error = helper.error, None
        if error is not None:
            raise error
    finally:
        helper.busy.release()
