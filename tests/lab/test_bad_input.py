"""Bad input to ``gradlab train`` and ``gradlab tune`` is one clear line per problem and
exit status 2, before any training (issue 15); what a run writes is what ran."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import tomllib

from gradlab.commands import train as train_command
from gradlab.lab.config import load_config
from gradlab.lab.out_lock import lock_output

SRC = Path(__file__).resolve().parents[2] / "src"

BASE = """
[data]
name = "iris"

[model]
name = "mlp"
hidden_sizes = [4]

[optimizer]
name = "sgd"
lr = 0.05

[training]
epochs = 2
batch_size = 16
"""


def run(*argv) -> int:
    parser = argparse.ArgumentParser(prog="gradlab")
    train_command.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["train", *map(str, argv)])
    return args.handler(args, [])


def write(tmp_path, text: str, name: str = "run.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def errors(capsys) -> list[str]:
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return captured.err.strip().splitlines()


def test_infinite_lr_and_weight_decay_are_refused(tmp_path, capsys):
    path = write(tmp_path, BASE.replace("lr = 0.05", "lr = inf\nweight_decay = inf"))
    out = tmp_path / "out"
    assert run(path, "--out", out, "--quiet") == 2
    assert errors(capsys) == [
        f"{path}: optimizer.lr: must be a finite number, got inf",
        f"{path}: optimizer.weight_decay: must be a finite number, got inf",
    ]
    assert not out.exists()


def test_a_model_too_large_for_memory_is_one_line(tmp_path):
    import resource

    path = write(tmp_path, BASE.replace("hidden_sizes = [4]", "hidden_sizes = [1000000000]"))

    def cap_memory():  # whatever the machine, never let the child fill it
        resource.setrlimit(resource.RLIMIT_AS, (8 << 30, resource.RLIM_INFINITY))

    done = subprocess.run(
        [sys.executable, "-m", "gradlab", "train", str(path), "--out", str(tmp_path / "o")],
        env={**os.environ, "PYTHONPATH": str(SRC)}, capture_output=True, text=True,
        timeout=300, preexec_fn=cap_memory,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "do not fit in memory" in lines[0], lines
    assert lines[0].startswith(f"{path}: model 'mlp'")


def test_a_test_split_without_samples_is_refused_before_training(tmp_path, capsys):
    text = BASE.replace('name = "iris"', 'name = "iris"\nmax_samples = 2\ntest_size = 0.2')
    path = write(tmp_path, text)
    assert run(path, "--out", tmp_path / "out", "--quiet") == 2
    (line,) = errors(capsys)
    assert line.startswith(f"{path}: data.test_size: splitting 2 samples by 0.2 leaves 0")
    assert not (tmp_path / "out" / "history.csv").exists()


def test_out_that_is_a_file_is_refused(tmp_path, capsys):
    path = write(tmp_path, BASE)
    (tmp_path / "taken").write_text("not a directory")
    assert run(path, "--out", tmp_path / "taken", "--quiet") == 2
    assert errors(capsys) == [
        f"gradlab train: --out {tmp_path / 'taken'}: is a file, not a directory"
    ]


def test_deeply_nested_toml_is_one_line(tmp_path, capsys):
    path = write(tmp_path, BASE + "[callbacks]\nx = " + "[" * 5000 + "]" * 5000 + "\n")
    assert run(path, "--quiet") == 2
    (line,) = errors(capsys)
    assert line.startswith(f"{path}: ") and "nested" in line
    path = write(tmp_path, BASE + "[callbacks]\nx = " + "[" * 40 + "]" * 40 + "\n", "mid.toml")
    assert run(path, "--quiet") == 2  # parses, but deeper than any config
    (line,) = errors(capsys)
    assert "nested more than 16 levels" in line


def test_checkpoint_template_naming_an_unlogged_metric_fails_before_training(tmp_path, capsys):
    text = BASE + '[callbacks.model_checkpoint]\npath = "m-{epoch}-{val_f1:.2f}.ckpt"\n'
    path = write(tmp_path, text)
    assert run(path, "--out", tmp_path / "out", "--quiet") == 2
    (line,) = errors(capsys)
    assert line.startswith(f"{path}: callbacks.model_checkpoint.path: ") and "'val_f1'" in line


def test_model_checkpoint_checks_its_template_before_the_first_epoch(tmp_path):
    import gradlab
    from gradlab import nn
    from gradlab.train import ModelCheckpoint, Trainer

    x = np.random.default_rng(0).normal(size=(16, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)

    def trainer(callback):
        gradlab.manual_seed(0)
        model = nn.Linear(3, 2)
        return Trainer(model, nn.CrossEntropyLoss(), gradlab.optim.SGD(model.parameters(), 0.1),
                       metrics=["accuracy"], callbacks=[callback])  # fmt: skip

    epochs = []
    bad = ModelCheckpoint(str(tmp_path / "m-{val_f1}.ckpt"))
    bad.on_epoch_begin = lambda epoch, logs=None: epochs.append(epoch)
    with pytest.raises(ValueError, match="'val_f1', which training never logs"):
        trainer(bad).fit(x, y, epochs=2, verbose=0)
    assert epochs == []  # before the first epoch
    with pytest.raises(ValueError, match="positional"):
        ModelCheckpoint(str(tmp_path / "m-{}.ckpt"))
    # a missing directory is created (as Keras does), before the first epoch
    good = ModelCheckpoint(str(tmp_path / "new" / "deeper" / "m-{epoch}-{accuracy:.2f}.ckpt"))
    trainer(good).fit(x, y, epochs=1, verbose=0)
    assert len(list((tmp_path / "new" / "deeper").glob("m-1-*.ckpt"))) == 1


def test_config_toml_records_set_overrides(tmp_path, capsys):
    path = write(tmp_path, BASE)
    out = tmp_path / "out"
    assert run(path, "--out", out, "--quiet", "--set", "optimizer.lr=0.2") == 0
    written = (out / "config.toml").read_text()
    assert tomllib.loads(written)["optimizer"]["lr"] == 0.2
    assert "optimizer.lr=0.2" in written.splitlines()[0]  # the comment says what was set
    assert load_config(out / "config.toml").optimizer["lr"] == 0.2
    plain = tmp_path / "plain"
    assert run(path, "--out", plain, "--quiet") == 0
    assert (plain / "config.toml").read_text() == path.read_text()  # as written


def test_resume_with_a_changed_value_is_refused(tmp_path, capsys):
    path = write(tmp_path, BASE)
    out = tmp_path / "out"
    assert run(path, "--out", out, "--quiet") == 0
    before = (out / "report.md").read_text()
    assert run(path, "--out", out, "--quiet", "--resume", "--set", "optimizer.lr=0.5") == 2
    (line,) = errors(capsys)
    assert line.startswith(f"{path}: optimizer.lr: --resume continues the run in {out}")
    assert "which has 0.05; got 0.5" in line
    assert (out / "report.md").read_text() == before  # nothing was written
    # more epochs is what resume is for
    assert run(path, "--out", out, "--quiet", "--resume", "--set", "training.epochs=3") == 0


def test_two_runs_into_one_out_the_second_exits_2(tmp_path, capsys):
    path = write(tmp_path, BASE)
    out = tmp_path / "out"
    with lock_output(out):  # a run in progress (flock: another open file conflicts)
        assert run(path, "--out", out, "--quiet") == 2
        (line,) = errors(capsys)
        assert f"pid {os.getpid()}" in line and "another run" in line
        assert not (out / "backup.ckpt").exists()
    assert run(path, "--out", out, "--quiet") == 0  # released when the holder ends


def test_the_lock_of_a_killed_run_is_released(tmp_path, capsys):
    out = tmp_path / "out"
    code = (
        f"import sys, time; sys.path.insert(0, {str(SRC)!r}); "
        "from gradlab.lab.out_lock import lock_output; "
        f"cm = lock_output({str(out)!r}); cm.__enter__(); print('locked', flush=True); "
        "time.sleep(60)"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "locked"
    path = write(tmp_path, BASE)
    assert run(path, "--out", out, "--quiet") == 2
    assert f"pid {child.pid}" in errors(capsys)[0]
    child.kill()
    child.wait()
    assert run(path, "--out", out, "--quiet") == 0


TUNE = """
[data]
name = "make_classification"
n_samples = 100

[model]
name = "mlp"
hidden_sizes = [4]

[optimizer]
name = "adam"
lr = 1e-2

[training]
epochs = 0
batch_size = 16
validation_split = 0.25

[search]
"optimizer.lr" = { type = "log_uniform", low = 1e-3, high = 1e-1 }
"optimizer.nesterov" = { type = "categorical", choices = [true, false] }

[tune]
metric = "val_f1"
"""


def test_tune_config_reports_every_problem_at_once(tmp_path, capsys):
    pytest.importorskip("optuna")
    from gradlab.commands import tune as tune_command

    path = write(tmp_path, TUNE)
    parser = argparse.ArgumentParser(prog="gradlab")
    tune_command.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["tune", str(path), "--out", str(tmp_path / "o"), "--quiet"])
    assert args.handler(args, []) == 2
    lines = errors(capsys)
    assert f"{path}: training.epochs: must be >= 1, got 0" in lines  # the config itself
    assert any("search: with optimizer.nesterov = True: optimizer.nesterov: unknown key"
               in line for line in lines), lines  # fmt: skip
    assert not (tmp_path / "o" / "study.db").exists()  # no trial ran
    fixed = TUNE.replace("epochs = 0", "epochs = 1")
    args = parser.parse_args(["tune", str(write(tmp_path, fixed)), "--out", str(tmp_path / "o")])
    assert args.handler(args, []) == 2
    lines = errors(capsys)
    assert any("tune.metric: 'val_f1' is not logged" in line for line in lines), lines
    assert len(lines) >= 2 and not (tmp_path / "o" / "study.db").exists()
