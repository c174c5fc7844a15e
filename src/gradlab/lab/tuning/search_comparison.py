"""Grid search, random search and TPE on one config at one trial budget (notes 002 Q7's
"systematic approach": grid or random search to explore, then Bayesian optimization).

:func:`compare_search` runs the config's study once per strategy (``repeats`` times each,
seeds ``[tune] seed + r``), each in its own in-memory study with the config's pruner, and
plots the best value so far against the trial number: the best completed trial among
trials 1..k (pruned trials are not complete, so they never count as a best; before the first
completed trial there is no value). It writes ``DIR/report.md``, ``DIR/best_so_far.png``
and ``DIR/results.json``.

The grid gets the budget too: its numeric ranges are cut into the fewest points (at least
``[tune] grid_points``) that make a grid with at least ``trials`` points, so it is not cut
short by a coarse grid; a space of categoricals only has a fixed grid and may stop early
(the report says so).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from gradlab.atomic import atomic_write
from gradlab.lab.tuning.samplers import describe_sampler
from gradlab.lab.tuning.settings import SAMPLERS
from gradlab.lab.tuning.study import space_and_settings, tune

__all__ = ["ORDER", "SearchComparison", "best_so_far", "compare_search", "grid_points_for"]

ORDER = ("grid", "random", "tpe")


@dataclass
class SearchComparison:
    """``results``: strategy -> one :class:`~.study.TuneResult` per repeat; ``curves``:
    strategy -> best-so-far values, shape (repeats, trials), NaN where there is none."""

    trials: int
    results: dict = field(default_factory=dict)
    curves: dict = field(default_factory=dict)
    grid_points: int = 0
    files: dict = field(default_factory=dict)


def best_so_far(study, trials: int, maximize: bool) -> np.ndarray:
    """Shape (trials,): entry k is the best completed value among trials 0..k (NaN before
    the first completed trial and past the trials the study ran)."""
    from optuna.trial import TrialState

    values = np.full(trials, np.nan)
    for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        if trial.number < trials:
            values[trial.number] = trial.value
    curve = np.full(trials, np.nan)
    best = np.nan
    ran = len(study.get_trials(deepcopy=False))
    for k in range(min(trials, ran)):
        if not np.isnan(values[k]) and (
            np.isnan(best) or (values[k] > best if maximize else values[k] < best)
        ):
            best = values[k]
        curve[k] = best
    return curve


def grid_points_for(space, trials: int, least: int, most: int = 64) -> int:
    """The fewest points per numeric range (>= ``least``) whose grid holds ``trials``."""
    points = least
    while points < most and space.grid_size(points) < trials:
        if space.grid_size(points + 1) == space.grid_size(points):
            break  # only categoricals and short int ranges: the grid cannot grow
        points += 1
    return points


def compare_search(config, trials: int | None = None, out_dir=None, *, samplers=ORDER,
                   repeats: int = 1, verbose: int = 0, train=None) -> SearchComparison:  # fmt: skip
    """Run every strategy in ``samplers`` on ``config`` with ``trials`` trials each.

    Args:
        config: a loaded config with ``[search]`` (and optionally ``[tune]``).
        trials: the budget per strategy (default ``[tune] trials``).
        out_dir: where report.md, best_so_far.png and results.json go (None: nowhere).
        repeats: studies per strategy, seeded ``[tune] seed + r``; the plot's band spans them.
        train: the training function (default ``train_from_config``); a fake in tests.
    """
    space, settings = space_and_settings(config)
    trials = settings.trials if trials is None else int(trials)
    if trials < 1 or repeats < 1:
        raise ValueError(
            f"compare_search: trials and repeats must be >= 1, got {trials}, {repeats}"
        )
    unknown = [s for s in samplers if s not in SAMPLERS]
    if unknown or not samplers:
        raise ValueError(f"compare_search: samplers must be among {SAMPLERS}, got {samplers!r}")
    points = grid_points_for(space, trials, settings.grid_points)
    settings = replace(settings, grid_points=points)
    maximize = settings.resolved_direction == "maximize"
    comparison = SearchComparison(trials=trials, grid_points=points)
    stem = Path(config.path).stem if getattr(config, "path", None) else "search"
    for kind in samplers:
        runs = []
        for repeat in range(repeats):
            seeded = _with_tune(config, seed=settings.seed + repeat, grid_points=points)
            runs.append(tune(seeded, trials=trials, sampler=kind, storage="memory",
                             study_name=f"{stem}-{kind}-{repeat}", verbose=verbose,
                             train=train))  # fmt: skip
        comparison.results[kind] = runs
        comparison.curves[kind] = np.stack([best_so_far(r.study, trials, maximize) for r in runs])
    if out_dir is not None:
        comparison.files = _write(comparison, space, settings, Path(out_dir))
    return comparison


def _with_tune(config, **changes):
    """The config with ``[tune]`` keys changed (the extra sections are raw tables)."""
    extra = dict(config.extra)
    extra["tune"] = {**(extra.get("tune") or {}), **changes}
    if hasattr(config, "__dataclass_fields__"):
        return replace(config, extra=extra)
    config = type(config)(**{**vars(config), "extra": extra})
    return config


def _write(comparison: SearchComparison, space, settings, out_dir: Path) -> dict:
    from gradlab.lab.plots import plot_curves
    from gradlab.lab.report import MarkdownReport

    out_dir.mkdir(parents=True, exist_ok=True)
    trials, metric = comparison.trials, settings.metric
    files = {
        "best_so_far": plot_curves(
            comparison.curves, out_dir / "best_so_far.png", ylabel=f"best {metric} so far",
            xlabel="trial", title=f"Search strategies, {trials} trials each",
            x=np.arange(1, trials + 1),
        )
    }  # fmt: skip
    repeats = len(next(iter(comparison.results.values())))
    report = MarkdownReport("Search strategies: grid, random, TPE")
    report.paragraph(
        f"Each strategy ran {trials} trials"
        + (f", {repeats} times (seeds {settings.seed}..{settings.seed + repeats - 1})"
           if repeats > 1 else f" (seed {settings.seed})")
        + f" on the same config; a trial's value is the {settings.objective} epoch's {metric} "
        f"({settings.resolved_direction}d); pruner: {settings.pruner}. The plot shows the best "
        "completed value among the trials so far (mean over repeats, band min..max)."
    )  # fmt: skip
    report.table(["field", "drawn as"], [[p.name, p.describe()] for p in space.params])
    rows, data = [], {}
    for kind, runs in comparison.results.items():
        finals = np.array([np.nan if r.best_value is None else r.best_value for r in runs])
        best_run = _best_run(runs, settings.resolved_direction == "maximize")
        counts = [r.counts for r in runs]
        ran = [c["complete"] + c["pruned"] + c["failed"] for c in counts]
        params = best_run.best_overrides or {}
        rows.append([
            kind, describe_sampler(kind, space, settings), float(np.mean(ran)),
            float(np.mean([c["pruned"] for c in counts])),
            float(np.nanmean(finals)) if not np.all(np.isnan(finals)) else float("nan"),
            ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                      for k, v in params.items()),
        ])  # fmt: skip
        data[kind] = {
            "best_values": [r.best_value for r in runs],
            "best_params": [r.best_overrides for r in runs],
            "best_so_far": [
                [None if np.isnan(v) else float(v) for v in c] for c in comparison.curves[kind]
            ],  # fmt: skip
            "counts": counts,
        }
        if min(ran) < trials:
            report.paragraph(
                f"{kind}: stopped after {min(ran)} trials: every point of its grid was tried."
            )
    if "tpe" in comparison.results and "random" in comparison.results:
        report.paragraph(
            f"TPE draws its first {settings.tpe_startup_trials} trials at random with the same "
            "per-trial seeds as random search, so the two agree until TPE starts modelling "
            "the results."
        )
    report.heading("Results")
    report.table(
        ["strategy", "how", "trials run", "pruned", f"best {metric}", "best parameters"], rows
    )
    report.image("best_so_far.png", "best value so far against the trial number")
    files["report"] = report.write(out_dir / "report.md")
    path = out_dir / "results.json"
    saved = {"trials": trials, "metric": metric, "grid_points": comparison.grid_points,
             "strategies": data}  # fmt: skip
    atomic_write(path, json.dumps(saved, indent=2) + "\n")
    files["results"] = path
    return files


def _best_run(runs, maximize: bool):
    done = [r for r in runs if r.best_value is not None]
    if not done:
        return runs[0]
    return (max if maximize else min)(done, key=lambda r: r.best_value)
