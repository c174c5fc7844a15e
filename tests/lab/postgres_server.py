"""A throwaway PostgreSQL for the tests, listening on a Unix socket only (no TCP port):
from pgserver's wheels (``pip install pgserver``, no root needed), else from Debian's
``postgresql`` package when its binaries are installed. ``start(folder)`` returns
``(url, stop)`` with a ``postgresql+psycopg://`` URL; ``None`` when neither is available
(the reason is in :data:`why_not`)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import warnings

why_not = ""


def start(folder):
    """Start a server with its data (and socket) in a new directory under ``folder``."""
    global why_not
    try:
        import psycopg  # noqa: F401
    except ImportError:
        why_not = "psycopg (3) is not installed: pip install 'gradlab[postgres]'"
        return None
    try:
        import pgserver
    except ImportError:
        pgserver = None
    if pgserver is not None:
        with warnings.catch_warnings():  # platformdirs: XDG_RUNTIME_DIR is not set
            warnings.simplefilter("ignore")
            server = pgserver.get_server(tempfile.mkdtemp(dir=folder), cleanup_mode="delete")
        url = server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
        return url, server.cleanup
    return _start_debian(folder)


def _start_debian(folder):
    global why_not
    found = shutil.which("pg_ctl") or next(iter(sorted(glob.glob(
        "/usr/lib/postgresql/*/bin/pg_ctl"))), None)  # fmt: skip
    if found is None:
        why_not = "no PostgreSQL server: pip install pgserver, or apt-get install postgresql"
        return None
    bin_dir = os.path.dirname(os.path.realpath(found))
    data = tempfile.mkdtemp(prefix="gradlab-pg-")  # under /tmp: the postgres user can enter
    run_as: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        if shutil.which("runuser") is None:
            why_not = "running as root without runuser to start Debian's PostgreSQL"
            return None
        shutil.chown(data, "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*run_as, f"{bin_dir}/initdb", "-D", f"{data}/db", "-U", "postgres",
                    "--auth=trust"], check=True, capture_output=True)  # fmt: skip
    subprocess.run(
        [*run_as, f"{bin_dir}/pg_ctl", "-D", f"{data}/db", "-l", f"{data}/log", "-w",
         "-o", f"-c listen_addresses='' -k {data}", "start"],
        check=True, capture_output=True,
    )  # fmt: skip

    def stop():
        subprocess.run([*run_as, f"{bin_dir}/pg_ctl", "-D", f"{data}/db", "-m", "immediate",
                        "stop"], capture_output=True)  # fmt: skip
        shutil.rmtree(data, ignore_errors=True)

    return f"postgresql+psycopg://postgres@/postgres?host={data}", stop
