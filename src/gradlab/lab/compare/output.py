"""What a comparison leaves behind: ``report.md`` with the summary tables and the plots
(mean line and min..max band over seeds per variant), and the summary printed as text."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np

from gradlab.lab.compare.experiment import Column, PartResult
from gradlab.lab.plots import plot_curves
from gradlab.lab.report import MarkdownReport, format_value

__all__ = ["cell", "plot_part_curves", "print_summary", "summary_rows", "text_table",
           "write_report"]  # fmt: skip


def cell(values: np.ndarray, digits: int = 4, missing: str = "nan") -> str:
    """``mean ± std`` over the finite values (just the mean for one run); ``missing`` when
    none is finite, with "(k/n)" when only k of n runs have a value."""
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return missing
    mean, std = float(finite.mean()), float(finite.std())
    text = format_value(mean, digits)
    if finite.size > 1:
        std = 0.0 if std <= 1e-9 * max(abs(mean), 1e-30) else std  # rounding noise
        text += f" ± {format_value(std, 2)}"
    if finite.size < values.size:
        text += f" ({finite.size}/{values.size})"
    return text


def _columns(pr: PartResult) -> list[Column]:
    columns = list(pr.part.columns)
    if pr.part.milestone is not None:
        name, threshold, label = pr.part.milestone
        columns.append(Column("epochs_to_milestone", f"epochs to {label} ≥ {threshold:g}", "min",
                              missing="never"))  # fmt: skip
    columns.append(Column("seconds", "s/run", "", 3))
    return columns


def summary_rows(pr: PartResult, mark_best: bool = False) -> tuple[list[str], list[list[str]]]:
    """The summary table of one part: headers and one row per variant (mean ± std over
    seeds); ``mark_best`` bolds the best mean of each column that has a goal."""
    columns = _columns(pr)
    means = {c.key: [pr.mean(v, c.key) for v in pr.variant_names] for c in columns}
    rows = []
    for i, name in enumerate(pr.variant_names):
        row = [name]
        runs = pr.runs_of(name)
        diverged = bool(runs) and all("stopped_at" in r.extra for r in runs)
        for column in columns:
            missing = "diverged" if diverged and column.missing == "nan" else column.missing
            text = cell(pr.values(name, column.key), column.digits, missing)
            column_means = np.asarray(means[column.key], dtype=float)
            if mark_best and column.goal and np.isfinite(column_means).any():
                pick = np.nanargmax if column.goal == "max" else np.nanargmin
                best = column_means[pick(column_means)]
                if math.isfinite(column_means[i]) and column_means[i] == best:
                    text = f"**{text}**"
            row.append(text)
        rows.append(row)
    return ["variant", *(c.header for c in columns)], rows


def text_table(headers, rows) -> str:
    """A plain-text table with aligned columns."""
    cells = [list(map(str, headers)), *[list(map(str, r)) for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def plot_part_curves(pr: PartResult, out_dir: Path) -> list[tuple[Path, str]]:
    """One PNG per entry of ``part.curves`` that some run logged: (path, caption)."""
    written = []
    for name, ylabel, log_y in pr.part.curves:
        # every variant, even one without a finite value, so colours match across plots
        curves = {v: pr.curve(v, name) for v in pr.variant_names}
        if not any(c.size and np.isfinite(c).any() for c in curves.values()):
            continue
        curves = {v: np.where(np.isfinite(c), c, np.nan) if c.size else np.full((1, 1), np.nan)
                  for v, c in curves.items()}  # fmt: skip
        path = out_dir / pr.part.file(f"{name}.png")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN epochs after divergence
            plot_curves(curves, path, ylabel, title=f"{ylabel} per epoch ({pr.part.data.name})",
                        log_y=log_y)  # fmt: skip
        written.append((path, f"{ylabel} per epoch, mean and min..max over seeds"))
    return written


def write_report(result) -> list[Path]:
    """Write ``report.md`` and the plots; returns the files written."""
    experiment, options, out_dir = result.experiment, result.options, result.out_dir
    seeds = ", ".join(str(s) for s in range(options.seeds))
    report = MarkdownReport(f"gradlab compare {experiment.name}: {experiment.title}")
    if experiment.notes:
        report.paragraph(experiment.notes)
    report.paragraph(
        f"Run: {options.epochs} epoch(s), {options.seeds} seed(s) ({seeds}); each seed sets "
        "the initial weights and the shuffling order, the data split is the same for all. "
        f"Tables give mean ± standard deviation over seeds; plots show the mean and the "
        f"min..max band. Total time {result.seconds:.1f} s."
    )
    files: list[Path] = []
    for pr in result.parts:
        part, data = pr.part, pr.part.data
        report.heading(part.title)
        report.paragraph(f"Data: {data.description}; {data.shape_text()}.")
        if data.note:
            report.paragraph(f"**Note:** {data.note}")
        if part.setup:
            report.paragraph(part.setup)
        report.table(["variant", "settings"], [[v.name, v.description] for v in part.variants])
        report.heading("Summary", 3)
        headers, rows = summary_rows(pr, mark_best=True)
        report.table(headers, rows)
        diverged = [
            f"{r.variant} (seed {r.seed}, epoch {r.extra['stopped_at'][0]}, batch "
            f"{r.extra['stopped_at'][1]})"
            for r in pr.runs
            if "stopped_at" in r.extra
        ]
        if diverged:
            report.paragraph(
                "Stopped on a non-finite loss: " + ", ".join(diverged) + "; "
                "their curves end there and their numbers are left out."
            )
        report.heading("Curves", 3)
        for path, caption in plot_part_curves(pr, out_dir):
            report.image(path.relative_to(out_dir), caption)
            files.append(path)
        before = set(out_dir.glob("*.png"))
        experiment.extend_report(pr, report, out_dir)
        files.extend(sorted(set(out_dir.glob("*.png")) - before))
    lines = experiment.conclusions(result.parts)
    if lines:
        report.heading("What it shows")
        report.paragraph("\n".join(f"- {line}" for line in lines))
    report.paragraph("Every run's per-epoch history and final numbers: `results.json`.")
    files.insert(0, report.write(result.report_path))
    return files


def print_summary(result, stream) -> None:
    """The summary table of each part, the conclusions and where the report is."""
    for pr in result.parts:
        headers, rows = summary_rows(pr)
        print(f"\n{pr.part.title} ({pr.part.data.name}, {result.options.epochs} epochs, "
              f"{result.options.seeds} seed(s))", file=stream)  # fmt: skip
        print(text_table(headers, rows), file=stream)
    for line in result.experiment.conclusions(result.parts):
        print(f"- {line}", file=stream)
    print(f"\nreport: {result.report_path}", file=stream)
