"""What a study leaves in its directory.

- ``best_params.json``: the best trial's drawn parameters, its config overrides (with the
  fixed ``with`` fields), its value, and the study's trial counts;
- ``best_config.toml``: the config with the best overrides applied, ready for
  ``gradlab train`` (the ``[search]`` and ``[tune]`` sections left out);
- ``optimization_history.png`` and ``param_importances.png`` (Optuna's matplotlib plots;
  the importances need two completed trials, and the report says when they could not be
  computed);
- ``report.md``: the settings, the best trial, the importances and every trial.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from gradlab.atomic import atomic_write
from gradlab.lab.plots import pyplot, save_figure
from gradlab.lab.report import MarkdownReport
from gradlab.lab.toml_text import to_toml
from gradlab.lab.tuning.samplers import describe_sampler
from gradlab.lab.tuning.workers import SURPLUS

__all__ = ["to_toml", "write_outputs"]


def _best_config(result, config, out_dir: Path) -> Path | None:
    if result.best_overrides is None or not hasattr(config, "with_overrides"):
        return None
    best = config.with_overrides(result.best_overrides)
    raw = getattr(best, "raw", None)
    if not raw:
        return None
    # the tables as the file wrote them (defaults stay implicit), without [search] and [tune]
    sections = {name: table for name, table in raw.items() if name not in best.extra}
    header = (
        f"# {getattr(config, 'path', None) or 'config'} with the best parameters of study "
        f"{result.study.study_name!r} (trial {result.best_trial}, "
        f"{result.settings.metric} = {result.best_value:.6g})\n"
    )
    return atomic_write(out_dir / "best_config.toml", header + to_toml(sections))


def _plots(study, out_dir: Path, complete: int) -> tuple[dict, list[str]]:
    """The two Optuna plots; notes for those that could not be drawn."""
    from optuna.exceptions import ExperimentalWarning
    from optuna.visualization import matplotlib as optuna_plots

    pyplot()  # the Agg backend before Optuna imports pyplot
    files, notes = {}, []
    if complete == 0:
        return files, ["No trial completed: there is no optimization history or importance."]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        axes = optuna_plots.plot_optimization_history(study)
        files["optimization_history"] = save_figure(
            axes.figure, out_dir / "optimization_history.png"
        )
        if complete < 2:
            notes.append(
                "Parameter importance needs at least two completed trials; it is left out."
            )
            return files, notes
        try:
            axes = optuna_plots.plot_param_importances(study)
        except Exception as error:  # e.g. every trial had the same value
            pyplot().close("all")
            notes.append(f"Parameter importance could not be computed: {error}")
        else:
            files["param_importances"] = save_figure(axes.figure, out_dir / "param_importances.png")
    return files, notes


def _importances(study) -> dict | None:
    import optuna

    try:
        return optuna.importance.get_param_importances(study)
    except Exception:
        return None


def write_outputs(result, config, out_dir) -> dict:
    """Write the files above for a :class:`~.study.TuneResult`; returns name -> path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    study, settings, counts = result.study, result.settings, result.counts
    summary = {
        "study": study.study_name,
        "storage": result.storage,
        "sampler": result.sampler,
        "metric": settings.metric,
        "direction": settings.resolved_direction,
        "objective": settings.objective,
        "best_value": result.best_value,
        "best_trial": result.best_trial,
        "params": result.best_params,
        "overrides": result.best_overrides,
        "counts": counts,
    }
    files = {
        "best_params": atomic_write(
            out_dir / "best_params.json", json.dumps(summary, indent=2) + "\n"
        )
    }
    best_config = _best_config(result, config, out_dir)
    if best_config is not None:
        files["best_config"] = best_config
    plots, notes = _plots(study, out_dir, counts["complete"])
    files.update(plots)

    report = MarkdownReport(f"Tuning {study.study_name}")
    report.paragraph(
        f"Storage {result.storage}; search: "
        f"{describe_sampler(result.sampler, result.space, settings)}; "
        f"pruner: {settings.pruner}. Each trial's value is the {settings.objective} epoch's "
        f"{settings.metric} ({settings.resolved_direction}d)."
    )
    report.paragraph(
        f"Trials: {counts['complete']} completed, {counts['pruned']} pruned, "
        f"{counts['failed']} failed, {counts['running']} still running"
        + (f", {counts['surplus']} surplus (claimed by two workers at once, not run)"
           if counts["surplus"] else "") + "."
    )  # fmt: skip
    report.heading("Search space")
    report.table(["field", "drawn as"], [[p.name, p.describe()] for p in result.space.params])
    report.heading("Best trial")
    if result.best_params is None:
        report.paragraph("No trial completed.")
    else:
        report.paragraph(f"Trial {result.best_trial}: {settings.metric} = {result.best_value:.6g}.")
        report.table(["field", "value"], [[k, v] for k, v in result.best_overrides.items()])
    if "optimization_history" in files:
        report.image("optimization_history.png", "objective value per trial and best so far")
    report.heading("Parameter importance")
    importances = _importances(study) if counts["complete"] >= 2 else None
    if importances:
        report.table(["field", "importance"], [[k, v] for k, v in importances.items()])
    if "param_importances" in files:
        report.image("param_importances.png", "parameter importance (fANOVA)")
    for note in notes:
        report.paragraph(note)
    report.heading("Trials")
    rows = []
    for trial in sorted(study.get_trials(deepcopy=False), key=lambda t: t.number):
        if trial.user_attrs.get(SURPLUS):
            continue
        value = trial.value if trial.value is not None else float("nan")
        epochs = len(trial.user_attrs.get("curve", []))
        params = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                           for k, v in trial.params.items())  # fmt: skip
        rows.append([trial.number, trial.state.name.lower(), value, epochs, params])
    report.table(["trial", "state", settings.metric, "epochs", "parameters"], rows)
    files["report"] = report.write(out_dir / "report.md")
    return files
