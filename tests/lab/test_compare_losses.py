"""`gradlab compare losses` end to end: the regression with outliers and the imbalanced
classification, on small settings."""

import argparse
import json

import numpy as np
import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")

from gradlab.commands import compare  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
REGRESSION = ["mse", "mae", "huber", "quantile_0.5", "quantile_0.9"]
CLASSIFIERS = ["plain", "weighted", "focal", "focal_alpha"]


def run(*argv) -> int:
    parser = argparse.ArgumentParser(prog="gradlab")
    compare.add_parser(parser.add_subparsers(dest="command"))
    args, extras = parser.parse_known_args(["compare", *argv, "--no-progress"])
    return args.handler(args, extras)


def test_losses_end_to_end(tmp_path):
    out = tmp_path / "losses"
    assert run("losses", "--epochs", "8", "--seeds", "1", "--limit", "300",
               "--out", str(out)) == 0  # fmt: skip
    report = (out / "report.md").read_text()
    for name in REGRESSION + CLASSIFIERS:
        assert f"| {name} |" in report
    for png in (
        "regression_loss.png",
        "regression_val_mae.png",
        "regression_fitted_lines.png",
        "imbalanced_loss.png",
        "imbalanced_val_recall.png",
        "imbalanced_val_f1.png",
    ):
        assert (out / png).read_bytes()[:8] == PNG_SIGNATURE
        assert f"]({png})" in report
    parts = {p["key"]: p for p in json.loads((out / "results.json").read_text())["parts"]}
    regression = {r["variant"]: r["final"] for r in parts["regression"]["runs"]}
    for final in regression.values():
        assert np.isfinite(final["val_mae"]) and np.isfinite(final["val_rmse"])
    # the outliers pull the MSE line; the robust losses stay close to the clean points
    assert regression["mae"]["val_mae"] < regression["mse"]["val_mae"]
    assert regression["huber"]["val_mae"] < regression["mse"]["val_mae"]
    # the 0.9 quantile line sits above most clean targets, the median line near half
    assert regression["quantile_0.9"]["below"] > regression["quantile_0.5"]["below"]
    classifiers = {r["variant"]: r["final"] for r in parts["imbalanced"]["runs"]}
    assert set(classifiers) == set(CLASSIFIERS)
    for final in classifiers.values():
        assert 0.0 <= final["val_accuracy"] <= 1.0
        assert 0.0 <= final["val_recall"] <= 1.0
        assert 0.0 <= final["roc_auc"] <= 1.0
    # weighting the minority class up cannot lower its recall on the same data and seed
    assert classifiers["weighted"]["val_recall"] >= classifiers["plain"]["val_recall"]


def test_losses_take_only_synthetic_data(tmp_path, capsys):
    assert run("losses", "--data", "digits", "--out", str(tmp_path)) == 2
    assert "this experiment takes: synthetic" in capsys.readouterr().err
