"""Atomic file writes: a reader, or a process killed mid-write, sees the old file or the
complete new one at ``path``, never a mix — and two writers never share a temporary file.

Every file gradlab writes whole (checkpoints, reports, tuning outputs, downloads, figures)
goes through :func:`atomic_write` or :func:`atomic_open`:

1. a temporary file with a unique name in the same directory (same file system, so the
   rename is atomic): ``.<name>.<host>-<pid>-<random>.tmp``, created with ``O_EXCL`` (never
   through an existing file or link);
2. write, ``flush``, ``fsync``;
3. ``os.replace`` onto ``path``, then ``fsync`` of the directory (the rename is durable);
4. on any error the temporary file is removed and the error raised.

A writer killed with SIGKILL cannot clean up, so its temporary file stays behind (a backup's
can be as large as the model). :func:`reclaim_stale` removes the temporary files of a
target whose writer is gone: written on this host by a process that no longer exists, or
older than ``max_age`` seconds (a writer on another host sharing the directory). Every
atomic write reclaims the stale temporary files of its own target first.

This module imports nothing from gradlab, so every layer may use it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import socket
import time
from pathlib import Path

__all__ = ["atomic_open", "atomic_write", "fsync_directory", "reclaim_stale", "temp_path"]

STALE_AGE = 24 * 3600.0
"""Seconds after which a temporary file of another host's writer counts as abandoned."""

_HOST = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:8]
_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<host>[0-9a-f]{8})-(?P<pid>\d+)-[0-9a-f]{8}\.tmp$")


def temp_path(path) -> Path:
    """A fresh temporary name beside ``path``: ``.<name>.<host>-<pid>-<random>.tmp``."""
    path = Path(path)
    return path.with_name(f".{path.name}.{_HOST}-{os.getpid()}-{secrets.token_hex(4)}.tmp")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):  # exists but not ours, or cannot be told
        return True
    return True


def reclaim_stale(path, max_age: float = STALE_AGE) -> list[Path]:
    """Remove the temporary files of target ``path`` left by writers that are gone (see the
    module docstring); returns those removed. Files of live writers are left alone."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    prefix = f".{path.name}."
    removed = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        match = _TEMP.match(entry.name)
        if match is None or match["name"] != path.name:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        here = match["host"] == _HOST
        if (here and not _alive(int(match["pid"]))) or now - info.st_mtime > max_age:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def fsync_directory(directory) -> None:
    """Make a rename in ``directory`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_open(path, mode: str = "wb", encoding: str | None = None, newline: str | None = None):
    """``with atomic_open(path, "w") as f: ...``: ``f`` writes a temporary file that replaces
    ``path`` when the block ends without an exception (see the module docstring); an
    exception removes it and leaves ``path`` as it was. ``mode`` is "w" or "wb"."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open: mode must be 'w' or 'wb', got {mode!r}")
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    reclaim_stale(path)
    temp = temp_path(path)
    # O_EXCL: never write through an existing file or link; 0o666 then the umask, as open()
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        if mode == "wb":
            f = os.fdopen(fd, "wb")
        else:
            f = os.fdopen(fd, "w", encoding=encoding or "utf-8", newline=newline)
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    fsync_directory(directory)


def atomic_write(path, data: bytes | str, encoding: str = "utf-8") -> Path:
    """Write ``data`` (bytes, or text in ``encoding``) to ``path`` atomically; returns
    ``path``. Raises the OSError of a failed write (a full disk: ENOSPC) with ``path``
    unchanged and no temporary file left."""
    path = Path(path)
    blob = data.encode(encoding) if isinstance(data, str) else bytes(data)
    with atomic_open(path, "wb") as f:
        f.write(blob)
    return path
