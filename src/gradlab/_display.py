"""Rich display in Jupyter through IPython's display protocol, without importing IPython.

IPython asks an object for ``_repr_html_``, ``_repr_svg_``, ``_repr_png_`` ... and shows the
richest one the front end supports; a method that returns None is skipped. gradlab's objects
(graph views, backprop traces, ``History``, modules, model summaries, schedule curves) build
those strings here: HTML tables that are also well-formed XML (every tag closed, every text
escaped), and PNG figures drawn on a bare matplotlib ``Figure`` (no pyplot, so nothing is
shown twice by an inline backend and no global figure is left open).

:func:`in_notebook` tells whether this process is a Jupyter kernel by looking at the modules
already imported (IPython is never imported here).
"""

from __future__ import annotations

import base64
import html
import io
import math
import sys
from collections.abc import Callable, Sequence

__all__ = ["figure_png", "html_table", "img_tag", "in_notebook", "number", "pre"]


def in_notebook() -> bool:
    """True inside a Jupyter kernel (an IPython ``ZMQInteractiveShell``, as tqdm.autonotebook
    checks), False in a terminal, a script or a plain IPython console."""
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    if get_ipython is None:
        return False
    try:
        shell = get_ipython()
    except Exception:  # pragma: no cover - a broken IPython counts as none
        return False
    if shell is None:
        return False
    config = getattr(shell, "config", {}) or {}
    return "IPKernelApp" in config or type(shell).__name__ == "ZMQInteractiveShell"


def number(value, digits: int = 4) -> str:
    """A table cell for a number: ints with thousands separators, floats to ``digits``
    significant digits, NaN as "nan"."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(value):
        return "nan"
    return f"{value:.{digits}g}"


def html_table(headers: Sequence[str], rows: Sequence[Sequence], caption: str | None = None,
               footer: Sequence[str] = (), numeric: Sequence[bool] | None = None,
               digits: int = 6, css_class: str = "gradlab") -> str:  # fmt: skip
    """An HTML table: ``headers`` (n,), ``rows`` each (n,) of cells (str or numbers, shown
    with :func:`number` to ``digits`` significant digits), an optional ``caption`` and
    ``footer`` lines under it. ``numeric``
    right-aligns the columns marked True (default: those whose cells are all numbers)."""
    rows = [list(r) for r in rows]
    if numeric is None:
        numeric = [
            bool(rows) and all(isinstance(r[i], (int, float)) for r in rows)
            for i in range(len(headers))
        ]
    out = [f'<table class="{css_class}" style="border-collapse: collapse">']
    if caption:
        out.append(f'<caption style="text-align: left; font-weight: bold">'
                   f"{html.escape(caption)}</caption>")  # fmt: skip
    out.append("<thead><tr>")
    for h, right in zip(headers, numeric):
        align = "right" if right else "left"
        out.append(f'<th style="text-align: {align}">{html.escape(str(h))}</th>')
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>")
        for cell, right in zip(row, numeric):
            text = cell if isinstance(cell, str) else number(cell, digits)
            align = "right" if right else "left"
            out.append(f'<td style="text-align: {align}">{html.escape(text)}</td>')
        out.append("</tr>")
    out.append("</tbody>")
    if footer:
        span = len(headers)
        out.append("<tfoot>")
        for line in footer:
            out.append(f'<tr><td colspan="{span}" style="text-align: left">'
                       f"{html.escape(line)}</td></tr>")  # fmt: skip
        out.append("</tfoot>")
    out.append("</table>")
    return "".join(out)


def pre(text: str, note: str | None = None) -> str:
    """Text in a ``<pre>`` block, with an optional note above it."""
    head = f"<p><em>{html.escape(note)}</em></p>" if note else ""
    return f"<div>{head}<pre>{html.escape(text)}</pre></div>"


def figure_png(draw: Callable, size: tuple[float, float] = (6.4, 4.0), dpi: int = 90):
    """PNG bytes of a figure that ``draw(figure)`` fills, or None without matplotlib (IPython
    then shows the next representation)."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return None
    figure = Figure(figsize=size)
    draw(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def img_tag(png: bytes | None, alt: str) -> str:
    """An ``<img>`` holding ``png`` inline (base64), or "" when there is no image."""
    if not png:
        return ""
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" />'
