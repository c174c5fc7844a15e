"""gradlab reproduce, example 12 (notes 002 Q4): the binary classifier on make_classification
reaches the notes' test accuracy within the stated tolerance, deterministically, on the
notes' split, and prints the notes' report."""

import io

import numpy as np
import pytest

from gradlab.lab.reproduce import load_examples, run


def _report():
    example = load_examples().find("binary-classifier")
    assert example is not None and example.number == 12
    assert load_examples().find("12") is example
    return example.run()


def test_example_12_runs_through_the_registry():
    out = io.StringIO()
    status = run(["12"], out=out)
    text = out.getvalue()
    assert status == 0, text
    assert "Example 12 (binary-classifier)" in text and "[notes 002 Q4]" in text
    assert "PASS  1 example, 3 checks: 3 passed, 0 failed" in text
    assert "FAIL" not in text
    assert "Test Accuracy: " in text and "Epoch 20/20" in text
    assert "BCEWithLogitsLoss" in text  # the stable form of sigmoid + BCE


def test_example_12_accuracy_within_the_tolerance_of_the_notes():
    report = _report()
    checks = {c.label: c for c in report.checks}
    accuracy = checks["test accuracy (the notes: 0.865)"]
    assert accuracy.expected == 0.865 and accuracy.tolerance == 0.03
    assert abs(accuracy.computed - 0.865) <= 0.03
    assert accuracy.computed * 200 == pytest.approx(round(accuracy.computed * 200))  # of 200
    assert checks["test supports of classes 0 and 1 (the notes' split)"].computed == [93, 107]
    assert all(c.passed for c in report.checks), [c.describe() for c in report.checks]


def test_example_12_is_deterministic_and_prints_the_report():
    first, second = _report(), _report()
    assert first.lines == second.lines
    assert [c.computed for c in first.checks] == [c.computed for c in second.checks]
    text = "\n".join(first.lines)
    for header in ("precision", "recall", "f1-score", "support", "macro avg", "weighted avg"):
        assert header in text
    rows = [line.split() for line in first.lines if line.split()[:1] in (["0"], ["1"])]
    assert [row[-1] for row in rows] == ["93", "107"]


def test_example_12_learns_from_the_training_data():
    """The per-epoch lines: training loss falls and training accuracy climbs well above
    chance, as in the notes' run (loss 0.69 -> 0.18, accuracy 0.56 -> 0.94)."""
    report = _report()
    epochs = [line for line in report.lines if line.startswith("Epoch ")]
    assert len(epochs) == 20

    def value(line, name):
        return float(line.split(f" {name}: ")[1].split()[0])

    losses = np.array([value(line, "loss") for line in epochs])
    accuracies = np.array([value(line, "accuracy") for line in epochs])
    assert losses[-1] < 0.5 * losses[0]
    assert accuracies[-1] > 0.9
