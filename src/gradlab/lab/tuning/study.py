"""``tune``: an Optuna study over a config's ``[search]`` space, with ``[tune]``'s settings.

::

    from gradlab.lab.config import load_config
    from gradlab.lab.tuning import EXTRA_SECTIONS, tune

    config = load_config("examples/configs/tune_example13.toml", extra_sections=EXTRA_SECTIONS)
    result = tune(config, trials=20, out_dir="runs/tune-example13")
    print(result.best_params, result.best_value)

A study lives in a storage (see :mod:`.storage`) under a name (default: the config's file
stem); running ``tune`` again with the same storage and name resumes it, running only the
trials still missing. With ``out_dir`` the results are written there (see :mod:`.outputs`).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path

from gradlab.lab.tuning.objective import make_objective, make_pruner
from gradlab.lab.tuning.samplers import make_sampler
from gradlab.lab.tuning.search_space import SearchSpace
from gradlab.lab.tuning.settings import SAMPLERS, TuneSettings
from gradlab.lab.tuning.storage import MEMORY, default_url, open_storage, show_url
from gradlab.lab.tuning.tune_config import check_space, load_tune_config, space_and_settings
from gradlab.lab.tuning.workers import (
    FINISHED,
    SURPLUS,
    IncompleteStudyError,
    TrialState,
    WorkerSpec,
    finished_count,
    run_worker,
    run_workers,
    sigterm_fails_the_trial,
)
from gradlab.optional import require

__all__ = [
    "IncompleteStudyError", "StudyMismatchError", "TuneResult", "check_space", "default_out_dir",
    "load_tune_config", "space_and_settings", "tune",
]  # fmt: skip


class StudyMismatchError(ValueError):
    """A stored study of that name was made for another direction, metric or search space."""


@dataclass
class TuneResult:
    """What a study ended with. ``best_*`` are None when no trial completed."""

    study: object
    space: SearchSpace
    settings: TuneSettings
    sampler: str
    storage: str  # the storage URL, password hidden
    best_params: dict | None
    best_overrides: dict | None
    best_value: float | None
    best_trial: int | None
    counts: dict  # complete, pruned, failed, surplus, running
    out_dir: Path | None = None
    files: dict = field(default_factory=dict)


def default_out_dir(config) -> Path:
    """``runs/tune-<config file stem>``."""
    return Path("runs") / f"tune-{_stem(config)}"


def _stem(config) -> str:
    path = getattr(config, "path", None)
    return Path(path).stem if path else "study"


def _build_objective(config, space, settings, train, study):
    return make_objective(config, space, settings, train=train)


def _build_sampler(kind, space, settings):
    return make_sampler(kind, space, settings)


def _build_pruner(settings):
    return make_pruner(settings)


def _counts(study) -> dict:
    trials = study.get_trials(deepcopy=False)
    surplus = sum(1 for t in trials if t.user_attrs.get(SURPLUS))
    by = {state: sum(1 for t in trials if t.state == state) for state in TrialState}
    return {
        "complete": by[TrialState.COMPLETE],
        "pruned": by[TrialState.PRUNED],
        "failed": by[TrialState.FAIL] - surplus,
        "surplus": surplus,
        "running": by[TrialState.RUNNING],
    }


def _signature(space: SearchSpace, settings: TuneSettings) -> dict:
    return {
        "gradlab_search": {p.name: p.describe() for p in space.params},
        "gradlab_metric": settings.metric,
        "gradlab_objective": settings.objective,
    }


def _check_or_mark(study, name: str, storage: str, space, settings) -> None:
    """A new study records what it optimizes; a resumed one must match it."""
    direction = settings.resolved_direction
    stored = study.direction.name.lower()
    if stored != direction:
        raise StudyMismatchError(
            f"study {name!r} in {storage} was made to {stored} and the config asks to "
            f"{direction}; choose another study name (--study)"
        )
    attrs = study.user_attrs
    for key, value in _signature(space, settings).items():
        if key not in attrs:
            study.set_user_attr(key, value)
        elif attrs[key] != value:
            what = key.removeprefix("gradlab_")
            raise StudyMismatchError(
                f"study {name!r} in {storage} was run with another {what} ({attrs[key]!r}, "
                f"the config has {value!r}); choose another study name (--study)"
            )


def tune(
    config,
    *,
    trials: int | None = None,
    sampler: str | None = None,
    storage: str | None = None,
    study_name: str | None = None,
    jobs: int | None = None,
    scheduler: str | None = None,
    out_dir=None,
    verbose: int = 1,
    train=None,
    progress: bool | None = None,
) -> TuneResult:
    """Run (or resume) the study until ``trials`` trials have finished.

    Args:
        config: a loaded :class:`~gradlab.lab.config.Config` with a ``[search]`` section.
        trials: finished (completed or pruned) trials the study should hold (default
            ``[tune] trials``); a resumed study runs only those missing.
        sampler: ``tpe`` | ``random`` | ``grid`` (default ``[tune] sampler``).
        storage: an Optuna storage URL; "memory" keeps nothing; None: the SQLite file
            ``out_dir/study.db`` (in memory when there is no ``out_dir`` either).
        study_name: default the config's file stem.
        jobs: worker processes sharing the storage (not threads); default 1. With
            ``scheduler``: how many Dask tasks run workers (default one per Dask worker).
        scheduler: ``tcp://HOST:PORT`` of a Dask scheduler whose workers run the trials
            (:mod:`.dask_workers`); the storage must be a URL they all reach, not memory.
        out_dir: where the report, plots and best parameters go (None: nowhere).
        verbose: 1 logs each trial (Optuna's log), 0 only warnings.
        train: the training function (default ``train_from_config``); a fake in tests. With
            ``jobs > 1`` or ``scheduler`` it must be importable by name.
        progress: a bar over the trials with the last and best values (one worker only);
            None: in a Jupyter notebook only (a terminal keeps Optuna's log lines).
    """
    optuna = require("optuna", "gradlab tune")
    space, settings = space_and_settings(config)
    problems = check_space(config, space, settings)
    if problems:
        from gradlab.lab.config import ConfigError

        name = getattr(config, "name", "config")
        raise ConfigError([f"{name}: {line}" for line in problems])
    trials = settings.trials if trials is None else int(trials)
    sampler = settings.sampler if sampler is None else sampler
    if trials < 1:
        raise ValueError(f"tune: trials must be >= 1, got {trials}")
    if sampler not in SAMPLERS:
        raise ValueError(f"tune: sampler must be one of {', '.join(SAMPLERS)}, got {sampler!r}")
    if jobs is None and scheduler is None:
        jobs = 1
    if jobs is not None and jobs < 1:
        raise ValueError(f"tune: jobs must be >= 1, got {jobs}")
    if storage is None and out_dir is None:
        storage = "memory"
    if scheduler is not None and storage in MEMORY:
        raise ValueError(
            "tune: --scheduler needs a storage the Dask workers share (a SQLite file or a "
            "database URL), not memory"
        )
    if jobs is not None and jobs > 1 and storage in MEMORY:
        raise ValueError(
            f"tune: --jobs {jobs} needs a storage the processes share (a SQLite file or a "
            "database URL), not memory"
        )
    if sampler == "grid":  # a grid has this many points; the study ends when all are tried
        trials = min(trials, space.grid_size(settings.grid_points))
    name = study_name or _stem(config)
    level = logging.INFO if verbose else logging.WARNING
    optuna.logging.set_verbosity(level)

    if storage is None:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
    url = storage if storage is not None else default_url(out_dir)
    options = {
        "heartbeat_interval": settings.heartbeat_interval,
        "grace_period": settings.grace_period,
    }
    opened = open_storage(url, **options)
    shown = show_url(url)
    study = optuna.create_study(
        storage=opened,
        study_name=name,
        direction=settings.resolved_direction,
        sampler=make_sampler(sampler, space, settings),
        pruner=make_pruner(settings),
        load_if_exists=True,
    )
    _check_or_mark(study, name, shown, space, settings)
    if jobs == 1 and scheduler is None:
        objective = make_objective(config, space, settings, train=train)
        with sigterm_fails_the_trial(), _TrialBar(study, trials, name, progress) as bar:
            run_worker(study, objective, trials, callbacks=bar.callbacks)
    else:
        spec = WorkerSpec(
            storage_url=url,
            study_name=name,
            n_trials=trials,
            build_objective=functools.partial(_build_objective, config, space, settings, train),
            build_sampler=functools.partial(_build_sampler, sampler, space, settings),
            build_pruner=functools.partial(_build_pruner, settings),
            log_level=level,
            storage_options=options,
        )
        if scheduler is not None:
            from gradlab.lab.tuning.dask_workers import run_workers_on_dask

            run_workers_on_dask(spec, scheduler, jobs)
        else:
            run_workers(spec, jobs)
        if finished_count(study) < trials:  # every worker died: finish the study here
            with sigterm_fails_the_trial():
                run_worker(study, make_objective(config, space, settings, train=train), trials)
    done = finished_count(study)
    if done < trials:
        running = len(study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)))
        raise IncompleteStudyError(
            f"study {name!r} in {shown} has {done} of {trials} trials finished: "
            f"{trials - done} missing ({running} still running elsewhere); run again to finish"
        )

    result = _result(study, space, settings, sampler, shown)
    if out_dir is not None:
        from gradlab.lab.tuning.outputs import write_outputs

        result.out_dir = Path(out_dir)
        result.files = write_outputs(result, config, Path(out_dir))
    return result


class _TrialBar:
    """A progress bar over a study's finished trials, the last and the best value beside it
    (:func:`gradlab.train.progress.progress_bar`); nothing when not shown."""

    def __init__(self, study, trials: int, name: str, progress: bool | None):
        from gradlab.train.progress import display_mode, progress_bar

        show = display_mode() == "notebook" if progress is None else bool(progress)
        done = len(finished_trials(study))
        self.bar = None
        self.callbacks = []
        if show and done < trials:
            self.bar = progress_bar(trials, f"tune {name}", unit="trial")
            self.bar.update(done)
            self.callbacks = [self._tick]

    def _tick(self, study, frozen) -> None:
        if frozen.state not in FINISHED:
            return
        text = f"trial {frozen.number}: {frozen.state.name.lower()}"
        if frozen.value is not None:
            text += f" {frozen.value:.4g}"
        complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if complete:
            text += f", best {study.best_value:.4g}"
        self.bar.set_postfix_str(text, refresh=False)
        self.bar.update(1)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()


def _result(study, space, settings, sampler, shown) -> TuneResult:
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    best = study.best_trial if complete else None
    return TuneResult(
        study=study,
        space=space,
        settings=settings,
        sampler=sampler,
        storage=shown,
        best_params=dict(best.params) if best else None,
        best_overrides=space.overrides(best.params) if best else None,
        best_value=float(best.value) if best else None,
        best_trial=best.number if best else None,
        counts=_counts(study),
    )


def finished_trials(study) -> list:
    """Completed and pruned trials, by number."""
    return sorted(study.get_trials(deepcopy=False, states=FINISHED), key=lambda t: t.number)
