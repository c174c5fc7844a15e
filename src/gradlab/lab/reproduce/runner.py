"""Run worked examples: print each one's output, a PASS/FAIL line per check, and a summary.

Exit status (what ``gradlab reproduce`` returns): 0 when every check passes, 1 when a check
fails, an example raises or an example file fails to import, 2 for an unknown example name.
"""

from __future__ import annotations

import sys
import traceback
from typing import TextIO

from gradlab.lab.reproduce.registry import Example, Registry

__all__ = ["list_examples", "run", "select"]


def _write(out: TextIO, text: str = "") -> None:
    out.write(text + "\n")


def list_examples(registry: Registry, out: TextIO) -> None:
    """One line per registered example: number, name, title."""
    width = max((len(e.name) for e in registry), default=0)
    for example in registry:
        where = f"  [notes {example.source}]" if example.source else ""
        _write(out, f"{example.number:>3}  {example.name:<{width}}  {example.title}{where}")
    for module, error in registry.errors.items():
        _write(out, f"  !  {module}: failed to import: {error.splitlines()[-1]}")


def select(registry: Registry, selectors) -> tuple[list[Example], list[str]]:
    """The examples named by ``selectors`` (all when empty), and the selectors not found."""
    if not selectors:
        return registry.examples(), []
    chosen, unknown = [], []
    for selector in selectors:
        example = registry.find(selector)
        if example is None:
            unknown.append(selector)
        elif example not in chosen:
            chosen.append(example)
    return chosen, unknown


def run(
    selectors=(),
    *,
    list_only: bool = False,
    registry: Registry | None = None,
    out: TextIO | None = None,
) -> int:
    """Run the selected examples (all by default) and return the exit status."""
    if registry is None:
        from gradlab.lab.reproduce import REGISTRY, load_examples

        load_examples()
        registry = REGISTRY
    out = sys.stdout if out is None else out
    if list_only:
        list_examples(registry, out)
        return 1 if registry.errors else 0
    chosen, unknown = select(registry, selectors)
    if unknown:
        names = ", ".join(repr(s) for s in unknown)
        _write(out, f"gradlab reproduce: unknown example {names}; the examples are:")
        list_examples(registry, out)
        return 2

    checks = failed = crashed = 0
    for example in chosen:
        _write(out, "=" * 78)
        _write(out, example.heading)
        _write(out, "-" * 78)
        try:
            report = example.run()
        except Exception:  # an example that raises is reported, and the others still run
            crashed += 1
            _write(out, "ERROR  the example raised:")
            for line in traceback.format_exc().rstrip().splitlines():
                _write(out, "  " + line)
            continue
        for line in report.lines:
            _write(out, "  " + line if line else "")
        _write(out)
        for check in report.checks:
            checks += 1
            ok = check.passed
            failed += not ok
            _write(out, f"{'PASS' if ok else 'FAIL'}  {check.describe()}")
    for module, error in registry.errors.items():
        _write(out, "=" * 78)
        _write(out, f"ERROR  {module} failed to import:")
        for line in error.rstrip().splitlines():
            _write(out, "  " + line)

    _write(out, "=" * 78)
    broken = crashed + len(registry.errors)
    summary = (
        f"{len(chosen)} example{'s' if len(chosen) != 1 else ''}, {checks} checks: "
        f"{checks - failed} passed, {failed} failed"
    )
    if broken:
        summary += f", {broken} example{'s' if broken != 1 else ''} could not run"
    verdict = "FAIL" if failed or broken else "PASS"
    _write(out, f"{verdict}  {summary}")
    return 1 if failed or broken else 0
