"""`gradlab compare activations` end to end on a small subset of digits."""

import argparse
import json

import numpy as np
import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")

from gradlab.commands import compare  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
VARIANTS = ["relu", "sigmoid", "tanh", "leaky_relu", "elu", "swish"]


def run(*argv) -> int:
    parser = argparse.ArgumentParser(prog="gradlab")
    compare.add_parser(parser.add_subparsers(dest="command"))
    args, extras = parser.parse_known_args(["compare", *argv, "--no-progress"])
    return args.handler(args, extras)


def assert_png(path):
    import matplotlib.pyplot as plt

    assert path.read_bytes()[:8] == PNG_SIGNATURE
    image = plt.imread(path)
    assert image.shape[0] > 100 and image.shape[1] > 100
    assert image.std() > 0  # something was drawn


def test_activations_end_to_end(tmp_path, capsys):
    out = tmp_path / "act"
    assert run("activations", "--epochs", "2", "--seeds", "2", "--limit", "200",
               "--out", str(out)) == 0  # fmt: skip
    printed = capsys.readouterr().out
    report = (out / "report.md").read_text()
    for name in VARIANTS:
        assert f"| {name} |" in report
        assert name in printed
    for png in ("loss.png", "val_loss.png", "val_accuracy.png"):
        assert f"]({png})" in report
        assert_png(out / png)
    results = json.loads((out / "results.json").read_text())
    runs = results["parts"][0]["runs"]
    assert len(runs) == len(VARIANTS) * 2
    assert {r["seed"] for r in runs} == {0, 1}
    for r in runs:
        assert len(r["history"]["loss"]) == 2
        assert 0.0 <= r["final"]["val_accuracy"] <= 1.0
        assert np.isfinite(r["final"]["loss"]) and r["final"]["loss"] > 0
        # the back-propagated error shrinks through sigmoid layers far more than through ReLU
        assert r["final"]["signal_ratio"] > 0
    ratio = {r["variant"]: r["final"]["signal_ratio"] for r in runs if r["seed"] == 0}
    assert ratio["sigmoid"] < ratio["relu"] / 5


def test_unknown_dataset_lists_the_valid_ones(tmp_path, capsys):
    assert run("activations", "--data", "nope", "--out", str(tmp_path)) == 2
    err = capsys.readouterr().err
    assert "unknown dataset 'nope'" in err
    assert "digits" in err and "moons" in err and "spirals" in err
