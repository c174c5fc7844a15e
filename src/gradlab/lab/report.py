"""Markdown reports: the tables and pictures an experiment leaves behind in ``report.md``."""

from __future__ import annotations

import math
from pathlib import Path

__all__ = ["format_value", "markdown_table", "MarkdownReport"]


def format_value(value, digits: int = 4) -> str:
    """A table cell: floats to ``digits`` significant digits, NaN as "nan", the rest as str."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float) or type(value).__name__.startswith("float"):
        value = float(value)
        return "nan" if math.isnan(value) else f"{value:.{digits}g}"
    return str(value)


def markdown_table(headers, rows, digits: int = 4) -> str:
    """A GitHub-flavoured Markdown table; every row must have one cell per header."""
    headers = [str(h) for h in headers]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    for index, row in enumerate(rows):
        row = list(row)
        if len(row) != len(headers):
            raise ValueError(
                f"markdown_table: row {index} has {len(row)} cells, expected {len(headers)} "
                f"(headers {headers})"
            )
        lines.append("| " + " | ".join(format_value(c, digits) for c in row) + " |")
    return "\n".join(lines)


class MarkdownReport:
    """Collects a report's parts in order; :meth:`write` saves them to one Markdown file.

    Example::

        report = MarkdownReport("Optimizers on digits")
        report.paragraph("5 epochs, 2 seeds.")
        report.table(["optimizer", "accuracy"], [["adam", 0.97]])
        report.image("loss.png", "training loss per optimizer")
        report.write(out / "report.md")
    """

    def __init__(self, title: str):
        self.parts: list[str] = [f"# {title}"]

    def heading(self, text: str, level: int = 2) -> None:
        self.parts.append(f"{'#' * level} {text}")

    def paragraph(self, text: str) -> None:
        self.parts.append(text.strip())

    def table(self, headers, rows, digits: int = 4) -> None:
        self.parts.append(markdown_table(headers, rows, digits))

    def image(self, path, alt: str) -> None:
        """A picture; ``path`` relative to the report's directory (or made so on write)."""
        self.parts.append(f"![{alt}]({Path(path).as_posix()})")

    def text(self) -> str:
        return "\n\n".join(self.parts) + "\n"

    def write(self, path) -> Path:
        """Write the report to ``path`` atomically (:func:`gradlab.atomic.atomic_write`)."""
        from gradlab.atomic import atomic_write

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return atomic_write(path, self.text())
