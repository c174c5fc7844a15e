"""Every notebook of notebooks/ runs top to bottom in a fresh Jupyter kernel without an
error, and the committed .ipynb files are what notebooks/make_notebooks.py writes."""

import importlib.util
import os
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _require(name: str):
    """The module; skipped where it is missing, except in CI (the dev extra installs it)."""
    if os.environ.get("CI"):
        return importlib.import_module(name)
    return pytest.importorskip(name)


def test_there_is_a_notebook_per_chapter():
    assert [p.name[:3] for p in NOTEBOOKS] == [f"{k:02d}_" for k in range(1, 9)]


def test_notebooks_are_written_by_the_script():
    nbformat = _require("nbformat")
    spec = importlib.util.spec_from_file_location(
        "make_notebooks", ROOT / "notebooks" / "make_notebooks.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert sorted(f"{name}.ipynb" for name in script.NOTEBOOKS) == [p.name for p in NOTEBOOKS]
    for name, cells in script.NOTEBOOKS.items():
        built = script.build(name, cells)
        saved = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
        assert [(c.cell_type, c.source) for c in saved.cells] == [
            (c.cell_type, c.source) for c in built.cells
        ], f"{name}.ipynb differs from make_notebooks.py: run python notebooks/make_notebooks.py"
        assert all(not c.get("outputs") for c in saved.cells), f"{name}.ipynb has outputs"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path):
    nbformat = _require("nbformat")
    nbclient = _require("nbclient")
    _require("ipykernel")
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError, with the cell and its traceback, on an error
    seconds = time.perf_counter() - start
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    print(f"{path.name}: {seconds:.1f} s")
