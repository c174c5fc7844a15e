"""``gradlab train`` end to end in a temporary directory, on small settings."""

from __future__ import annotations

import argparse
import csv
import math
import textwrap
from pathlib import Path

import numpy as np
import pytest

import gradlab
from gradlab.commands import train as train_command
from gradlab.lab import training as T
from gradlab.lab.builders import build_data, build_model
from gradlab.lab.config import load_config

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "configs"
PNG = b"\x89PNG\r\n\x1a\n"

SMALL = """
[data]
name = "digits"
max_samples = 300

[model]
name = "mlp"
hidden_sizes = [16]
dropout = 0.1

[optimizer]
name = "sgd"
lr = 0.05
momentum = 0.9

[schedule]
name = "step"
step_size = 2
gamma = 0.5

[training]
epochs = 3
batch_size = 32

[callbacks.csv_logger]
"""


def run(argv) -> int:
    parser = argparse.ArgumentParser(prog="gradlab")
    train_command.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.handler(args, [])


def write(tmp_path, text: str, name: str = "run.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_train_writes_history_weights_plots_and_report(tmp_path, capsys):
    out = tmp_path / "out"
    assert run(["train", str(write(tmp_path, SMALL)), "--out", str(out), "--quiet"]) == 0
    history = rows(out / "history.csv")
    assert [int(r["epoch"]) for r in history] == [0, 1, 2]
    for row in history:
        for key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
            assert math.isfinite(float(row[key])), (key, row)
    assert [float(r["lr"]) for r in history] == pytest.approx([0.05, 0.05, 0.025])
    assert float(history[-1]["loss"]) < float(history[0]["loss"])
    for name in ("history.png", "lr.png"):
        blob = (out / name).read_bytes()
        assert blob[:8] == PNG and len(blob) > 2000, name
    weights = gradlab.load(out / "model.safetensors")
    config = load_config(tmp_path / "run.toml")
    model = build_model(config, build_data(config))
    assert set(weights) == set(model.state_dict())
    assert sum(np.asarray(w).size for w in weights.values()) == 64 * 16 + 16 + 16 * 10 + 10
    model.load_state_dict(weights)  # the trained weights fit the config's model
    assert (out / "config.toml").read_text() == textwrap.dedent(SMALL)
    report = (out / "report.md").read_text()
    for text in (
        "# mlp on digits",
        "| metric | training | validation | test |",
        "![loss and metrics per epoch",
        "(history.png)",
        "(lr.png)",
        "Classification report (test set)",
        "macro avg",
        "| optimizer | sgd |",
    ):
        assert text in report, text
    assert len(rows(out / "log.csv")) == 3  # the csv_logger callback, in the output directory
    assert capsys.readouterr().err == ""


def test_bad_config_exits_2_with_one_line_per_problem(tmp_path, capsys):
    bad = SMALL.replace("lr = 0.05", "lr = -0.1").replace("epochs = 3", "epochs = 0")
    path = write(tmp_path, bad, "bad.toml")
    assert run(["train", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{path}: optimizer.lr: must be > 0, got -0.1",
        f"{path}: training.epochs: must be >= 1, got 0",
    ]
    assert not (tmp_path / "out").exists()


def test_missing_dataset_is_a_one_line_error(tmp_path, capsys):
    text = f"""
    [data]
    name = "cifar10"
    cache_dir = "{tmp_path.as_posix()}/cache"
    download = false
    [model]
    name = "notes_cnn"
    [training]
    epochs = 1
    """
    assert run(["train", str(write(tmp_path, text)), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("gradlab train: CIFAR-10: missing data_batch_1.bin")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_set_overrides_config_values(tmp_path, capsys):
    out = tmp_path / "out"
    argv = [
        "train",
        str(write(tmp_path, SMALL)),
        "--out",
        str(out),
        "--quiet",
        "--set",
        "training.epochs=2",
        "--set",
        "optimizer.lr=0.1",
        "--set",
        "schedule.step_size=1",
    ]
    assert run(argv) == 0
    assert [float(r["lr"]) for r in rows(out / "history.csv")] == pytest.approx([0.1, 0.05])
    # the other keys of a table stay: SGD's momentum is not Adam's
    argv = ["train", str(write(tmp_path, SMALL)), "--set", "optimizer.name=adam"]
    assert run(argv) == 2
    assert (
        capsys.readouterr()
        .err.split(": ", 1)[1]
        .startswith("optimizer.momentum: unknown key; expected one of amsgrad, betas")
    )
    assert train_command.parse_override("model.hidden_sizes=[4, 5]") == (
        "model.hidden_sizes",
        [4, 5],
    )
    with pytest.raises(ValueError, match="expected SECTION.KEY=VALUE"):
        train_command.parse_override("epochs")


def test_resume_continues_a_killed_run_exactly(tmp_path, monkeypatch, capsys):
    config = write(tmp_path, SMALL.replace("epochs = 3", "epochs = 4"))
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    assert run(["train", str(config), "--out", str(whole), "--quiet"]) == 0

    def killed(self, epoch, logs=None):  # the process dies in epoch 3, before its backup
        if epoch == 2:
            raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(T.LRTrace, "on_epoch_end", killed)
        assert run(["train", str(config), "--out", str(cut), "--quiet"]) == 130
    assert "--resume" in capsys.readouterr().err
    assert (cut / "backup.ckpt").is_file() and not (cut / "history.csv").exists()
    assert run(["train", str(config), "--out", str(cut), "--quiet", "--resume"]) == 0
    assert (cut / "history.csv").read_text() == (whole / "history.csv").read_text()
    assert (cut / "log.csv").read_text() == (whole / "log.csv").read_text()
    a, b = gradlab.load(whole / "model.safetensors"), gradlab.load(cut / "model.safetensors")
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_resume_without_a_backup_exits_2(tmp_path, capsys):
    path = write(tmp_path, SMALL)
    assert run(["train", str(path), "--out", str(tmp_path / "none"), "--resume"]) == 2
    assert "nothing to resume" in capsys.readouterr().err


def test_train_from_config_without_output_directory(tmp_path):
    config = load_config(write(tmp_path, SMALL.replace("[callbacks.csv_logger]", "")))
    result = T.train_from_config(config.with_overrides({"training.epochs": 2}), verbose=0)
    assert len(result.history) == 2 and result.files == {}
    assert set(result.metrics) >= {"loss", "accuracy", "val_loss", "test_loss", "test_accuracy"}
    assert 0.0 <= result.metrics["test_accuracy"] <= 1.0


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("train_binary_example12.toml", ["training.epochs=3"]),
        ("train_digits_lstm.toml", ["training.epochs=1", "data.max_samples=200"]),
    ],
)
def test_example_configs_run(tmp_path, name, overrides):
    out = tmp_path / "out"
    argv = ["train", str(EXAMPLES / name), "--out", str(out), "--quiet"]
    for item in overrides:
        argv += ["--set", item]
    assert run(argv) == 0
    epochs = int(overrides[0].split("=")[1])
    assert len(rows(out / "history.csv")) == epochs
    assert (out / "history.png").read_bytes()[:8] == PNG
    assert "## Final metrics" in (out / "report.md").read_text()


def test_perceptron_example_converges_by_its_rule(tmp_path):
    config = load_config(EXAMPLES / "train_perceptron.toml")
    result = T.train_from_config(config, tmp_path, verbose=0)
    assert result.trainer is None and len(result.history) < 50
    assert result.history["mistakes"][-1] == 0  # an epoch without a mistake: converged
    assert result.metrics["accuracy"] == 1.0 and result.metrics["test_accuracy"] >= 0.95
    report = (tmp_path / "report.md").read_text()
    assert "by the 'perceptron' loop" in report and "converged after" in report
    assert "Classification report (test set)" in report
    weights = gradlab.load(tmp_path / "model.safetensors")
    assert np.array_equal(weights["weight"], result.model.weight.numpy())


def test_special_loops_refuse_resume_and_callbacks(tmp_path, capsys):
    path = EXAMPLES / "train_gan.toml"
    argv = ["train", str(path), "--out", str(tmp_path), "--quiet", "--resume"]
    assert run(argv) == 1
    assert "--resume: the 'gan' loop keeps no backup" in capsys.readouterr().err
    config = load_config(path).with_overrides({"training.epochs": 1})
    with pytest.raises(ValueError, match="the 'gan' loop takes no callbacks; got LRTrace"):
        T.train_from_config(config, callbacks=[T.LRTrace(1)], verbose=0)
