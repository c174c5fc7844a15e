"""Drawing with Graphviz: run ``dot`` on DOT source, and show anything that has ``to_text()``
and ``to_dot()`` in Jupyter (SVG with Graphviz, the text without it)."""

from __future__ import annotations

import shutil
import subprocess

__all__ = ["DotDisplay", "GraphvizNotFoundError", "INSTALL_GRAPHVIZ", "RENDER_FORMATS", "run_dot"]

RENDER_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}
"""File suffixes ``render()`` writes, and the Graphviz format of each."""


INSTALL_GRAPHVIZ = (
    "install Graphviz (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz; "
    "conda: conda install -c conda-forge graphviz)"
)
"""What to do when ``dot`` is missing, in one line."""


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` executable is not on PATH."""


def run_dot(dot_source: str, fmt: str, where: str = "render()") -> bytes:
    """``dot -T<fmt>`` on ``dot_source``; returns its output. GraphvizNotFoundError without
    ``dot``, RuntimeError when it fails."""
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizNotFoundError(
            f"{where}: Graphviz's 'dot' executable was not found on PATH; {INSTALL_GRAPHVIZ}, "
            "or write the DOT source with to_dot() and render it elsewhere"
        )
    done = subprocess.run([dot, f"-T{fmt}"], input=dot_source.encode(), capture_output=True,
                          check=False)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(
            f"{where}: dot exited with status {done.returncode}: "
            f"{done.stderr.decode(errors='replace').strip()}"
        )
    return done.stdout


class DotDisplay:
    """Jupyter display of anything with ``to_text()`` and ``to_dot()``: SVG drawn by Graphviz,
    or, without Graphviz, the text tree with a note saying how to get the drawing."""

    def to_text(self) -> str:  # pragma: no cover - defined by subclasses
        raise NotImplementedError

    def to_dot(self) -> str:  # pragma: no cover - defined by subclasses
        raise NotImplementedError

    def to_svg(self) -> str:
        """The graph as SVG text, drawn by Graphviz's ``dot`` (GraphvizNotFoundError
        without it)."""
        return run_dot(self.to_dot(), "svg", "to_svg()").decode("utf-8")

    def _svg_or_none(self) -> str | None:
        try:
            return self.to_svg()
        except RuntimeError:  # no dot, or dot failed: the text fallback shows
            return None

    def _repr_svg_(self) -> str | None:
        return self._svg_or_none()

    def _repr_html_(self) -> str | None:
        if shutil.which("dot") is not None and self._svg_or_none() is not None:
            return None  # the SVG shows
        from gradlab._display import pre

        note = f"Graphviz's dot was not found, so the graph is shown as text; {INSTALL_GRAPHVIZ}"
        return pre(self.to_text(), note)

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(self.to_text())
