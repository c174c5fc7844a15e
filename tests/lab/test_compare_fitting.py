"""`gradlab compare fitting` end to end on a reduced setting: a too-small net underfits, a
too-large one overfits; learning curves and decision boundaries are drawn."""

import argparse
import json

import numpy as np
import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")

import gradlab  # noqa: E402
from gradlab.commands import compare  # noqa: E402
from gradlab.lab.compare.boundaries import Grid, class_probabilities  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
VARIANTS = ["too_small", "right_sized", "too_large"]


def run(*argv) -> int:
    parser = argparse.ArgumentParser(prog="gradlab")
    compare.add_parser(parser.add_subparsers(dest="command"))
    args, extras = parser.parse_known_args(["compare", *argv, "--no-progress"])
    return args.handler(args, extras)


def _finals(out):
    runs = json.loads((out / "results.json").read_text())["parts"][0]["runs"]
    return {r["variant"]: r["final"] for r in runs}


def test_fitting_on_moons(tmp_path):
    out = tmp_path / "fitting"
    assert run("fitting", "--epochs", "40", "--seeds", "1", "--out", str(out)) == 0
    report = (out / "report.md").read_text()
    for name in VARIANTS:
        assert f"| {name} |" in report
    for png in ("learning_curves.png", "decision_boundaries.png", "gap.png", "val_loss.png"):
        assert (out / png).read_bytes()[:8] == PNG_SIGNATURE
        assert f"]({png})" in report
    finals = _finals(out)
    assert list(finals) == VARIANTS
    for final in finals.values():
        for key in ("final_train_loss", "final_val_loss", "final_gap", "best_val_loss"):
            assert np.isfinite(final[key])
        assert 0.5 < final["final_val_accuracy"] <= 1.0  # two classes: above chance
    small, large = finals["too_small"], finals["too_large"]
    assert small["parameters"] == 12 and large["parameters"] > 100_000
    # underfitting: the small net cannot fit even its training points as the large one does
    assert small["final_train_accuracy"] < large["final_train_accuracy"] - 0.05
    assert abs(small["final_gap"]) < 0.05  # ... and does as badly on new points
    # overfitting: the large net's test loss sits well above its training loss
    assert large["final_gap"] > small["final_gap"] + 0.1


def test_fitting_on_spirals_draws_three_classes(tmp_path):
    out = tmp_path / "spirals"
    assert run("fitting", "--data", "spirals", "--epochs", "3", "--seeds", "1",
               "--limit", "60", "--out", str(out)) == 0  # fmt: skip
    report = (out / "report.md").read_text()
    assert "60 training points" in report and "make_spirals" in report
    assert (out / "decision_boundaries.png").read_bytes()[:8] == PNG_SIGNATURE


def test_class_probabilities_on_a_grid():
    gradlab.manual_seed(0)
    grid = Grid(np.array([[0.0, 0.0], [1.0, 2.0]]), resolution=7, margin=0.1)
    assert grid.points.shape == (49, 2) and grid.xx.shape == (7, 7)
    assert grid.extent == pytest.approx((-0.1, 1.1, -0.2, 2.2))
    model = gradlab.models.MLP(2, hidden_sizes=(4,), out_features=3)
    model.train()
    probs = class_probabilities(model, grid.points)
    assert probs.shape == (49, 3) and model.training  # mode restored
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-12)
    binary = class_probabilities(gradlab.models.MLP(2, hidden_sizes=(), out_features=1),
                                 grid.points)  # fmt: skip
    assert binary.shape == (49, 2)
    np.testing.assert_allclose(binary.sum(axis=1), 1.0, atol=1e-12)


def test_a_negative_gap_is_not_called_overfitting():
    from gradlab.lab.compare.fitting import overfitting_line

    assert overfitting_line("too_large", 0.412) == (
        "widest test − train loss gap (overfitting): too_large (0.412)"
    )
    line = overfitting_line("right_sized", -0.021)
    assert "overfitting" not in line and line.startswith("no net overfits")
    assert "right_sized's, is -0.021" in line


def test_compare_curves_mark_their_points(monkeypatch, tmp_path):
    """A one- or two-epoch run draws dots, not an empty plot; long curves stay lines."""
    from gradlab.lab import plots
    from gradlab.lab.compare import generalization

    figures = []
    monkeypatch.setattr(plots, "save_figure", lambda figure, path: figures.append(figure))
    monkeypatch.setattr(generalization, "save_figure", lambda figure, path: figures.append(figure))
    plots.plot_curves({"one": np.array([[0.5]]), "two": np.array([[0.5, 0.4], [0.6, 0.3]]),
                       "long": np.linspace(1, 0, 100)}, tmp_path / "c.png", "loss")  # fmt: skip
    lines = {line.get_label(): line for line in figures[0].axes[0].get_lines()}
    assert lines["one"].get_marker() == "o" and lines["two"].get_marker() == "o"
    assert lines["long"].get_marker() in ("None", None, "")
    generalization.plot_train_val_panels({"a": (np.array([[0.5]]), np.array([[0.7]]))},
                                         tmp_path / "p.png")  # fmt: skip
    assert {line.get_marker() for line in figures[1].axes[0].get_lines()} == {"o"}
