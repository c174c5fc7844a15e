"""The import arrows go one way (DESIGN.md): tensor/autograd/ops -> nn -> optim -> data ->
train -> lab -> commands, with the packages that sit on top of what they use (models,
explain, distributed, keras, ...) placed in the order below, and no cycle between packages.

Every ``import`` of every module under src/gradlab is read with ``ast``, function-level
imports included (a lazy import is still an arrow).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "gradlab"

ENGINE = {
    "_display", "accelerator", "allocator", "atomic", "autograd", "autograd_api",
    "autograd_function", "autograd_graph", "backend", "backends", "creation", "cuda", "dtypes",
    "engine", "figures", "generator", "gradcheck", "linalg", "linalg_legacy", "missing", "ops",
    "optional", "special", "tensor", "torch_names", "variable",
}  # fmt: skip
"""The bottom layer: the engine (tensor, autograd, ops) and leaf helpers that import only it."""

TIERS: list[set[str]] = [
    {"_fast"},  # the speed machinery: NumPy (and numba) only, under everything
    ENGINE,
    {"nn"},
    {"models", "distributions", "torch_format"},  # built from nn alone
    {"optim"},
    {"data"},
    {"utils"},  # torch.utils.data: re-exports data
    {"train"},
    {"explain", "distributed", "serialization"},  # each on top of train, apart from each other
    {"gradlab"},  # the package's face: re-exports all of the above
    {"lab", "keras"},
    {"commands"},
    {"cli"},
    {"__main__"},
]
"""A unit may import units of lower tiers only (and itself); units of one tier none of each
other. The root package ``gradlab`` (``import gradlab``) imports train and explain, so a
module below them must import what it needs from the module that defines it."""


def _modules() -> dict[str, tuple[Path, bool]]:
    modules = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        package = parts[-1] == "__init__"
        if package:
            parts = parts[:-1]
        modules[".".join(parts)] = (path, package)
    return modules


MODULES = _modules()
ENGINE_UNIT = "tensor/autograd/ops"


def _targets(module: str, package: bool, node) -> list[str]:
    """The gradlab modules an import statement loads (``from a import b``: ``a.b`` when b is
    a module, else ``a``)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            base = module.split(".") if package else module.split(".")[:-1]
            base = base[: len(base) - node.level + 1]
            origin = ".".join(base + ([node.module] if node.module else []))
        else:
            origin = node.module or ""
        names = [
            f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in MODULES else origin
            for alias in node.names
        ]
    out = []
    for name in names:
        if name != "gradlab" and not name.startswith("gradlab."):
            continue
        while name not in MODULES and "." in name:
            name = name.rpartition(".")[0]
        out.append(name)
    return out


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "gradlab"


def _tier(unit: str) -> int:
    for index, tier in enumerate(TIERS):
        if unit in tier:
            return index
    raise AssertionError(f"src/gradlab/{unit}: not placed in a tier of tests/test_layering.py")


def _arrows() -> dict[tuple[str, str], list[str]]:
    """(importing unit, imported unit) -> ["module:line", ...], between different units."""
    arrows = defaultdict(list)
    for module, (path, package) in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for target in _targets(module, package, node):
                a, b = _unit(module), _unit(target)
                if a != b and not (a in ENGINE and b in ENGINE):
                    arrows[(a, b)].append(f"{path.relative_to(SRC.parent)}:{node.lineno}")
    return arrows


def test_every_unit_has_a_tier():
    for module in MODULES:
        _tier(_unit(module))


def test_imports_point_down_only():
    upward = [
        f"{a} -> {b}: {', '.join(where)}"
        for (a, b), where in sorted(_arrows().items())
        if _tier(b) >= _tier(a)
    ]
    assert not upward, "imports that point up (or sideways) the layers:\n" + "\n".join(upward)


def test_no_cycle_between_packages():
    graph = defaultdict(set)
    for a, b in _arrows():
        graph[ENGINE_UNIT if a in ENGINE else a].add(ENGINE_UNIT if b in ENGINE else b)
    seen, on_path, cycles = set(), [], []

    def visit(unit):
        if unit in on_path:
            cycles.append(on_path[on_path.index(unit) :] + [unit])
            return
        if unit in seen:
            return
        seen.add(unit)
        on_path.append(unit)
        for other in sorted(graph[unit]):
            visit(other)
        on_path.pop()

    for unit in sorted(graph):
        visit(unit)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)
