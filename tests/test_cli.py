"""The gradlab command: reproduce and the explain views (graph, backprop, gradflow, lr-find,
schedules), in process and through python -m."""

import shutil
import subprocess
import sys
from pathlib import Path

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


def test_explain_graph_without_graphviz_exits_2_with_the_install_advice(capsys, monkeypatch):
    import importlib

    module = importlib.import_module("gradlab.explain.dot")
    monkeypatch.setattr(module.shutil, "which", lambda name: None)
    status, out, err = _cli(capsys, "explain", "graph", "x*y", "--x", "2", "--y", "3",
                            "--out", "f.svg")  # fmt: skip
    assert status == 2 and "x*y = 6" in out  # the text view still printed
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gradlab explain graph: --out needs Graphviz")
    assert "apt-get install graphviz" in lines[0] and "brew install graphviz" in lines[0]


def test_explain_graph_render_error_is_reported(capsys, tmp_path):
    status, out, err = _cli(capsys, "explain", "graph", "x", "--x", "1", "--out", "f.txt")
    assert status == 1 and "x = 1" in out and "cannot tell the format" in err


# ---------------------------------------------------------------- explain backprop / gradflow /
# lr-find / schedules
_CONFIGS = Path(__file__).resolve().parents[1] / "examples" / "configs"
_PNG = b"\x89PNG\r\n\x1a\n"


def test_explain_backprop_defaults_to_the_notes_example_8(capsys):
    status, out, _ = _cli(capsys, "explain", "backprop")
    assert status == 0
    assert "3-2-1 net, activation sigmoid, X = (1, 0, 1), T = (1), learning rate l = 0.9" in out
    assert "6    0.131169   (0.4739)(1 - 0.4739)(1 - 0.4739)" in out
    assert "w46                 -0.3    -0.04352   -0.260829   -0.3 + (0.9)(0.1312)(0.3318)" in out
    assert "θ4                  -0.4     0.00872   -0.407852   -0.4 + (0.9)(-0.008725)" in out
    status, same, _ = _cli(capsys, "explain", "backprop", str(_CONFIGS / "backprop_example8.toml"))
    assert status == 0 and same == out


def test_explain_backprop_example_7_config(capsys):
    status, out, _ = _cli(capsys, "explain", "backprop", str(_CONFIGS / "backprop_example7.toml"))
    assert status == 0
    assert "loss L = mean (T - O)^2 over the outputs = 2.5" in out
    assert "h1         2.0000      2.0000   (2)(1) + (-1)(0.5) + (0.5)" in out
    assert "o2        -1.5000     -1.5000   (2)(-1) + (0)(1) + (0.5)" in out
    assert "w(i2,h1)             0.5    -1.50000    0.650000   0.5 + (0.1)(-1.5)(-1)" in out


def test_explain_backprop_bad_config_lists_every_problem(capsys, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[net]\nsizes = [2, 0]\nactivation = "swish"\n[update]\nlr = 0\n')
    status, out, err = _cli(capsys, "explain", "backprop", str(path))
    assert status == 2 and out == ""
    assert err.splitlines() == [
        f"{path}: net.sizes: expected a list of at least 2 positive integers, got [2, 0]",
        f"{path}: net.activation: unknown activation 'swish'; expected one of ['sigmoid', "
        "'tanh', 'relu', 'identity']",
        f"{path}: layer: missing; give one [[layer]] table (weight, bias) per layer",
        f"{path}: example.input: missing",
        f"{path}: example.target: missing",
        f"{path}: update.lr: must be a number > 0, got 0",
    ]
    status, _, err = _cli(capsys, "explain", "backprop", str(tmp_path / "none.toml"))
    assert status == 2 and err.strip() == f"{tmp_path / 'none.toml'}: no such file"


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")
def test_explain_backprop_renders_the_graph(capsys, tmp_path):
    path = tmp_path / "net.png"
    status, out, _ = _cli(capsys, "explain", "backprop", "--out", str(path))
    assert status == 0 and out.rstrip().endswith(f"wrote {path}")
    assert path.read_bytes()[:8] == _PNG
    status, _, err = _cli(capsys, "explain", "backprop", "--out", str(tmp_path / "net.txt"))
    assert status == 1 and "cannot tell the format" in err


def test_explain_schedules(capsys, tmp_path):
    path = tmp_path / "schedules.png"
    status, out, _ = _cli(capsys, "explain", "schedules", "--out", str(path))
    assert status == 0 and path.read_bytes()[:8] == _PNG
    lines = out.splitlines()
    assert lines[0].split() == ["epoch", "0", "6", "12", "18", "24", "30", "36", "42", "48", "54"]
    # the notes' step decay (0.01, x0.5 every 10) and cosine 0.01 (1 + cos(pi t / 60)) / 2
    step = "0.01000 0.01000 0.00500 0.00500 0.00250 0.00125 0.00125 0.00063 0.00063 0.00031"
    assert lines[1].split()[-10:] == step.split()
    assert "cosine " in lines[3] and lines[3].split()[6] == "0.00500"
    names = [line.split("  ")[0].strip() for line in lines[1:9]]
    assert names == ["step decay (x0.5 every 10)", "exponential 0.01·e^(-0.05·t)", "cosine",
                     "cyclical triangular", "cyclical Welch", "cyclical Hann", "1cycle",
                     "cosine warm restarts (SGDR)"]  # fmt: skip
    assert lines[9:] == [f"wrote {path}"]
    status, _, err = _cli(capsys, "explain", "schedules", "--epochs", "3")
    assert status == 2 and "--epochs must be >= 6, got 3" in err


_IRIS = """[data]
name = "iris"
[model]
name = "mlp"
hidden_sizes = [16]
[optimizer]
name = "sgd"
lr = 0.1
[training]
epochs = 1
batch_size = 16
"""


def test_explain_gradflow_and_lr_find_on_a_config(capsys, tmp_path):
    config = tmp_path / "iris.toml"
    config.write_text(_IRIS)
    flow = tmp_path / "flow.png"
    status, out, _ = _cli(capsys, "explain", "gradflow", str(config), "--out", str(flow))
    assert status == 0, out
    assert "gradient norms over the first epoch (6 batches)" in out  # 90 training rows / 16
    assert "layers.0 (Linear)" in out and "layers.2 (Linear)" in out
    assert "verdict: healthy" in out and out.rstrip().endswith(f"wrote {flow}")
    assert flow.read_bytes()[:8] == _PNG
    plot = tmp_path / "lr.png"
    status, out, _ = _cli(capsys, "explain", "lr-find", str(config), "--min-lr", "1e-5",
                          "--max-lr", "100", "--steps", "40", "--out", str(plot))  # fmt: skip
    assert status == 0, out
    assert "optimizer: SGD (its lr 0.1 in" in out
    assert "learning-rate range test: " in out and "suggested lr: " in out
    assert plot.read_bytes()[:8] == _PNG and out.rstrip().endswith(f"wrote {plot}")


def test_explain_config_views_report_bad_input(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[data]\nname = "nope"\n')
    for view in ("gradflow", "lr-find"):
        status, out, err = _cli(capsys, "explain", view, str(bad))
        assert status == 2 and out == ""
        assert f"{bad}: model: missing required section [model]" in err.splitlines()
        assert any(line.startswith(f"{bad}: data.name: unknown dataset 'nope'")
                   for line in err.splitlines())  # fmt: skip
    good = tmp_path / "iris.toml"
    good.write_text(_IRIS)
    status, _, err = _cli(capsys, "explain", "lr-find", str(good), "--min-lr", "1", "--max-lr",
                          "0.1")  # fmt: skip
    assert status == 2 and "--min-lr (1) must be below --max-lr (0.1)" in err
    status, _, err = _cli(capsys, "explain", "lr-find", str(good), "--steps", "1")
    assert status == 2 and "--steps: must be >= 2, got 1" in err
