"""Workers: processes that run one study's trials together until it has N finished.

A study is done when N trials have finished (completed or pruned), however many processes
worked on it and however often it was restarted or killed: a resumed study runs only what
is missing. Each worker runs trials with ``study.optimize`` until then; before a trial trains
it claims its slot: among the trials that are finished or running, ordered by trial number
(unique and assigned by the storage), a trial whose place is N or beyond is surplus — two
workers started the last trial at once — and it ends at once, without training, as a FAIL
trial marked with the user attribute ``gradlab_surplus`` (Optuna cannot delete a trial).
So two ``gradlab tune`` processes on one storage finish exactly N trials between them.

A worker whose missing trials are all running elsewhere waits for them rather than exiting
one short. A worker that dies (SIGKILL, a lost machine) leaves its trial RUNNING; Optuna's
heartbeat finds it (:mod:`.storage`: every RDB storage records a heartbeat per running
trial, and ``optuna.storages.fail_stale_trials`` fails a trial whose heartbeat is older
than the grace period), and Optuna's ``RetryHeartbeatStaleTrialCallback`` enqueues a copy
with the same parameters, which a waiting worker then runs. A worker sent SIGTERM marks its
running trial failed at once (:func:`sigterm_fails_the_trial`; Optuna fails a trial whose
objective raises) and enqueues its retry the same way.

``--jobs J`` starts J worker processes (``spawn``, so nothing is inherited by fork); Optuna's
own ``n_jobs`` runs threads, which the GIL serializes for NumPy-on-CPU training loops. A
killed worker process does not stop the others; if the study is still short when they have
all ended, the parent process finishes it. ``--scheduler`` runs the same worker
(:func:`run_spec`) as tasks on a Dask cluster instead (:mod:`.dask_workers`).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
import time
from dataclasses import dataclass, field

from gradlab.lab.tuning.termination import (
    Terminated,
    acknowledge_termination,
    pending,
    raise_if_pending,
    shield,
    sigterm_fails_the_trial,
)
from gradlab.optional import require

__all__ = [
    "IncompleteStudyError", "SurplusTrial", "Terminated", "WorkerSpec", "finished_count",
    "acknowledge_termination", "run_spec", "run_worker", "run_workers",
    "sigterm_fails_the_trial",
]  # fmt: skip

_optuna = require("optuna", "gradlab tune")
TrialState = _optuna.trial.TrialState
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
_CLAIMED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
SURPLUS = "gradlab_surplus"


class SurplusTrial(Exception):
    """The study had its N trials finished or running when this trial started."""


class IncompleteStudyError(RuntimeError):
    """The study ended with fewer finished trials than asked for; the message says how many."""


class _QuietTrials(logging.Filter):
    """Optuna's "Trial N failed" lines: none for a surplus slot (nothing ran), and no
    traceback for a SIGTERM (the line says what happened)."""

    def filter(self, record) -> bool:
        message = record.getMessage()
        if "SurplusTrial(" in message:
            return False
        if "Terminated(" in message:
            record.exc_info, record.exc_text = None, None
        return True


# filters of a logger apply to the records logged on it: the one that logs failed trials
logging.getLogger("optuna.study._optimize").addFilter(_QuietTrials())


def _heartbeat(study) -> bool:
    from optuna.storages._heartbeat import is_heartbeat_enabled

    return is_heartbeat_enabled(study._storage)


def _fail_stale(study) -> None:
    import warnings

    with warnings.catch_warnings():  # "experimental" in some Optuna versions
        warnings.simplefilter("ignore", _optuna.exceptions.ExperimentalWarning)
        _optuna.storages.fail_stale_trials(study)


def _poll_seconds(study) -> float:
    interval = study._storage.get_heartbeat_interval() if _heartbeat(study) else None
    return min(1.0, float(interval or 1.0))


def finished_count(study) -> int:
    """Completed plus pruned trials."""
    return len(study.get_trials(deepcopy=False, states=FINISHED))


def _is_surplus(study, trial, n_trials: int) -> bool:
    claimed = study.get_trials(deepcopy=False, states=_CLAIMED)
    ahead = sum(1 for t in claimed if t.number < trial.number)
    return ahead >= n_trials


def _grace_period(study) -> float:
    storage = study._storage
    backend = getattr(storage, "_backend", storage)  # Optuna may wrap it in a cache
    interval = float(storage.get_heartbeat_interval())
    return float(getattr(backend, "grace_period", None) or 2 * interval)


def _start_missing_heartbeats(study, first_seen: dict) -> None:
    """A worker killed between Optuna creating its trial and starting that trial's heartbeat
    leaves a RUNNING trial with no heartbeat, which ``fail_stale_trials`` never fails. Once a
    trial has been seen running for two grace periods, a heartbeat is recorded for it: a
    live owner records its own anyway, and a dead one's trial then goes stale."""
    now = time.monotonic()
    running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    for trial in running:
        seen = first_seen.setdefault(trial.number, now)
        if seen is not None and now - seen > 2 * _grace_period(study):
            study._storage.record_heartbeat(trial._trial_id)
            first_seen[trial.number] = None  # once per trial
    for number in set(first_seen) - {t.number for t in running}:
        del first_seen[number]


def run_worker(study, objective, n_trials: int, callbacks=()) -> int:
    """Run ``objective`` trials on ``study`` until it has ``n_trials`` finished; returns
    how many this worker finished. ``callbacks``: more Optuna callbacks ``fn(study, trial)``
    (a progress bar).

    While every missing trial is running elsewhere, the worker waits for them (with a
    heartbeat storage; stale trials are failed and their retries run). Without a heartbeat
    (memory storage) it returns instead: nobody could tell a dead trial from a slow one.

    An exception from the objective (a bug, a metric that training does not log) fails its
    trial and ends the worker with that exception: retrying would fail the same way. A
    diverged run is not an exception: the pruning callback prunes it. :class:`Terminated`
    (SIGTERM) fails the running trial, enqueues its retry, and ends the worker.
    """
    finished: list[int] = []
    current: dict = {}

    def guarded(trial):
        if pending():  # SIGTERM came while Optuna started this trial
            trial.set_user_attr(SURPLUS, True)
            study.stop()
            raise SurplusTrial(f"trial {trial.number}: not run, the worker was terminated")
        current["number"] = trial.number
        with shield(False):
            if _is_surplus(study, trial, n_trials):
                trial.set_user_attr(SURPLUS, True)
                study.stop()
                raise SurplusTrial(f"trial {trial.number}: the study has its {n_trials} trials")
            try:
                return objective(trial)
            except Terminated:
                acknowledge_termination()  # Optuna now fails the trial, undisturbed
                raise

    def count(study_, frozen) -> None:
        if frozen.state in FINISHED:
            finished.append(frozen.number)

    heartbeat = _heartbeat(study)
    first_seen: dict = {}
    while True:
        done = finished_count(study)
        if done >= n_trials:
            return len(finished)
        if heartbeat:
            _fail_stale(study)
        running = len(study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)))
        if done + running < n_trials:
            try:
                with shield(True):
                    study.optimize(
                        guarded,
                        catch=(SurplusTrial,),
                        callbacks=[
                            _optuna.study.MaxTrialsCallback(n_trials, states=FINISHED),
                            count,
                            *callbacks,
                        ],
                    )
                raise_if_pending()  # a SIGTERM that came during Optuna's bookkeeping
            except Terminated:
                acknowledge_termination()
                _retry_interrupted(study, current.get("number"))
                raise
            continue
        if not heartbeat:
            return len(finished)
        _start_missing_heartbeats(study, first_seen)
        time.sleep(_poll_seconds(study))


def _retry_interrupted(study, number) -> None:
    """Enqueue the parameters of this worker's trial that SIGTERM failed."""
    if number is None:
        return
    with contextlib.suppress(Exception):  # the study stays correct without the retry
        trial = next(t for t in study.get_trials(deepcopy=False) if t.number == number)
        if trial.state == TrialState.FAIL and not trial.user_attrs.get(SURPLUS):
            from gradlab.lab.tuning.storage import retry_callback

            retry_callback()(study, trial)


@dataclass
class WorkerSpec:
    """Everything a worker process needs (pickled to it): how to open the study and how to
    build its objective. ``build_objective(study) -> objective`` must be importable by name
    (a module-level function or a ``functools.partial`` of one)."""

    storage_url: str
    study_name: str
    n_trials: int
    build_objective: object
    build_sampler: object
    build_pruner: object
    log_level: int = logging.WARNING
    storage_options: dict = field(default_factory=dict)  # open_storage's keyword arguments
    extra: dict = field(default_factory=dict)


def run_spec(spec: WorkerSpec) -> int:
    """Open the study that ``spec`` names and run one worker on it (:func:`run_worker`);
    returns the trials it finished. In the main thread, SIGTERM fails the running trial."""
    from gradlab.lab.tuning.storage import open_storage

    _optuna.logging.set_verbosity(spec.log_level)
    with sigterm_fails_the_trial():  # a no-op outside the main thread (a Dask task)
        study = _optuna.load_study(
            study_name=spec.study_name,
            storage=open_storage(spec.storage_url, **spec.storage_options),
            sampler=spec.build_sampler(),
            pruner=spec.build_pruner(),
        )
        return run_worker(study, spec.build_objective(study), spec.n_trials)


def _worker_main(spec: WorkerSpec, index: int, results) -> None:
    try:
        results.put((index, run_spec(spec)))
    except Terminated:
        raise SystemExit(128 + signal.SIGTERM) from None
    except Exception as error:  # handed to the parent, which raises it
        try:
            results.put((index, error))
        except Exception:  # an exception that does not pickle
            results.put((index, RuntimeError(f"{type(error).__name__}: {error}")))


def _ended(process) -> str:
    code = process.exitcode
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with status {code}"


def run_workers(spec: WorkerSpec, jobs: int) -> list[int]:
    """Run ``jobs`` worker processes on one study; returns each one's finished trials (0
    for a worker that died). An exception in a worker is re-raised here after all workers
    have ended. A worker that dies (SIGKILL) does not stop the others: they run its trial
    again once its heartbeat is stale; its death is logged as one line. SIGTERM to this
    process is passed on to the workers (each fails its running trial) and then raised
    here as :class:`Terminated`."""
    if jobs < 1:
        raise ValueError(f"run_workers: jobs must be >= 1, got {jobs}")
    context = multiprocessing.get_context("spawn")
    results = context.SimpleQueue()
    processes = [
        context.Process(target=_worker_main, args=(spec, i, results), daemon=False)
        for i in range(jobs)
    ]
    for process in processes:
        process.start()
    try:
        with sigterm_fails_the_trial():
            for process in processes:
                process.join()
    except Terminated:
        acknowledge_termination()
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: each worker fails its running trial
        for process in processes:
            process.join()
        raise
    counts, errors = [0] * jobs, []
    while not results.empty():
        index, value = results.get()
        if isinstance(value, BaseException):
            errors.append(value)
        else:
            counts[index] = value
    log = logging.getLogger("gradlab.tune")
    for i, process in enumerate(processes):
        if process.exitcode != 0:
            log.warning("gradlab tune: worker %d (pid %d) %s", i, process.pid, _ended(process))
    if errors:
        raise errors[0]
    return counts
