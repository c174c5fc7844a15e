"""The runner: resolve the options, train every variant of every part for every seed with
``gradlab.train.Trainer`` under one progress bar, then write the report and print the summary.
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import gradlab
from gradlab.atomic import atomic_write
from gradlab.lab.compare.callbacks import EpochTick, StopOnNaN
from gradlab.lab.compare.experiment import (
    CompareError,
    Experiment,
    Options,
    Part,
    PartResult,
    RunRecord,
)
from gradlab.optional import require
from gradlab.train import LearningRateScheduler, Trainer
from gradlab.train.progress import format_logs, progress_bar

__all__ = ["CompareResult", "resolve_options", "run_experiment", "train_part", "train_run"]


@dataclass
class CompareResult:
    """What :func:`run_experiment` did: the experiment, its options, one
    :class:`PartResult` per part, and the files it wrote."""

    experiment: Experiment
    options: Options
    parts: list[PartResult]
    out_dir: Path
    report_path: Path
    files: list[Path]
    seconds: float


def _positive(where: str, name: str, value) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise CompareError(f"{where}: {name} must be a positive integer, got {value!r}")


def resolve_options(experiment: Experiment, data=None, epochs=None, seeds=None, limit=None,
                    out=None, variants=()) -> Options:  # fmt: skip
    """The experiment's defaults filled in; CompareError naming a bad value. ``limit=0``
    means no limit (all samples)."""
    where = f"gradlab compare {experiment.name}"
    for name, value in (("--epochs", epochs), ("--seeds", seeds)):
        _positive(where, name, value)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise CompareError(f"{where}: --limit must be an integer >= 0, got {limit!r}")
    data = experiment.default_data if data is None else str(data)
    if data not in experiment.datasets:
        raise CompareError(
            f"{where}: unknown dataset {data!r}; this experiment takes: "
            f"{', '.join(experiment.datasets)}"
        )
    limit = experiment.default_limit_for(data) if limit is None else (limit or None)
    return Options(
        data=data,
        epochs=experiment.default_epochs if epochs is None else epochs,
        seeds=experiment.default_seeds if seeds is None else seeds,
        limit=limit,
        out=Path(out) if out is not None else Path("runs") / f"compare-{experiment.name}",
        variants=tuple(variants or ()),
    )


def select_variants(where: str, parts: list[Part], wanted: tuple) -> None:
    if not wanted:
        return
    known = [v.name for part in parts for v in part.variants]
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise CompareError(
            f"{where}: unknown variant(s) {', '.join(map(repr, unknown))}; this experiment "
            f"has: {', '.join(dict.fromkeys(known))}"
        )
    for part in parts:
        part.variants = [v for v in part.variants if v.name in wanted]
    parts[:] = [part for part in parts if part.variants]


def _final_numbers(part: Part, history: dict, stop) -> dict:
    """The per-run numbers every summary can use: last epoch's logs, the best test value of
    each logged metric, and the epochs taken to reach the milestone (NaN if never)."""
    final = {}
    for name, values in history.items():
        if values:
            final[name] = float(values[-1])
        if name.startswith("val_") and name != "val_loss" and values:
            finite = [v for v in values if math.isfinite(v)]
            final[f"best_{name}"] = max(finite) if finite else math.nan
    if part.milestone is not None:
        name, threshold = part.milestone[:2]
        reached = [i + 1 for i, v in enumerate(history.get(name, [])) if v >= threshold]
        final["epochs_to_milestone"] = float(reached[0]) if reached else math.nan
    final["diverged"] = 1.0 if stop.stopped_at is not None else 0.0
    return final


def _ticker(bar, where: str):
    """The per-epoch tick of one run: one epoch on the bar, the run and its last values
    (loss, metrics, validation values) beside it."""
    if bar is None:
        return lambda logs: None

    def tick(logs):
        shown = {k: v for k, v in logs.items() if k != "lr" and isinstance(v, float)}
        bar.set_postfix_str(f"{where}, {format_logs(shown, ', ')}" if shown else where,
                            refresh=False)  # fmt: skip
        bar.update(1)

    return tick


def train_run(experiment: Experiment, part: Part, variant_name: str, seed: int,
              options: Options, bar=None) -> RunRecord:  # fmt: skip
    """Train one variant of ``part`` with one seed and return its :class:`RunRecord`.

    The run depends only on its arguments (the seed fixes the initial weights, the sample
    order and every random draw), so it gives the same numbers in any order and in any
    process: :func:`train_part` calls it in a loop, and
    :mod:`gradlab.lab.compare.cluster` calls it as one Dask task per (variant, seed).
    ``bar``: a tqdm bar advanced by one per epoch (None: no progress).
    """
    data = part.data
    variant = next((v for v in part.variants if v.name == variant_name), None)
    if variant is None:
        raise CompareError(
            f"gradlab compare {experiment.name}: part {part.key or part.title!r} has no variant "
            f"{variant_name!r}; it has {', '.join(v.name for v in part.variants)}"
        )
    gradlab.manual_seed(seed)
    setup = variant.build(data)
    stop = StopOnNaN()
    where = f"{part.key + ': ' if part.key else ''}{variant.name}, seed {seed}"
    tick = EpochTick(_ticker(bar, where))
    callbacks = [*setup.callbacks, stop, tick]
    scheduler = setup.scheduler
    if scheduler is not None and setup.per == "batch":
        callbacks.insert(0, LearningRateScheduler(scheduler, per="batch"))
        scheduler = None
    trainer = Trainer(setup.model, setup.loss, setup.optimizer, metrics=part.metrics,
                      callbacks=callbacks, scheduler=scheduler)  # fmt: skip
    start = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        history = trainer.fit(
            data.x_train, data.y_train, epochs=options.epochs,
            batch_size=part.batch_size, validation_data=(data.x_test, data.y_test),
            shuffle=True, verbose=0, generator=np.random.default_rng(seed),
        )  # fmt: skip
    seconds = time.perf_counter() - start
    if bar is not None and tick.epochs < options.epochs:  # stopped early
        bar.update(options.epochs - tick.epochs)
    logs = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    run = RunRecord(variant.name, seed, logs, _final_numbers(part, logs, stop),
                    seconds=seconds)  # fmt: skip
    run.final["seconds"] = seconds
    if stop.stopped_at is not None:
        run.extra["stopped_at"] = list(stop.stopped_at)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        experiment.finish_run(part, run, trainer, setup)
    return run


def train_part(experiment: Experiment, part: Part, options: Options, bar=None) -> PartResult:
    """Train every variant of ``part`` for seeds 0..options.seeds-1 and collect the runs."""
    runs = []
    for variant in part.variants:
        for seed in range(options.seeds):
            if bar is not None:
                bar.set_postfix_str(f"{part.key + ': ' if part.key else ''}{variant.name}, "
                                    f"seed {seed}", refresh=True)  # fmt: skip
            runs.append(train_run(experiment, part, variant.name, seed, options, bar))
    return PartResult(part, runs)


def _json_safe(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return _json_safe(value.tolist())
    if isinstance(value, np.generic):
        return _json_safe(value.item())
    return value


def _public(extra: dict) -> dict:
    """A run's extra data without the keys that start with "_" (kept for the report only)."""
    return {k: v for k, v in extra.items() if not str(k).startswith("_")}


def write_json(result: CompareResult, path: Path) -> Path:
    """Every run's history, final numbers and extra data as JSON (NaN/inf as null; extra
    keys starting with "_" are left out)."""
    payload = {
        "experiment": result.experiment.name,
        "options": {"data": result.options.data, "epochs": result.options.epochs,
                    "seeds": result.options.seeds, "limit": result.options.limit},
        "parts": [{
            "key": pr.part.key, "title": pr.part.title, "data": pr.part.data.name,
            "variants": pr.variant_names,
            "runs": [{"variant": r.variant, "seed": r.seed, "history": r.history,
                      "final": r.final, "extra": _public(r.extra)} for r in pr.runs],
        } for pr in result.parts],
    }  # fmt: skip
    return atomic_write(path, json.dumps(_json_safe(payload), indent=1))


def run_experiment(experiment: Experiment, options: Options, progress: bool = True,
                   stream=None, scheduler: str | None = None,
                   jobs: int | None = None) -> CompareResult:  # fmt: skip
    """Run ``experiment``: train, write ``report.md``, PNG plots and ``results.json`` into
    ``options.out``, print the summary to ``stream`` (stdout). Raises CompareError on bad
    names, MissingDependencyError without matplotlib / scikit-learn, DatasetNotFoundError
    when a requested file dataset is absent.

    ``scheduler`` (``tcp://HOST:PORT``) or ``jobs`` (> 1: a local cluster of that many
    processes): train each (variant, seed) as a task on Dask workers
    (:mod:`gradlab.lab.compare.cluster`); the numbers are the serial run's."""
    from gradlab.lab.compare.output import print_summary, write_report

    stream = sys.stdout if stream is None else stream
    purpose = f"gradlab compare {experiment.name}"
    require("matplotlib", purpose)  # fail before training, not after it
    require("sklearn", purpose)
    start = time.perf_counter()
    parts = experiment.parts(options)
    select_variants(purpose, parts, options.variants)
    for part in parts:
        if part.data.note:
            print(f"note: {part.data.note}", file=stream)
    total = sum(len(p.variants) for p in parts) * options.seeds * options.epochs
    bar = progress_bar(total, f"compare {experiment.name}", unit="epoch", file=sys.stderr,
                       disable=not progress)  # fmt: skip
    try:
        if scheduler is not None or (jobs or 1) > 1:
            from gradlab.lab.compare.cluster import run_parts_on_dask

            results = run_parts_on_dask(experiment, parts, options, scheduler, jobs, bar)
        else:
            results = [train_part(experiment, part, options, bar) for part in parts]
    finally:
        bar.close()
    out_dir = Path(options.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    result = CompareResult(experiment, options, results, out_dir, out_dir / "report.md", [],
                           time.perf_counter() - start)  # fmt: skip
    result.files = write_report(result)
    result.files.append(write_json(result, out_dir / "results.json"))
    print_summary(result, stream)
    return result
