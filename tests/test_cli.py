"""The gradlab command: reproduce and explain graph, in process and through python -m."""

import shutil
import subprocess
import sys

import pytest

from gradlab.cli import main
from gradlab.commands.explain import _parse_variables


def _cli(capsys, *argv):
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_python_m_gradlab_reproduce():
    done = subprocess.run(
        [sys.executable, "-m", "gradlab", "reproduce", "computation-graph"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "PASS  df/dx: computed 13, expected 13 (exact)" in done.stdout
    assert "PASS  1 example, 5 checks: 5 passed, 0 failed" in done.stdout


def test_reproduce_list_and_unknown(capsys):
    status, out, _ = _cli(capsys, "reproduce", "--list")
    assert status == 0 and "computation-graph" in out
    status, out, _ = _cli(capsys, "reproduce", "nope")
    assert status == 2 and "unknown example 'nope'" in out and "computation-graph" in out


def test_unknown_or_missing_subcommand_lists_the_valid_ones(capsys):
    status, _, err = _cli(capsys, "frobnicate")
    assert status == 2 and "'reproduce'" in err and "'explain'" in err
    status, _, err = _cli(capsys)
    assert status == 2 and "choose a command: reproduce, explain" in err
    status, _, err = _cli(capsys, "reproduce", "--bogus")
    assert status == 2 and "unrecognized arguments: --bogus" in err
    assert main(["--help"]) == 0


def test_explain_graph_prints_values_and_gradients(capsys):
    status, out, _ = _cli(capsys, "explain", "graph", "x*y + z", "--x", "7", "--y=13", "--z", "19")
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == "x*y + z = 110"
    assert lines[1].startswith("Add") and lines[1].endswith("value 110  grad 1")
    assert any(line.endswith("value 7  grad 13") and "x  [" in line for line in lines)
    assert any(line.endswith("value 13  grad 7") and "y  [" in line for line in lines)
    assert any(line.endswith("value 19  grad 1") and "z  [" in line for line in lines)


def test_explain_graph_negative_values_and_short_names(capsys):
    # --o is a variable here, not an abbreviation of --out
    status, out, _ = _cli(capsys, "explain", "graph", "o*x", "--o", "-2", "--x", "3", "--dot")
    assert status == 0
    assert out.splitlines()[0] == "o*x = -6"
    assert "digraph gradlab" in out and "o\\nscalar\\nvalue -2\\ngrad 3" in out


def test_explain_graph_rejects_unsafe_expressions(capsys):
    status, out, err = _cli(capsys, "explain", "graph", "__import__('os')")
    assert status == 2 and out == ""
    assert "call to '__import__' at column 1 is not allowed" in err
    assert "allowed functions: exp, log, sqrt, tanh, sigmoid, relu, abs" in err


def test_explain_graph_bad_variables(capsys):
    status, _, err = _cli(capsys, "explain", "graph", "x + y", "--x", "1")
    assert status == 2 and "no value for y; pass --y VALUE" in err
    status, _, err = _cli(capsys, "explain", "graph", "x", "--x", "one")
    assert status == 2 and "--x: expected a number, got 'one'" in err
    with pytest.raises(ValueError, match="--x needs a value"):
        _parse_variables(["--x"])
    with pytest.raises(ValueError, match="--x is given twice"):
        _parse_variables(["--x", "1", "--x=2"])
    with pytest.raises(ValueError, match="unexpected argument 'y'"):
        _parse_variables(["y"])
    assert _parse_variables(["--x", "-1e-3", "--w1=2"]) == {"x": -0.001, "w1": 2.0}


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")
def test_explain_graph_renders_svg(capsys, tmp_path):
    path = tmp_path / "f.svg"
    status, out, _ = _cli(
        capsys, "explain", "graph", "x*y + z", "--x", "7", "--y", "13", "--z", "19",
        "--out", str(path),
    )  # fmt: skip
    assert status == 0 and f"wrote {path}" in out
    assert path.read_bytes().startswith(b"<?xml") and b"grad 13" in path.read_bytes()


def test_explain_graph_render_error_is_reported(capsys, tmp_path):
    status, out, err = _cli(capsys, "explain", "graph", "x", "--x", "1", "--out", "f.txt")
    assert status == 1 and "x = 1" in out and "cannot tell the format" in err
