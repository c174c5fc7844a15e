"""`gradlab compare schedules` end to end on a small subset of digits."""

import argparse
import json
import math

import numpy as np
import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")

from gradlab.commands import compare  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
VARIANTS = ["constant", "step", "exponential", "cosine", "cosine_restarts", "cyclic_triangular",
            "cyclic_welch", "cyclic_hann", "1cycle", "plateau"]  # fmt: skip


def run(*argv) -> int:
    parser = argparse.ArgumentParser(prog="gradlab")
    compare.add_parser(parser.add_subparsers(dest="command"))
    args, extras = parser.parse_known_args(["compare", *argv, "--no-progress"])
    return args.handler(args, extras)


def test_schedules_end_to_end(tmp_path):
    out = tmp_path / "sched"
    assert run("schedules", "--epochs", "3", "--seeds", "1", "--limit", "160",
               "--out", str(out)) == 0  # fmt: skip
    report = (out / "report.md").read_text()
    for name in VARIANTS:
        assert f"| {name} |" in report
    for png in ("loss.png", "val_accuracy.png", "lr_decay.png", "lr_cyclical.png"):
        assert (out / png).read_bytes()[:8] == PNG_SIGNATURE
        assert f"]({png})" in report
    runs = {r["variant"]: r for r in json.loads((out / "results.json").read_text())
            ["parts"][0]["runs"]}  # fmt: skip
    steps = math.ceil(160 / 32)  # batches per epoch
    for r in runs.values():
        assert len(r["extra"]["lr_trace"]) == 3 * steps
        assert np.isfinite(r["final"]["loss"])
    assert runs["constant"]["extra"]["lr_trace"] == [0.01] * (3 * steps)
    # step decay with 3 epochs: drop every epoch, lr 0.01 · 0.5^epoch
    assert runs["step"]["history"]["lr"] == pytest.approx([0.01, 0.005, 0.0025])
    assert runs["exponential"]["history"]["lr"] == pytest.approx(
        [0.01 * math.exp(-0.05 * e) for e in range(3)]
    )
    # cyclical: starts at the base rate and rises within the first half cycle
    trace = runs["cyclic_triangular"]["extra"]["lr_trace"]
    assert trace[0] == pytest.approx(0.001) and max(trace) > 0.005
    one_cycle = runs["1cycle"]["extra"]["lr_trace"]
    assert one_cycle[0] == pytest.approx(0.1 / 25) and max(one_cycle) == pytest.approx(
        0.1, rel=0.05
    )
