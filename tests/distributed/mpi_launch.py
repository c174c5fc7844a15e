"""Launch a program on N MPI ranks for the tests: ``mpiexec`` from the MPI that pip installed
(the ``mpich`` wheel), inside a network namespace that has only loopback (``unshare -rn``,
or ``unshare -n`` as root) so nothing the job opens is reachable from outside the machine.
Where namespaces are not permitted the job runs without one, and a warning says so."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import sysconfig
import warnings
from pathlib import Path

PROGRAMS = Path(__file__).parent / "programs"
TIMEOUT = 180  # seconds; a job that hangs fails the test instead of the suite


def mpiexec() -> str | None:
    """The ``mpiexec`` beside this Python (pip's mpich), else the one on PATH."""
    for folder in (Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))):
        candidate = folder / "mpiexec"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("mpiexec")


@functools.cache
def namespace_prefix() -> tuple[str, ...]:
    """The command prefix that runs a command in a loopback-only network namespace, or ()
    when none can be made here."""
    unshare = shutil.which("unshare")
    if unshare is not None:
        for flags in ("-rn", "-n"):
            try:
                done = subprocess.run([unshare, flags, "true"], capture_output=True, timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                continue
            if done.returncode == 0:
                return (unshare, flags)
    warnings.warn(
        "no network namespace could be made here (unshare -rn / -n not permitted): the MPI "
        "test jobs run in the machine's network namespace",
        stacklevel=2,
    )
    return ()


def _python_args(program: str) -> list[str]:
    """``programs/<program>`` for a file name, ``-m gradlab`` for "gradlab"."""
    return ["-m", program] if not program.endswith(".py") else [str(PROGRAMS / program)]


def run(ranks: int, program: str, *args, timeout: float = TIMEOUT, cwd=None):
    """Run ``programs/<program>`` (or ``python -m <program>``) with ``args`` on ``ranks``
    ranks; return the completed process (text output). A job still running after
    ``timeout`` seconds is killed and reported as a hang (``subprocess.TimeoutExpired``)."""
    command = [*namespace_prefix(), mpiexec(), "-n", str(ranks), sys.executable,
               *_python_args(program), *map(str, args)]  # fmt: skip
    env = dict(os.environ)
    src = Path(__file__).resolve().parents[2] / "src"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
    return subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd
    )


def run_alone(program: str, *args, timeout: float = TIMEOUT, cwd=None):
    """Run ``programs/<program>`` (or ``python -m <program>``) as one ordinary process."""
    env = dict(os.environ)
    src = Path(__file__).resolve().parents[2] / "src"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, *_python_args(program), *map(str, args)],
        capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd,
    )  # fmt: skip
