"""`gradlab compare regularization` end to end on a reduced setting, and its pieces: the
penalized loss, the augmentation layer, the max-norm callback."""

import argparse
import json

import numpy as np
import pytest

from gradlab.train.fit_inputs import takes_class_indices
from gradlab.train.metrics import predictions_from_output

pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")

import gradlab  # noqa: E402
from gradlab import nn  # noqa: E402
from gradlab.commands import compare  # noqa: E402
from gradlab.lab.compare import regularization as R  # noqa: E402
from gradlab.nn.regularizers import l1_penalty, l2_penalty  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
VARIANTS = ["none", "l1", "l2", "weight_decay", "dropout", "max_norm", "batch_norm",
            "augmentation", "early_stopping"]  # fmt: skip


def run(*argv) -> int:
    parser = argparse.ArgumentParser(prog="gradlab")
    compare.add_parser(parser.add_subparsers(dest="command"))
    args, extras = parser.parse_known_args(["compare", *argv, "--no-progress"])
    return args.handler(args, extras)


@pytest.fixture(scope="module")
def reduced(tmp_path_factory):
    out = tmp_path_factory.mktemp("regularization")
    assert run("regularization", "--epochs", "20", "--seeds", "1", "--limit", "100",
               "--out", str(out)) == 0  # fmt: skip
    results = json.loads((out / "results.json").read_text())
    finals = {r["variant"]: r["final"] for r in results["parts"][0]["runs"]}
    return out, (out / "report.md").read_text(), finals


def test_report_names_every_variant_with_real_numbers(reduced):
    out, report, finals = reduced
    assert list(finals) == VARIANTS
    for name in VARIANTS:
        assert f"| {name} |" in report
        final = finals[name]
        for key in ("final_gap", "final_train_loss", "final_val_loss", "l2_norm", "l1_norm"):
            assert np.isfinite(final[key]), (name, key)
        assert final["final_train_loss"] > 0 and final["final_val_loss"] > 0
        assert 0.1 < final["final_val_accuracy"] <= 1.0  # 10 classes: above chance
        assert final["l2_norm"] > 0
    for png in ("train_vs_val.png", "gap.png", "val_loss.png", "train_loss.png"):
        assert (out / png).read_bytes()[:8] == PNG_SIGNATURE
        assert f"]({png})" in report
    assert "100 samples" in report and "closed the gap most:" in report


def test_a_remedy_closes_the_gap(reduced):
    _, _, finals = reduced
    none = finals["none"]
    # the unregularized net memorizes its 100 samples: training loss far below validation
    assert none["final_train_accuracy"] == 1.0
    assert none["final_gap"] > 0.1
    smaller = [v for v in VARIANTS[1:] if finals[v]["final_gap"] < none["final_gap"]]
    assert smaller, {v: finals[v]["final_gap"] for v in VARIANTS}


def test_remedies_leave_their_marks_on_the_weights(reduced):
    _, _, finals = reduced
    assert finals["max_norm"]["max_row_norm"] <= R.MAX_NORM * (1 + 1e-5)
    assert finals["l1"]["near_zero"] > 2 * finals["none"]["near_zero"]  # L1: sparse weights
    assert finals["l2"]["l2_norm"] < finals["none"]["l2_norm"]
    assert finals["weight_decay"]["l2_norm"] < finals["none"]["l2_norm"]
    assert finals["early_stopping"]["epochs"] <= 20


@pytest.mark.parametrize("kind, fn", [("l1", l1_penalty), ("l2", l2_penalty)])
def test_penalized_loss_adds_the_penalty_only_while_training(kind, fn):
    gradlab.manual_seed(0)
    model = gradlab.models.MLP(4, hidden_sizes=(5,), out_features=3)
    loss = R.PenalizedCrossEntropyLoss(model, kind, 0.01)
    assert takes_class_indices(loss, (6, 3), np.zeros(6, dtype=np.int64))  # a CE subclass
    assert predictions_from_output(np.eye(3)[[2, 0]], loss).tolist() == [2, 0]
    x = gradlab.randn(6, 4)
    y = gradlab.tensor(np.array([0, 1, 2, 0, 1, 2]))
    weights = [p for p in model.parameters() if p.ndim == 2]
    plain = nn.CrossEntropyLoss()(model(x), y)
    model.train()
    penalized = loss(model(x), y)
    expected = float(plain.numpy()) + float(fn(weights, 0.01).numpy())
    assert float(penalized.numpy()) == pytest.approx(expected, rel=1e-6)
    penalized.backward()
    grad_with = weights[0].grad.numpy().copy()
    model.zero_grad()
    nn.CrossEntropyLoss()(model(x), y).backward()
    w = weights[0].numpy()
    extra = 0.01 * (np.sign(w) if kind == "l1" else 2 * w)
    np.testing.assert_allclose(grad_with - weights[0].grad, extra, atol=1e-6)
    model.eval()
    assert float(loss(model(x), y).data) == pytest.approx(float(plain.numpy()), rel=1e-6)


def test_augment_changes_training_batches_only():
    gradlab.manual_seed(0)
    layer = R.Augment(shift=1, noise=0.1)
    images = gradlab.tensor(np.random.default_rng(0).random((5, 1, 8, 8)).astype(np.float32))
    out = layer(images)
    assert out.shape == images.shape and not np.allclose(out.numpy(), images.numpy())
    flat = gradlab.randn(5, 3)
    assert layer(flat).shape == (5, 3)
    layer.eval()
    assert layer(images) is images
