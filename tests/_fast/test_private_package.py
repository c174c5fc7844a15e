"""The speed machinery stays in gradlab._fast, and importing gradlab changes nothing."""

import ast
import subprocess
import sys
from pathlib import Path

import gradlab

SRC = Path(gradlab.__file__).parent


def _imported_modules(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_no_module_outside_the_private_package_imports_ctypes_or_numba():
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if "_fast" in path.relative_to(SRC).parts:
            continue
        for name in _imported_modules(path):
            if name.split(".")[0] in ("ctypes", "numba", "llvmlite"):
                offenders.append(f"{path.relative_to(SRC)}: imports {name}")
        if ".ctypes." in path.read_text(encoding="utf-8"):  # raw pointers into arrays
            offenders.append(f"{path.relative_to(SRC)}: uses an array's .ctypes pointer")
    assert offenders == []


IMPORT_ONLY = """
import sys, threading
before = set(sys.modules)
import gradlab
from gradlab._fast import allocator, compiled
print(allocator.APPLIED, threading.active_count(), "numba" in sys.modules,
      "gradlab._fast.optim_kernels" in sys.modules, sum(compiled.CALLS.values()))
"""


def test_import_gradlab_configures_nothing_starts_no_thread_loads_no_compiler():
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(SRC.parent)}
    out = subprocess.run([sys.executable, "-c", IMPORT_ONLY], capture_output=True, text=True,
                         env=env, check=True)  # fmt: skip
    assert out.stdout.split() == ["None", "1", "False", "False", "0"]
