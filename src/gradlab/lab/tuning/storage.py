"""Where a study lives: a SQLite file by default, any Optuna (SQLAlchemy) URL on request.

- no URL: ``sqlite:///<out_dir>/study.db``, one file that every ``gradlab tune`` process on
  this machine can share, and that lets a stopped study resume;
- ``postgresql+psycopg://user:password@host/db`` (or MySQL...): one study spread over many
  machines; every machine runs ``gradlab tune CONFIG --storage URL --study NAME`` and they
  share the trials (needs the database's driver: ``pip install 'gradlab[postgres]'``, psycopg
  3; a plain ``postgresql://`` URL uses psycopg 3 when psycopg2 is not installed);
- ``memory``: Optuna's in-memory storage, for one process that keeps nothing.

SQLite serializes writers, so several processes wait on each other's locks: the connection
gets a 60 s lock timeout unless the URL sets one. RDB storages get Optuna's heartbeat: a
running trial records one every ``heartbeat_interval`` seconds (default :data:`HEARTBEAT`),
a trial whose process died is failed after ``grace_period`` seconds without one (default
:data:`GRACE_PERIOD`; ``[tune] heartbeat_interval`` and ``grace_period`` set both), and
Optuna's retry callback enqueues it again with the same parameters.

This module is the one place that turns a storage URL into an Optuna storage.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

from gradlab.optional import require

__all__ = [
    "GRACE_PERIOD", "HEARTBEAT", "StorageError", "default_url", "open_storage", "retry_callback",
    "show_url",
]  # fmt: skip

HEARTBEAT = 20  # seconds between a running trial's heartbeats
GRACE_PERIOD = 60  # a running trial without a heartbeat for this long is stale
SQLITE_TIMEOUT = 60  # seconds a SQLite connection waits for another process's lock
MEMORY = ("memory", ":memory:")
_ATTEMPTS = 6  # tries to open a database another process is creating


class StorageError(RuntimeError):
    """A storage URL that cannot be opened; the message is one line."""


def default_url(out_dir) -> str:
    """``sqlite:///<absolute out_dir>/study.db``."""
    return f"sqlite:///{(Path(out_dir) / 'study.db').resolve()}"


def show_url(url: str) -> str:
    """The URL with its password hidden (for messages and reports)."""
    if url in MEMORY:
        return "memory"
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


def _engine_kwargs(url: str) -> dict:
    if url.startswith("sqlite"):
        return {} if "timeout=" in url else {"connect_args": {"timeout": SQLITE_TIMEOUT}}
    if url.startswith("postgresql") and "connect_timeout=" not in url:
        # fail in seconds, not after the operating system's TCP timeout
        return {"connect_args": {"connect_timeout": 10}, "pool_pre_ping": True}
    return {"pool_pre_ping": True}


def retry_callback():
    """Optuna's callback that enqueues a failed stale trial again with its parameters
    (``RetryHeartbeatStaleTrialCallback``; ``RetryFailedTrialCallback`` before Optuna 4.9)."""
    optuna = require("optuna", "gradlab tune")
    cls = getattr(optuna.storages, "RetryHeartbeatStaleTrialCallback", None)
    if cls is None:  # pragma: no cover (Optuna < 4.9)
        cls = optuna.storages.RetryFailedTrialCallback
    with warnings.catch_warnings():  # "experimental" in Optuna
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return cls(max_retry=3)


def _heartbeat_options(optuna, heartbeat_interval: int, grace_period: int) -> dict:
    import inspect

    parameters = inspect.signature(optuna.storages.RDBStorage.__init__).parameters
    name = (
        "heartbeat_stale_trial_callback"
        if "heartbeat_stale_trial_callback" in parameters
        else "failed_trial_callback"
    )
    return {
        "heartbeat_interval": int(heartbeat_interval),
        "grace_period": int(grace_period),
        name: retry_callback(),
    }


def open_storage(
    url: str | None,
    out_dir=None,
    heartbeat_interval: int = HEARTBEAT,
    grace_period: int = GRACE_PERIOD,
):
    """An Optuna storage for ``url`` (None: the SQLite file in ``out_dir``, created); RDB
    storages with the heartbeat and retry described above.

    Raises :class:`StorageError` with one line naming the URL (password hidden) and the
    cause when the URL is malformed, its driver is missing or the database cannot be
    reached.
    """
    optuna = require("optuna", "gradlab tune")
    if url is None:
        if out_dir is None:
            raise ValueError("open_storage: give a storage URL or an out_dir for the SQLite file")
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        url = default_url(out_dir)
    if url in MEMORY:
        return optuna.storages.InMemoryStorage()
    if "://" not in url:
        raise StorageError(
            f"storage {url!r} is not a URL; expected e.g. sqlite:///study.db or "
            "postgresql+psycopg://user:password@host/database"
        )
    given, url = url, with_installed_driver(url)  # messages show the URL as given
    for attempt in range(_ATTEMPTS):
        try:
            with warnings.catch_warnings():  # the heartbeat is "experimental" in Optuna
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return optuna.storages.RDBStorage(
                    url,
                    engine_kwargs=_engine_kwargs(url),
                    **_heartbeat_options(optuna, heartbeat_interval, grace_period),
                )
        except ImportError as error:
            dialect = url.split("://", 1)[0]
            raise StorageError(
                f"cannot open storage {show_url(given)}: the database driver for {dialect!r} is "
                f"not installed (for PostgreSQL: pip install 'gradlab[postgres]', psycopg 3, "
                f"with a postgresql+psycopg:// URL) "
                f"({_first_line(error)})"
            ) from None
        except Exception as error:  # SQLAlchemy's: bad URL, no such dialect, unreachable
            if attempt + 1 < _ATTEMPTS and _creation_race(error):
                time.sleep(0.2 * (attempt + 1))  # another process is creating the tables
                continue
            raise StorageError(
                f"cannot open storage {show_url(given)}: {_first_line(error)}"
            ) from None
    raise AssertionError("unreachable")  # pragma: no cover


def with_installed_driver(url: str) -> str:
    """``url`` with the psycopg 3 driver named (``postgresql+psycopg://``) when it names
    none, psycopg 3 is installed and psycopg2 (SQLAlchemy's default for ``postgresql://``)
    is not; any other URL unchanged."""
    import importlib.util

    if not url.startswith("postgresql://") or importlib.util.find_spec("psycopg2") is not None:
        return url
    if importlib.util.find_spec("psycopg") is None:
        return url
    return "postgresql+psycopg://" + url[len("postgresql://") :]


def _creation_race(error: BaseException) -> bool:
    """Two processes opening a new database at once: one creates the tables, the other
    trips over them (SQLite: a unique-constraint error on the schema version, a lock)."""
    text = str(error).lower()
    return any(word in text for word in ("unique constraint", "already exists", "locked",
                                         "duplicate"))  # fmt: skip


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
