"""One run at a time in an output directory: ``with lock_output(out): ...``.

Two ``gradlab train`` runs into one ``--out`` would overwrite each other's backup, weights
and report. The lock is an advisory ``flock`` on ``OUT/.gradlab.lock`` (``msvcrt.locking`` on
Windows), held while the run writes; the operating system drops it when the process ends,
however it ends, so a killed run never leaves a stale lock behind. The file holds the pid
of the holder, for the message.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

__all__ = ["LOCK_FILE", "OutputLockedError", "lock_output"]

LOCK_FILE = ".gradlab.lock"


class OutputLockedError(RuntimeError):
    """Another process is running into the output directory; the message is one line."""


def _try_lock(fd: int) -> bool:
    try:
        import fcntl
    except ImportError:  # pragma: no cover (Windows)
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def lock_output(out):
    """Hold the lock of directory ``out`` (created) while the block runs; raises
    :class:`OutputLockedError` at once when another process holds it."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        if not _try_lock(fd):
            os.lseek(fd, 0, os.SEEK_SET)
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            raise OutputLockedError(
                f"{out}: another run (pid {holder}) is writing into this directory; wait for "
                "it to end or choose another --out"
            )
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
