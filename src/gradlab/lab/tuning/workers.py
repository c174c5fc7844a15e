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
all ended, the parent process finishes it.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
import threading
import time
from dataclasses import dataclass, field

from gradlab.lab.optional import require

__all__ = [
    "IncompleteStudyError", "SurplusTrial", "Terminated", "WorkerSpec", "finished_count",
    "acknowledge_termination", "run_worker", "run_workers", "sigterm_fails_the_trial",
]  # fmt: skip

_optuna = require("optuna", "gradlab tune")
TrialState = _optuna.trial.TrialState
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
_CLAIMED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
SURPLUS = "gradlab_surplus"
STALL_LIMIT = 3600.0
"""Seconds a worker waits on running trials that neither finish nor go stale (a trial
without any heartbeat, e.g. started by a storage without one) before it gives up."""


class SurplusTrial(Exception):
    """The study had its N trials finished or running when this trial started."""


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived. A KeyboardInterrupt, so Optuna fails the running trial and re-raises."""


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


_TERMINATION = {"pending": False, "shielded": False}
_REPEAT = 0.2  # seconds between raises of a SIGTERM not yet handled


def _raise_if_pending(signum=None, frame=None):
    if _TERMINATION["pending"] and not _TERMINATION["shielded"]:
        raise Terminated("SIGTERM")


@contextlib.contextmanager
def _shield(shielded: bool):
    """Inside Optuna's own bookkeeping (``study.optimize`` outside the objective) a SIGTERM
    waits: an exception there would leave the trial RUNNING. The objective is not shielded:
    Optuna fails the trial whose objective raises."""
    previous = _TERMINATION["shielded"]
    _TERMINATION["shielded"] = shielded
    try:
        yield
    finally:
        _TERMINATION["shielded"] = previous


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
    when that is safe (:func:`_shield`), and again every 0.2 s (SIGALRM) until the code that
    handles it calls :func:`acknowledge_termination`."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum, frame):
        _TERMINATION["pending"] = True
        if hasattr(signal, "setitimer"):
            signal.setitimer(signal.ITIMER_REAL, _REPEAT, _REPEAT)
        _raise_if_pending()

    previous = signal.signal(signal.SIGTERM, terminate)
    alarm = signal.signal(signal.SIGALRM, _raise_if_pending) if hasattr(signal, "SIGALRM") else None
    try:
        yield
    finally:
        acknowledge_termination()
        signal.signal(signal.SIGTERM, previous)
        if alarm is not None:
            signal.signal(signal.SIGALRM, alarm)


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


def run_worker(
    study, objective, n_trials: int, stall_limit: float = STALL_LIMIT, callbacks=()
) -> int:
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
        if _TERMINATION["pending"]:  # SIGTERM came while Optuna started this trial
            trial.set_user_attr(SURPLUS, True)
            study.stop()
            raise SurplusTrial(f"trial {trial.number}: not run, the worker was terminated")
        current["number"] = trial.number
        with _shield(False):
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
    seen, since = None, time.monotonic()
    while True:
        done = finished_count(study)
        if done >= n_trials:
            return len(finished)
        if heartbeat:
            _fail_stale(study)
        running = len(study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)))
        if done + running < n_trials:
            try:
                with _shield(True):
                    study.optimize(
                        guarded,
                        catch=(SurplusTrial,),
                        callbacks=[
                            _optuna.study.MaxTrialsCallback(n_trials, states=FINISHED),
                            count,
                            *callbacks,
                        ],
                    )
                _raise_if_pending()  # a SIGTERM that came during Optuna's bookkeeping
            except Terminated:
                acknowledge_termination()
                _retry_interrupted(study, current.get("number"))
                raise
            seen, since = None, time.monotonic()
            continue
        if not heartbeat:
            return len(finished)
        if (done, running) != seen:
            seen, since = (done, running), time.monotonic()
        elif time.monotonic() - since > stall_limit:
            raise IncompleteStudyError(
                f"{done} of {n_trials} trials finished; {running} stayed running for "
                f"{stall_limit:.0f} s without a heartbeat going stale"
            )
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


def _worker_main(spec: WorkerSpec, index: int, results) -> None:
    from gradlab.lab.tuning.storage import open_storage

    _optuna.logging.set_verbosity(spec.log_level)
    try:
        with sigterm_fails_the_trial():
            study = _optuna.load_study(
                study_name=spec.study_name,
                storage=open_storage(spec.storage_url, **spec.storage_options),
                sampler=spec.build_sampler(),
                pruner=spec.build_pruner(),
            )
            results.put((index, run_worker(study, spec.build_objective(study), spec.n_trials)))
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
