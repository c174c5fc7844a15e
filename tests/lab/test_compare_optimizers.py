"""`gradlab compare optimizers` end to end: on digits when CIFAR-10 is absent, on CIFAR-10
when its binary batches are in the cache directory (tiny fake batches here)."""

import argparse
import json

import numpy as np
import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")

from gradlab.commands import compare  # noqa: E402
from gradlab.data.cifar import RECORD_BYTES, SUBDIR, TEST_FILES, TRAIN_FILES  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
VARIANTS = ["sgd", "momentum", "adam", "rmsprop", "adagrad"]


def run(*argv) -> int:
    parser = argparse.ArgumentParser(prog="gradlab")
    compare.add_parser(parser.add_subparsers(dest="command"))
    args, extras = parser.parse_known_args(["compare", *argv, "--no-progress"])
    return args.handler(args, extras)


def check_outputs(out, data_name):
    report = (out / "report.md").read_text()
    for name in VARIANTS:
        assert f"| {name} |" in report
    for png in ("accuracy.png", "val_accuracy.png", "loss.png", "val_loss.png"):
        assert (out / png).read_bytes()[:8] == PNG_SIGNATURE
        assert f"]({png})" in report
    results = json.loads((out / "results.json").read_text())
    part = results["parts"][0]
    assert part["data"] == data_name
    assert [r["variant"] for r in part["runs"]] == VARIANTS
    for r in part["runs"]:
        assert np.isfinite(r["final"]["loss"]) and r["final"]["loss"] > 0
        assert 0.0 <= r["final"]["val_accuracy"] <= 1.0
    return report


def test_optimizers_fall_back_to_digits(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GRADLAB_DATA", str(tmp_path / "empty-cache"))
    out = tmp_path / "opt"
    assert run("optimizers", "--epochs", "1", "--seeds", "1", "--limit", "64",
               "--out", str(out)) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "CIFAR-10 is not in" in printed and "digits" in printed
    report = check_outputs(out, "digits")
    assert "CIFAR-10 is not in" in report
    assert "(1, 18, 18)" in report  # digits zero-padded for the notes' CNN


def _fake_cifar(root, records=20):
    directory = root / SUBDIR
    directory.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in TRAIN_FILES + TEST_FILES:
        data = rng.integers(0, 256, size=(records, RECORD_BYTES), dtype=np.uint8)
        data[:, 0] = np.arange(records) % 10
        data.tofile(directory / name)


def test_optimizers_use_cifar10_when_present(tmp_path, monkeypatch, capsys):
    _fake_cifar(tmp_path / "cache")
    monkeypatch.setenv("GRADLAB_DATA", str(tmp_path / "cache"))
    out = tmp_path / "opt"
    assert run("optimizers", "--epochs", "1", "--seeds", "1", "--limit", "64",
               "--out", str(out)) == 0  # fmt: skip
    report = check_outputs(out, "cifar10")
    assert "CIFAR-10 is not in" not in report + capsys.readouterr().out
    assert "(3, 32, 32)" in report


def test_cifar10_requested_but_absent(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GRADLAB_DATA", str(tmp_path / "empty-cache"))
    assert run("optimizers", "--data", "cifar10", "--out", str(tmp_path / "o")) == 1
    err = capsys.readouterr().err
    assert "CIFAR-10" in err and "data_batch_1.bin" in err
    assert not (tmp_path / "o" / "report.md").exists()
