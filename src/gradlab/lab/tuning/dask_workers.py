"""Run a study's workers as tasks on a Dask cluster.

``gradlab tune CONFIG --scheduler tcp://HOST:8786 [--jobs N]`` submits N tasks (default: one
per worker of the cluster) to a running ``dask.distributed`` scheduler. Each task is one
Optuna worker, :func:`~gradlab.lab.tuning.workers.run_spec`: it opens the study from the
storage URL (so the storage must be one every Dask worker reaches: a SQLite file on a shared
disk, or PostgreSQL) and runs trials until the study has its N finished, exactly as a
``--jobs`` process does; the surplus-slot claim and Optuna's heartbeats keep the count exact.

A Dask worker that dies takes its task's trial with it: the trial's heartbeat goes stale
and another worker runs its retry; Dask itself may run the lost task again on another
worker. A task that Dask gives up on (``KilledWorker``) is logged as one line and the
driver finishes the study if it is still short, as with ``--jobs``. Start the workers with
``dask worker tcp://HOST:8786 --nthreads 1`` (one thread per process: NumPy training holds
the GIL), with gradlab and the config's datasets installed.
"""

from __future__ import annotations

import logging

from gradlab.lab.tuning.workers import WorkerSpec, run_spec
from gradlab.optional import require

__all__ = ["DaskSchedulerError", "run_workers_on_dask"]


class DaskSchedulerError(RuntimeError):
    """The scheduler cannot be reached, or has no workers."""


def _task(spec: WorkerSpec, index: int) -> int:
    return run_spec(spec)


def run_workers_on_dask(spec: WorkerSpec, scheduler: str, jobs: int | None = None) -> list[int]:
    """Run ``jobs`` workers (None: one per Dask worker) as tasks on the Dask scheduler at
    ``scheduler``; returns each task's finished trials (0 for one lost with its worker).
    An exception in a task is raised here after all tasks have ended."""
    require("distributed", "gradlab tune --scheduler")
    from distributed import Client, KilledWorker, as_completed

    try:
        client = Client(scheduler, timeout=30)
    except OSError as error:
        raise DaskSchedulerError(f"cannot reach the Dask scheduler {scheduler}: {error}") from None
    log = logging.getLogger("gradlab.tune")
    try:
        if jobs is None:
            jobs = len(client.scheduler_info().get("workers", {}))
            if jobs < 1:
                raise DaskSchedulerError(f"the Dask scheduler {scheduler} has no workers")
        futures = [client.submit(_task, spec, i, pure=False) for i in range(jobs)]
        index = {future.key: i for i, future in enumerate(futures)}
        counts, errors = [0] * jobs, []
        for future in as_completed(futures):
            i = index[future.key]
            try:
                counts[i] = future.result()
            except KilledWorker as error:
                log.warning("gradlab tune: Dask task %d lost its worker: %s", i, error)
            except Exception as error:  # re-raised once every task has ended
                errors.append(error)
    finally:
        client.close()
    if errors:
        raise errors[0]
    return counts
