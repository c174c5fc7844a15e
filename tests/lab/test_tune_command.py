"""``gradlab tune`` end to end on a tiny real config: the study, its files, resuming, two
``gradlab tune`` processes on one storage, and bad input (config problems, an unreachable
storage, a missing Optuna), each one clear message without a traceback."""

import argparse
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")

from gradlab.commands import tune as tune_command  # noqa: E402
from gradlab.lab.config import load_config  # noqa: E402

SRC = Path(__file__).resolve().parents[2] / "src"

CONFIG = """
[data]
name = "make_classification"
n_samples = 200
n_features = 8
seed = 1

[model]
name = "mlp"
hidden_sizes = [8]

[optimizer]
name = "adam"
lr = 1e-2

[training]
epochs = 3
batch_size = 32
validation_split = 0.25
metrics = ["accuracy"]
backup = false

[search]
"optimizer.lr" = { type = "log_uniform", low = 1e-3, high = 1e-1 }
"optimizer.name" = { type = "categorical", choices = ["adam", "sgd"], with = { sgd = { "optimizer.momentum" = 0.9 } } }
"training.batch_size" = { type = "int", low = 16, high = 64, step = 16 }
"optimizer.weight_decay" = { type = "uniform", low = 0.0, high = 1e-3 }

[tune]
metric = "val_accuracy"
trials = 4
pruner_startup_trials = 2
"""  # noqa: E501

# runs `gradlab tune` whether or not the lead has added it to gradlab.cli.SUBCOMMANDS yet
CLI = (
    "import sys; import gradlab.cli as cli; from gradlab.commands import tune; "
    "cli.SUBCOMMANDS.append(tune) if tune not in cli.SUBCOMMANDS else None; "
    "sys.exit(cli.main(sys.argv[1:]))"
)


def _config(tmp_path, text=CONFIG, name="tiny.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def _run(*argv):
    parser = argparse.ArgumentParser(prog="gradlab")
    tune_command.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["tune", *map(str, argv)])
    return args.handler(args, [])


def test_tune_end_to_end_writes_the_best_and_resumes(tmp_path, capsys):
    path = _config(tmp_path)
    out = tmp_path / "out"
    assert _run(path, "--trials", 4, "--out", out, "--quiet") == 0
    text = capsys.readouterr().out
    saved = json.loads((out / "best_params.json").read_text())
    assert saved["study"] == "tiny" and saved["counts"]["complete"] + saved["counts"]["pruned"] == 4
    assert "best parameters:" in text and f"val_accuracy = {saved['best_value']:.6g}" in text
    for name in ("optimizer.lr", "optimizer.name", "training.batch_size", "optimizer.weight_decay"):
        assert f"  {name} = " in text and name in saved["params"]
    assert 0.0 <= saved["best_value"] <= 1.0
    for name in ("report.md", "optimization_history.png", "param_importances.png", "study.db"):
        assert (out / name).stat().st_size > 0, name
    # the best config is a config: it loads, and holds the best parameters
    best = load_config(out / "best_config.toml")
    for key, value in saved["overrides"].items():
        section, field = key.split(".")
        assert getattr(best, section)[field] == value, key
    assert _run(path, "--trials", 6, "--out", out, "--quiet") == 0  # resume to 6
    study = optuna.load_study(study_name="tiny", storage=f"sqlite:///{out / 'study.db'}")
    assert sorted(t.number for t in study.trials) == list(range(6))


def test_two_gradlab_tune_processes_share_one_storage(tmp_path):
    path = _config(tmp_path)
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    argv = ["tune", str(path), "--trials", "6", "--storage", url, "--study", "both", "--quiet"]
    procs = [subprocess.Popen([sys.executable, "-c", CLI, *argv, "--out", str(tmp_path / f"o{i}")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for i in range(2)]  # fmt: skip
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (_out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err
    study = optuna.load_study(study_name="both", storage=url)
    finished = [t for t in study.trials if t.state.name in ("COMPLETE", "PRUNED")]
    assert len(finished) == 6  # none lost, none extra
    assert len({t.number for t in study.trials}) == len(study.trials)
    assert all(t.state.name != "RUNNING" for t in study.trials)


def test_bad_search_and_tune_sections_exit_2_with_every_problem(tmp_path, capsys):
    text = CONFIG.replace('low = 1e-3, high = 1e-1', 'low = 1e-1, high = 1e-3').replace(
        'trials = 4', 'trials = 4\nsampler = "anneal"')  # fmt: skip
    path = _config(tmp_path, text)
    assert _run(path, "--out", tmp_path / "o") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"{path}: search.optimizer.lr: low must be < high, got low=0.1, high=0.001",
        f"{path}: tune.sampler: must be one of tpe, random, grid, got 'anneal'",
    ]
    assert not (tmp_path / "o").exists()


def test_a_field_the_config_does_not_have_exits_2_before_any_trial(tmp_path, capsys):
    text = CONFIG.replace('"optimizer.weight_decay"', '"optimizer.wd"')
    path = _config(tmp_path, text)
    assert _run(path, "--out", tmp_path / "o") == 2
    err = capsys.readouterr().err
    assert f"{path}: search: with optimizer.wd = 0.0: " in err and "Traceback" not in err


def test_a_config_without_search_says_what_to_add(tmp_path, capsys):
    path = _config(tmp_path, CONFIG.split("[search]")[0])
    assert _run(path, "--out", tmp_path / "o") == 2
    err = capsys.readouterr().err
    assert "no [search] section" in err and "log_uniform" in err


@pytest.mark.parametrize(
    ("url", "fragment"),
    [("postgresql://tuner:hunter2@127.0.0.1:1/studies",
      "cannot open storage postgresql://tuner:***@127.0.0.1:1/studies"),
     ("sqlite:////no/such/dir/study.db", "unable to open database file")],
)  # fmt: skip
def test_an_unreachable_storage_is_one_line_and_exit_1(tmp_path, capsys, url, fragment):
    path = _config(tmp_path)
    assert _run(path, "--storage", url, "--out", tmp_path / "o") == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gradlab tune: ") and fragment in lines[0]
    assert "hunter2" not in captured.err and "Traceback" not in captured.err


def test_a_missing_optuna_names_the_extra(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "optuna", None)  # import optuna raises ImportError
    assert _run(_config(tmp_path)) == 1
    assert capsys.readouterr().err.strip() == (
        "gradlab tune: optuna is not installed; install it with: pip install 'gradlab[lab]'"
    )


def test_trials_and_jobs_must_be_positive(tmp_path, capsys):
    assert _run(_config(tmp_path), "--trials", 0) == 2
    assert "--trials must be >= 1, got 0" in capsys.readouterr().err
