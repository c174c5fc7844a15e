"""A config is data: it never names code to run (issue 15's security item). A model of the
user's own comes as a Python file on the command line, ``--model-file``."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gradlab.lab.config import ConfigError, load_config

SRC = Path(__file__).resolve().parents[2] / "src"

INJECTION = """
[data]
name = "iris"

[model]
entry_point = "os:system"
command = "touch {marker}"

[training]
epochs = 1
"""


def _gradlab(*argv, cwd) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin", "HOME": str(cwd)}
    return subprocess.run(
        [sys.executable, "-m", "gradlab", *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_config_entry_point_never_runs_its_command(tmp_path):
    marker = tmp_path / "PWNED"
    config = tmp_path / "evil.toml"
    config.write_text(textwrap.dedent(INJECTION.format(marker=marker)), encoding="utf-8")
    done = _gradlab("train", str(config), "--out", str(tmp_path / "out"), "--quiet", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{config}: model.entry_point: "), lines
    assert "--model-file" in lines[0]
    assert not marker.exists()
    assert not (tmp_path / "out").exists()  # nothing started


def test_entry_point_through_set_is_refused_too(tmp_path):
    marker = tmp_path / "PWNED"
    config = tmp_path / "plain.toml"
    config.write_text('[data]\nname = "iris"\n[model]\nname = "mlp"\n[training]\nepochs = 1\n')
    done = _gradlab(
        "train", str(config), "--quiet", "--set", 'model.entry_point="os:system"',
        "--set", f'model.command="touch {marker}"', cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2
    assert "model.entry_point: a config cannot name code" in done.stderr
    assert not marker.exists()


def test_entry_point_in_a_tune_config_is_refused(tmp_path):
    pytest.importorskip("optuna")
    marker = tmp_path / "PWNED"
    config = tmp_path / "evil.toml"
    config.write_text(
        textwrap.dedent(INJECTION.format(marker=marker))
        + '[search]\n"optimizer.lr" = { type = "log_uniform", low = 1e-3, high = 1e-1 }\n'
    )
    done = _gradlab("tune", str(config), "--trials", "1", "--out", "o", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "model.entry_point: a config cannot name code" in done.stderr
    assert not marker.exists()


def test_load_config_never_imports(tmp_path, monkeypatch):
    import importlib

    calls = []
    real = importlib.import_module
    monkeypatch.setattr(importlib, "import_module", lambda *a, **k: calls.append(a) or real(*a))
    path = tmp_path / "c.toml"
    path.write_text('[data]\nname = "iris"\n[model]\nentry_point = "json:loads"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert len(caught.value.problems) == 1
    assert not any("json" in str(c) for c in calls)


MODEL_FILE = """
from gradlab.models.mlp import MLP

def build_model(in_features, out_features, width: int = 8):
    return MLP(in_features, hidden_sizes=[width], out_features=out_features)

def other(in_features, out_features):
    return MLP(in_features, hidden_sizes=[3], out_features=out_features)
"""


def test_model_file_on_the_command_line_trains(tmp_path):
    (tmp_path / "mine.py").write_text(MODEL_FILE)
    config = tmp_path / "c.toml"
    config.write_text(
        '[data]\nname = "iris"\n[model]\nwidth = 5\n[training]\nepochs = 1\nbatch_size = 16\n'
    )
    out = tmp_path / "out"
    done = _gradlab(
        "train", str(config), "--model-file", "mine.py", "--out", str(out), "--quiet",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "mine.py:build_model" in (out / "report.md").read_text()
    done = _gradlab("train", str(config), "--model-file", "mine.py:other", cwd=tmp_path)
    assert done.returncode == 2  # other takes no width
    assert "model.width: unknown key" in done.stderr


@pytest.mark.parametrize(
    "spec, message",
    [
        ("missing.py", "no such file"),
        ("mine.py:nothing", "defines no function 'nothing'"),
        ("broken.py", "running it raised ZeroDivisionError"),
        ("notes.txt", "expected a Python file"),
    ],
)
def test_bad_model_file_is_one_line_exit_2(tmp_path, spec, message):
    (tmp_path / "mine.py").write_text(MODEL_FILE)
    (tmp_path / "broken.py").write_text("x = 1 / 0\n")
    (tmp_path / "notes.txt").write_text("")
    config = tmp_path / "c.toml"
    config.write_text('[data]\nname = "iris"\n[model]\n[training]\nepochs = 1\n')
    done = _gradlab("train", str(config), "--model-file", spec, cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines


def test_help_says_model_file_runs_code():
    done = _gradlab("train", "--help", cwd=Path.cwd())
    assert "--model-file" in done.stdout and "RUNS the Python file" in done.stdout
