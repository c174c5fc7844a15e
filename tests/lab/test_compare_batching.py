"""`gradlab compare batching` end to end on a reduced setting, and the momentum paths on the
ill-conditioned quadratic."""

import argparse
import json
import math

import numpy as np
import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")

from gradlab.commands import compare  # noqa: E402
from gradlab.lab.compare.quadratic import (  # noqa: E402
    CURVATURE,
    OPTIMIZERS,
    START,
    path_summary,
    quadratic_paths,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BATCHES = {"full_batch": 200, "stochastic": 1, "minibatch_32": 32, "minibatch_128": 128}


def run(*argv) -> int:
    parser = argparse.ArgumentParser(prog="gradlab")
    compare.add_parser(parser.add_subparsers(dest="command"))
    args, extras = parser.parse_known_args(["compare", *argv, "--no-progress"])
    return args.handler(args, extras)


def test_batching_end_to_end(tmp_path, capsys):
    out = tmp_path / "batching"
    assert run("batching", "--epochs", "1", "--seeds", "1", "--limit", "200",
               "--out", str(out)) == 0  # fmt: skip
    printed = capsys.readouterr().out
    report = (out / "report.md").read_text()
    for name in BATCHES:
        assert f"| {name} |" in report and name in printed
    for png in ("loss_vs_examples.png", "loss_vs_seconds.png", "step_losses.png",
                "momentum_paths.png", "loss.png", "val_accuracy.png"):  # fmt: skip
        assert (out / png).read_bytes()[:8] == PNG_SIGNATURE
        assert f"]({png})" in report
    for name in OPTIMIZERS:
        assert f"| {name} |" in report
    runs = {r["variant"]: r for r in json.loads((out / "results.json").read_text())
            ["parts"][0]["runs"]}  # fmt: skip
    assert list(runs) == list(BATCHES)
    for name, batch in BATCHES.items():
        final, extra = runs[name]["final"], runs[name]["extra"]
        # each variant really trained on its own batch size, and all saw the same examples
        assert extra["batch_size"] == batch
        assert final["steps"] == math.ceil(200 / batch)
        assert extra["trace_seen"][0] == 0 and extra["trace_seen"][-1] == 200
        assert all(np.isfinite(extra["trace_loss"])) and final["trace_final"] > 0
        assert 0.0 <= final["val_accuracy"] <= 1.0
        assert len(extra["step_loss"]) == final["steps"]
    # a step per example moves furthest per example seen, and its batches are the noisiest
    assert runs["stochastic"]["final"]["trace_final"] < runs["full_batch"]["final"]["trace_final"]
    assert (runs["stochastic"]["final"]["step_spread"]
            > 2 * runs["minibatch_32"]["final"]["step_spread"])  # fmt: skip
    assert runs["full_batch"]["final"]["rises"] == 0.0  # full-batch descent: smooth
    assert "momentum 0.5 reached f < 0.001" in printed


def test_quadratic_paths_follow_the_momentum_recursion():
    paths = quadratic_paths(steps=30)
    h, lr = np.array(CURVATURE), OPTIMIZERS["momentum 0.5"]["lr"]
    w, v = np.array(START), np.zeros(2)
    expected = [w.copy()]
    for _ in range(30):  # the notes' v = γv + ∇f, θ = θ − ηv (PyTorch's form, η outside)
        v = 0.5 * v + h * w
        w = w - lr * v
        expected.append(w.copy())
    np.testing.assert_allclose(paths["momentum 0.5"], np.array(expected), rtol=1e-12)
    assert paths["gradient descent"].shape == (31, 2)


def test_momentum_damps_the_oscillation_across_the_valley():
    summary = {n: path_summary(p) for n, p in quadratic_paths().items()}
    gd, momentum = summary["gradient descent"], summary["momentum 0.5"]
    # plain descent overshoots the steep direction at every step: w2 changes sign each time
    assert gd["sign_changes"] == 60
    assert momentum["steps_to_min"] < gd["steps_to_min"] / 2
    assert momentum["across"] < 0.6 * gd["across"]
    assert math.isnan(summary["momentum 0.9"]["steps_to_min"])  # too much momentum: swings
