"""`gradlab compare initializers` end to end: per-layer gradient norms and the vanishing /
exploding verdicts of each initialization."""

import argparse
import json
import math

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")

from gradlab.commands import compare  # noqa: E402
from gradlab.lab.compare.initializers import DEPTH, verdict  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
VARIANTS = ["zeros", "small_normal", "xavier", "he", "large_normal"]


def run(*argv) -> int:
    parser = argparse.ArgumentParser(prog="gradlab")
    compare.add_parser(parser.add_subparsers(dest="command"))
    args, extras = parser.parse_known_args(["compare", *argv, "--no-progress"])
    return args.handler(args, extras)


def test_initializers_end_to_end(tmp_path, capsys):
    out = tmp_path / "init"
    assert run("initializers", "--epochs", "2", "--seeds", "1", "--limit", "200",
               "--out", str(out)) == 0  # fmt: skip
    printed = capsys.readouterr().out
    report = (out / "report.md").read_text()
    for name in VARIANTS:
        assert f"| {name} |" in report
    for png in (
        "loss.png",
        "val_accuracy.png",
        "signal_at_init.png",
        "weight_grad_at_init.png",
        "first_layer_grad.png",
    ):
        assert (out / png).read_bytes()[:8] == PNG_SIGNATURE
        assert f"]({png})" in report
    assert "**The rule.**" in report
    runs = {r["variant"]: r for r in json.loads((out / "results.json").read_text())
            ["parts"][0]["runs"]}  # fmt: skip
    for r in runs.values():
        assert len(r["extra"]["signal_at_init"]) == DEPTH + 1  # hidden layers + output
        assert len(r["extra"]["weight_grad_at_init"]) == DEPTH + 1
    # zeros: no gradient reaches any hidden layer; the output layer's error is still there
    zeros = runs["zeros"]["extra"]["signal_at_init"]
    assert zeros[:-1] == [0.0] * DEPTH and zeros[-1] > 0
    ratio = {name: r["final"]["signal_ratio"] for name, r in runs.items()}
    assert ratio["small_normal"] < 1e-6  # 0.01 · sqrt(64 / 2) ≈ 0.06 per layer
    assert 0.2 < ratio["he"] < 5  # He keeps the error's size across layers
    assert ratio["large_normal"] > 1e4  # 1 · sqrt(64 / 2) ≈ 5.7 per layer
    assert ratio["small_normal"] < ratio["xavier"] < ratio["he"]
    lines = {line.split(":")[0].lstrip("- "): line for line in printed.splitlines()
             if line.startswith("- ")}  # fmt: skip
    assert "vanishing" in lines["zeros"] and "vanishing" in lines["small_normal"]
    assert "stable" in lines["he"] and "exploding" in lines["large_normal"]
    # large N(0, 1) weights overflow the loss: the run stops and says so
    assert "stopped_at" in runs["large_normal"]["extra"]
    assert "Stopped on a non-finite loss: large_normal" in report


def test_verdict_rule():
    assert verdict(0.0) == "vanishing (none reaches the first layer)"
    assert verdict(1e-3) == "vanishing"
    assert verdict(0.5) == "stable" and verdict(50.0) == "stable"
    assert verdict(1e3) == "exploding"
    assert verdict(0.5, finite_loss=False) == "exploding"
    assert verdict(math.nan) == "undefined"
