"""The files a training run leaves in its output directory: history, weights, config,
plots and a Markdown report (see :mod:`gradlab.lab.training`)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from gradlab.lab.report import MarkdownReport, format_value

__all__ = ["write_run", "summary_lines"]


def _settings(table: dict) -> str:
    return ", ".join(f"{k} = {format_value(v)}" for k, v in table.items() if k != "name") or "-"


def _config_rows(config) -> list:
    rows = []
    for section in ("data", "model", "loss", "optimizer", "schedule", "training"):
        table = getattr(config, section)
        label = table.get("name") or table.get("file") or ""
        rows.append([section, label, _settings(table)])
    for name, table in config.callbacks.items():
        rows.append(["callbacks", name, _settings(table)])
    return rows


def _metric_rows(metrics: dict) -> list:
    """[name, training, validation, test] for every metric logged."""
    names = []
    for key in metrics:
        base = key.split("_", 1)[1] if key.startswith(("val_", "test_")) else key
        if base not in names:
            names.append(base)
    return [
        [name, *(metrics.get(prefix + name, math.nan) for prefix in ("", "val_", "test_"))]
        for name in names
    ]


def summary_lines(result) -> list[str]:
    """A short text summary of a run for the console."""
    config, data = result.config, result.data
    label = config.model.get("name") or config.model.get("file")
    lines = [
        f"trained {label} on {config.data['name']} for {len(result.history)} epoch(s): "
        f"{len(data.train[0])} training, {0 if data.val is None else len(data.val[0])} "
        f"validation, {0 if data.test is None else len(data.test[0])} test samples"
    ]
    for name, train, val, test in _metric_rows(result.metrics):
        parts = [
            f"{what} {format_value(v)}"
            for what, v in (("train", train), ("val", val), ("test", test))
            if not _missing(v)
        ]
        lines.append(f"  {name}: " + ", ".join(parts))
    return lines


def _missing(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _plot_lr(trace, path: Path) -> Path | None:
    from gradlab.lab.plots import plot_curves

    if not trace.lrs:
        return None
    lrs = np.asarray(trace.lrs)
    positive = lrs[lrs > 0]
    log_y = bool(positive.size) and positive.max() > 1000 * positive.min()
    return plot_curves(
        {"lr": lrs},
        path,
        ylabel="learning rate",
        xlabel="epoch",
        title="learning rate per batch",
        log_y=log_y,
        x=np.asarray(trace.positions) + 1,
    )


def _plot_gradient_flow(callback, path: Path) -> Path | None:
    from gradlab.lab.plots import plot_curves

    norms = {
        name: np.asarray(values, dtype=float)
        for name, values in callback.norms.items()
        if len(values)
    }
    if not norms:
        return None
    positive = all((v > 0).all() for v in norms.values())
    return plot_curves(
        norms,
        path,
        ylabel="mean gradient L2 norm",
        xlabel="epoch",
        title="gradient flow",
        log_y=positive,
    )


def write_run(result, trace=None, gradient_flow=None) -> dict:
    """Write history.csv, model.safetensors, config.toml, the plots and report.md into
    ``result.out_dir``; returns name -> path of what was written."""
    import gradlab
    from gradlab.atomic import atomic_write
    from gradlab.lab.plots import plot_history
    from gradlab.lab.toml_text import config_toml

    out, config, history = Path(result.out_dir), result.config, result.history
    files = {}
    files["history.csv"] = out / "history.csv"
    history.to_csv(files["history.csv"])
    files["model.safetensors"] = out / "model.safetensors"
    gradlab.save(result.model.state_dict(), files["model.safetensors"])
    files["config.toml"] = out / "config.toml"
    atomic_write(files["config.toml"], config_toml(config))
    label = config.model.get("name") or config.model.get("file")
    if len(history):
        files["history.png"] = plot_history(
            history, out / "history.png", title=f"{label} on {config.data['name']}"
        )
    lrs = np.asarray(trace.lrs) if trace is not None else np.zeros(0)
    if lrs.size and (config.schedule.get("name", "none") != "none" or np.ptp(lrs) > 0):
        path = _plot_lr(trace, out / "lr.png")
        if path is not None:
            files["lr.png"] = path
    if gradient_flow is not None:
        path = _plot_gradient_flow(gradient_flow, out / "gradient_flow.png")
        if path is not None:
            files["gradient_flow.png"] = path
    for name, _ in getattr(result, "plots", []):
        files[name] = out / name
    files["report.md"] = _report(result, files).write(out / "report.md")
    return files


def _report(result, files: dict) -> MarkdownReport:
    config, data, model = result.config, result.data, result.model
    label = config.model.get("name") or config.model.get("file")
    report = MarkdownReport(f"{label} on {config.data['name']}")
    source = config.path if config.path is not None else "a config"
    report.paragraph(
        f"Trained from `{source}` for {len(result.history)} epoch(s) "
        f"(of {config.training['epochs']} configured)"
        + (
            f" by the {config.training['loop']!r} loop."
            if config.training.get("loop", "fit") != "fit"
            else "."
        )
    )
    for note in getattr(result, "notes", []):
        report.paragraph(note)
    report.heading("Configuration")
    report.table(["section", "name", "settings"], _config_rows(config))
    report.heading("Data")
    sizes = [
        ["training", len(data.train[0])],
        ["validation", 0 if data.val is None else len(data.val[0])],
        ["test", 0 if data.test is None else len(data.test[0])],
    ]
    report.table(["split", "samples"], sizes)
    classes = f", {data.num_classes} classes" if data.num_classes else ""
    report.paragraph(f"Task: {data.task}{classes}; one sample has shape {tuple(data.input_shape)}.")
    count = sum(int(np.prod(p.shape)) for p in model.parameters())
    report.heading("Model")
    report.paragraph(f"`{type(model).__name__}` with {count:,} parameters.")
    report.heading("Final metrics")
    report.table(["metric", "training", "validation", "test"], _metric_rows(result.metrics))
    if result.classification_report:
        which = "test" if data.test is not None else "validation"
        report.heading(f"Classification report ({which} set)")
        report.paragraph("```\n" + result.classification_report.rstrip() + "\n```")
    pictures = [
        ("history.png", "loss and metrics per epoch, training and validation"),
        ("lr.png", "learning rate per batch"),
        ("gradient_flow.png", "gradient norm per parameter and epoch"),
        *getattr(result, "plots", []),
    ]
    if any(name in files for name, _ in pictures):
        report.heading("Plots")
        for name, alt in pictures:
            if name in files:
                report.image(name, alt)
    return report
