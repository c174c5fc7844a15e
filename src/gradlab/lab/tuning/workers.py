"""Workers: processes that run one study's trials together until it has N finished.

A study is done when N trials have finished (completed or pruned), however many processes
worked on it and however often it was restarted: a resumed study runs only what is
missing. Each worker runs trials with ``study.optimize`` until then; before a trial trains
it claims its slot: among the trials that are finished or running, ordered by trial number
(unique and assigned by the storage), a trial whose place is N or beyond is surplus — two
workers started the last trial at once — and it ends at once, without training, as a FAIL
trial marked with the user attribute ``gradlab_surplus`` (Optuna cannot delete a trial).
So two ``gradlab tune`` processes on one storage finish exactly N trials between them.

``--jobs J`` starts J worker processes (``spawn``, so nothing is inherited by fork); Optuna's
own ``n_jobs`` runs threads, which the GIL serializes for NumPy-on-CPU training loops.
"""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from gradlab.lab.optional import require

__all__ = ["SurplusTrial", "WorkerSpec", "finished_count", "run_worker", "run_workers"]

_optuna = require("optuna", "gradlab tune")
TrialState = _optuna.trial.TrialState
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
_CLAIMED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
SURPLUS = "gradlab_surplus"


class SurplusTrial(Exception):
    """The study had its N trials finished or running when this trial started."""


class _HideSurplus(logging.Filter):
    def filter(self, record) -> bool:
        return "SurplusTrial" not in record.getMessage()


logging.getLogger("optuna").addFilter(_HideSurplus())


def finished_count(study) -> int:
    """Completed plus pruned trials."""
    return len(study.get_trials(deepcopy=False, states=FINISHED))


def _is_surplus(study, trial, n_trials: int) -> bool:
    claimed = study.get_trials(deepcopy=False, states=_CLAIMED)
    ahead = sum(1 for t in claimed if t.number < trial.number)
    return ahead >= n_trials


def run_worker(study, objective, n_trials: int, callbacks=()) -> int:
    """Run ``objective`` trials on ``study`` until it has ``n_trials`` finished; returns
    how many this worker finished. ``callbacks``: more Optuna callbacks ``fn(study, trial)``
    (a progress bar).

    An exception from the objective (a bug, a metric that training does not log) fails its
    trial and ends the worker with that exception: retrying would fail the same way. A
    diverged run is not an exception: the pruning callback prunes it.
    """
    if finished_count(study) >= n_trials:
        return 0
    finished = []

    def guarded(trial):
        if _is_surplus(study, trial, n_trials):
            trial.set_user_attr(SURPLUS, True)
            study.stop()
            raise SurplusTrial(f"trial {trial.number}: the study has its {n_trials} trials")
        return objective(trial)

    def count(study_, frozen) -> None:
        if frozen.state in FINISHED:
            finished.append(frozen.number)

    study.optimize(
        guarded,
        catch=(SurplusTrial,),
        callbacks=[_optuna.study.MaxTrialsCallback(n_trials, states=FINISHED), count, *callbacks],
    )
    return len(finished)


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
    extra: dict = field(default_factory=dict)


def _worker_main(spec: WorkerSpec) -> int:
    from gradlab.lab.tuning.storage import open_storage

    _optuna.logging.set_verbosity(spec.log_level)
    study = _optuna.load_study(
        study_name=spec.study_name,
        storage=open_storage(spec.storage_url),
        sampler=spec.build_sampler(),
        pruner=spec.build_pruner(),
    )
    return run_worker(study, spec.build_objective(study), spec.n_trials)


def run_workers(spec: WorkerSpec, jobs: int) -> list[int]:
    """Run ``jobs`` worker processes on one study; returns each one's finished trials.
    An exception in a worker is re-raised here after all workers have ended."""
    if jobs < 1:
        raise ValueError(f"run_workers: jobs must be >= 1, got {jobs}")
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = [pool.submit(_worker_main, spec) for _ in range(jobs)]
        errors = [f.exception() for f in futures]
    for error in errors:
        if error is not None:
            raise error
    return [f.result() for f in futures]
