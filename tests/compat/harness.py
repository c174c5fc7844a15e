"""Run a public PyTorch program twice: with torch, and with gradlab with only its imports
swapped (``import torch`` -> ``import gradlab as torch``, ``from torch.x import y`` ->
``from gradlab.x import y``).

Both runs happen in this process, in a scratch directory, with ``sys.argv`` set from the
program's ``# args:`` header line. So that the numbers can be compared, the gradlab run starts
from torch's initial weights: the first time a top-level module is called in the torch run,
its ``state_dict()`` is recorded, and at the same point of the gradlab run it is loaded into
the gradlab module (``load_state_dict``, which also checks that the parameter names and shapes
are PyTorch's). Programs draw their data from NumPy with a fixed seed.

A program's header says what to compare: ``# compare: all`` (every number printed, each to
the precision it is printed with), ``# compare: lines`` (every number, within the same
relative tolerance of the largest number on its line: for values that are zero in exact
arithmetic and print as float rounding noise, whose digits depend on each library's sin, pow
and summation order; the header says why) or ``# compare: none`` (randomness that the two
frameworks draw differently: dropout, sampling, shuffling; the gradlab run must then
complete and print as many numbers).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
from pathlib import Path

import numpy as np

PROGRAMS = Path(__file__).parent / "programs"

_IMPORT = re.compile(r"^(\s*)import torch((?:\.[\w.]+)?)(\s+as\s+\w+)?\s*$")
_FROM = re.compile(r"^(\s*)from torch((?:\.[\w.]+)?) import (.+)$")
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
"""A printed number (not digits inside a name such as ``NllLossBackward0``)."""


def swap_imports(source: str) -> str:
    """The program with each torch import line pointed at gradlab; nothing else changes."""
    lines = []
    for line in source.splitlines():
        match = _IMPORT.match(line)
        if match:
            indent, sub, alias = match.groups()
            if sub and not alias:  # "import torch.nn": binds the name torch
                line = f"{indent}import gradlab{sub}; import gradlab as torch"
            else:
                line = f"{indent}import gradlab{sub}{alias or ' as torch'}"
        else:
            match = _FROM.match(line)
            if match:
                indent, sub, names = match.groups()
                line = f"{indent}from gradlab{sub} import {names}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def header(path: Path) -> dict:
    """The program's ``# key: value`` header lines (source, args, compare)."""
    found = {}
    for line in path.read_text().splitlines():
        match = re.match(r"#\s*(source|args|compare|adapted):\s*(.*)", line)
        if match:
            found[match.group(1)] = match.group(2).strip()
    return found


class _WeightSync:
    """Record (torch run) or load (gradlab run) each top-level module's initial state."""

    def __init__(self, module_class, recorded: list | None):
        self.module_class = module_class
        self.recorded = [] if recorded is None else recorded
        self.loading = recorded is not None
        self.seen: set = set()
        self.alive: list = []
        self.position = 0
        self.original = module_class.__call__

    def __call__(self, module, *args, **kwargs):
        if id(module) not in self.seen:
            # the modules are kept alive so that their ids are never reused by new ones
            self.alive.extend(module.modules())
            self.seen.update(id(m) for m in module.modules())
            if self.loading:
                state = self.recorded[self.position]
                module.load_state_dict({k: v.copy() for k, v in state.items()})
            else:
                self.recorded.append(
                    {k: v.detach().cpu().numpy().copy() for k, v in module.state_dict().items()}
                )
            self.position += 1
        return self.original(module, *args, **kwargs)


def run(path: Path, framework: str, workdir: Path, recorded: list | None = None):
    """Run the program with ``framework`` ('torch' or 'gradlab'); return (stdout, recorded)."""
    source = path.read_text()
    if framework == "gradlab":
        source = swap_imports(source)
        import gradlab

        module_class = gradlab.nn.Module
    else:
        import torch

        module_class = torch.nn.Module
    sync = _WeightSync(module_class, recorded)
    args = header(path).get("args", "").split()
    out = io.StringIO()
    previous = (os.getcwd(), sys.argv, module_class.__call__)
    os.chdir(workdir)
    sys.argv = [str(path), *args]
    module_class.__call__ = lambda m, *a, **k: sync(m, *a, **k)
    try:
        with contextlib.redirect_stdout(out):
            code = compile(source, str(path), "exec")
            exec(code, {"__name__": "__main__", "__file__": str(path)})  # noqa: S102
    finally:
        os.chdir(previous[0])
        sys.argv = previous[1]
        module_class.__call__ = previous[2]
    return out.getvalue(), sync.recorded


def numbers(text: str) -> list[tuple[float, float]]:
    """Each number printed in ``text`` with the size of one unit in its last printed digit."""
    found = []
    for token in _NUMBER.findall(text):
        mantissa = token.lower().split("e")[0]
        decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
        exponent = int(token.lower().split("e")[1]) if "e" in token.lower() else 0
        found.append((float(token), 10.0 ** (exponent - decimals)))
    return found


def assert_same_numbers(theirs: str, ours: str, rtol: float = 1e-4, lines: bool = False) -> None:
    """Every number gradlab printed equals torch's, within one unit of its last printed digit
    (printing rounds) plus ``rtol`` times the number (with ``lines``, times the largest number
    torch printed on that line)."""
    a, b = numbers(theirs), numbers(ours)
    if len(a) != len(b):
        raise AssertionError(
            f"torch printed {len(a)} numbers, gradlab {len(b)}\n--- torch:\n{theirs}\n"
            f"--- gradlab:\n{ours}"
        )
    scales = [abs(x) for x, _ in a]
    if lines:
        scales = [
            max((abs(x) for x, _ in numbers(line)), default=0.0)
            for line in theirs.splitlines()
            for _ in numbers(line)
        ]
    for i, ((x, unit_x), (y, unit_y)) in enumerate(zip(a, b)):
        if not abs(x - y) <= max(unit_x, unit_y) + rtol * scales[i]:
            raise AssertionError(
                f"number {i}: torch printed {x}, gradlab {y}\n--- torch:\n{theirs}\n"
                f"--- gradlab:\n{ours}"
            )


def missing_name(error: BaseException) -> str:
    """The PyTorch name a failure points at, for the summary (best effort)."""
    text = str(error)
    match = re.search(r"(gradlab[\w.]*\.\w+) is not implemented", text)
    if match:
        return match.group(1).replace("gradlab", "torch", 1)
    match = re.search(r"has no attribute '(\w+)'", text)
    if match:
        owner = re.search(r"'([\w.]+)' object", text) or re.search(r"module '([\w.]+)'", text)
        return f"{owner.group(1) if owner else '?'}.{match.group(1)}"
    return f"{type(error).__name__}: {text.splitlines()[0][:120] if text else ''}"


def compare(path: Path, workdir: Path) -> None:
    """Run both ways and compare as the header says; raise on any difference."""
    (workdir / "torch").mkdir(parents=True, exist_ok=True)
    (workdir / "gradlab").mkdir(parents=True, exist_ok=True)
    theirs, recorded = run(path, "torch", workdir / "torch")
    ours, _ = run(path, "gradlab", workdir / "gradlab", recorded)
    mode = header(path).get("compare", "all").split()[0]  # the rest of the line says why
    if mode in ("all", "lines"):
        assert_same_numbers(theirs, ours, lines=mode == "lines")
    elif len(numbers(theirs)) != len(numbers(ours)):
        raise AssertionError(f"--- torch:\n{theirs}\n--- gradlab:\n{ours}")


def all_programs() -> list[Path]:
    return sorted(PROGRAMS.glob("*.py"))


if __name__ == "__main__":  # python tests/compat/harness.py: the table for the README
    import tempfile
    import traceback

    np.seterr(all="ignore")
    runs = 0
    for program in all_programs():
        with tempfile.TemporaryDirectory() as scratch:
            try:
                compare(program, Path(scratch))
                runs += 1
                print(f"runs    {program.stem}")
            except Exception as error:  # noqa: BLE001 - the summary reports every failure
                print(f"FAILS   {program.stem}: {missing_name(error)}")
                if os.environ.get("COMPAT_TRACEBACK"):
                    traceback.print_exc()
    print(f"{runs} of {len(all_programs())} programs run with only the imports swapped")
