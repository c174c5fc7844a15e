"""Ops never call NumPy on tensor data: they take the array module from the arrays they are
given (``xp = array_module(a)``) or from ``device=``, never from a name bound at import.

This reads the source of ``gradlab/ops`` and fails on: ``np.<function>`` / ``numpy.<...>``
other than dtype metadata (``np.float32``, ``np.dtype``, ``np.errstate``, ...), ``xp``
imported from ``gradlab.backend``, and ``.numpy()`` on a tensor. The guard device
(test_guard_device.py) proves the same at run time for the paths the tests take; this
catches the rest, so a host call cannot come back.
"""

import ast
from pathlib import Path

import pytest

OPS = Path(__file__).resolve().parents[2] / "src" / "gradlab" / "ops"

# Files whose move to the device model is another piece of work (the fused and native
# layers' reference paths, the BLAS bindings and their workspaces).
ELSEWHERE = {
    "recurrent.py", "lstm.py", "conv.py", "conv_block.py", "pool.py", "blas.py", "workspace.py",
    "sequence_gemms.py", "losses.py", "cross_entropy.py",
}  # fmt: skip

# NumPy names that describe dtypes, shapes or error handling, not computation on arrays
# (CuPy uses NumPy's dtypes; np.errstate only silences NumPy's own warnings).
METADATA = {
    "dtype", "errstate", "finfo", "iinfo", "result_type", "promote_types", "can_cast",
    "issubdtype", "broadcast_shapes", "ndarray", "generic", "number", "integer", "floating",
    "signedinteger", "unsignedinteger", "bool_", "float16", "float32", "float64", "int8",
    "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "intp", "complex64",
    "complex128", "inf", "nan", "pi", "e", "newaxis",
}  # fmt: skip

# numpy submodules used at import on constants, never on tensor data.
IMPORT_TIME = {"numpy.polynomial"}

FILES = sorted(p for p in OPS.glob("*.py") if p.name not in ELSEWHERE)


def _problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    numpy_names = {"np", "numpy"}
    found = []
    for node in ast.walk(tree):
        where = f"{path.name}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "numpy":
                    numpy_names.add(alias.asname or "numpy")
        elif isinstance(node, ast.ImportFrom):
            if node.module == "gradlab.backend" and any(a.name == "xp" for a in node.names):
                found.append(f"{where}: imports xp from gradlab.backend (use array_module)")
            if node.module == "numpy" or (
                node.module and node.module.startswith("numpy.") and node.module not in IMPORT_TIME
            ):
                names = [a.name for a in node.names if a.name not in METADATA]
                if names:
                    found.append(f"{where}: from {node.module} import {', '.join(names)}")
        elif isinstance(node, ast.Attribute):
            is_numpy = isinstance(node.value, ast.Name) and node.value.id in numpy_names
            if is_numpy and node.attr not in METADATA and f"numpy.{node.attr}" not in IMPORT_TIME:
                found.append(f"{where}: {node.value.id}.{node.attr} (use array_module's)")
            if (
                node.attr == "xp"
                and isinstance(node.value, ast.Name)
                and node.value.id
                in (
                    "backend",
                    "gradlab",
                )
            ):
                found.append(f"{where}: {node.value.id}.xp (use array_module)")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "numpy" and not node.args:
                found.append(f"{where}: .numpy() on a tensor (use its ._data)")
    return found


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_ops_never_call_numpy_on_tensor_data(path):
    assert _problems(path) == []


def test_the_check_finds_host_calls(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import numpy as np\n"
        "from gradlab.backend import xp\n"
        "def f(a, t):\n"
        "    z = np.zeros(a.shape, np.float32)\n"
        "    return np.exp(a) + t.numpy() + z\n"
    )
    problems = _problems(bad)
    assert len(problems) == 4, problems
    assert any("np.zeros" in p for p in problems) and any("np.exp" in p for p in problems)
