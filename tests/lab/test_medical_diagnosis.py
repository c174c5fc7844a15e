"""The medical-diagnosis application: threshold rules, metrics, and one full run on
breast_cancer with its files."""

import numpy as np
import pytest

pytest.importorskip("sklearn")

from gradlab.lab.applications.medical_diagnosis import (  # noqa: E402
    binary_metrics,
    choose_threshold,
    medical_diagnosis,
)

Y = np.array([0, 0, 1, 0, 1, 1, 0, 1])
SCORE = np.array([0.1, 0.2, 0.3, 0.35, 0.6, 0.7, 0.8, 0.9])


def test_recall_rule_takes_the_highest_threshold_reaching_the_target():
    # positives score 0.3, 0.6, 0.7, 0.9: recall 0.75 first at 0.6, 1.0 first at 0.3
    assert choose_threshold(Y, SCORE, "recall", target_recall=0.75) == pytest.approx(0.6)
    assert choose_threshold(Y, SCORE, "recall", target_recall=0.95) == pytest.approx(0.3)
    assert choose_threshold(Y, SCORE, "recall", target_recall=0.25) == pytest.approx(0.9)
    assert choose_threshold(Y, SCORE, 0.42) == 0.42


def test_youden_rule_maximizes_tpr_minus_fpr():
    # at 0.6: TPR 3/4, FPR 1/4 (J = 0.5); no other threshold does better
    assert choose_threshold(Y, SCORE, "youden") == pytest.approx(0.6)


def test_threshold_rule_errors():
    with pytest.raises(ValueError, match="rule must be one of"):
        choose_threshold(Y, SCORE, "f2")
    with pytest.raises(ValueError, match="target_recall must be in"):
        choose_threshold(Y, SCORE, "recall", target_recall=0.0)


def test_binary_metrics_counts():
    m = binary_metrics(Y, SCORE, 0.6)  # predicted positive: 0.6, 0.7, 0.8, 0.9
    assert (m["tp"], m["fp"], m["fn"], m["tn"]) == (3, 1, 1, 3)
    assert m["recall"] == pytest.approx(0.75) and m["precision"] == pytest.approx(0.75)
    assert m["specificity"] == pytest.approx(0.75) and m["accuracy"] == pytest.approx(0.75)


def test_full_run_on_breast_cancer(tmp_path):
    pytest.importorskip("matplotlib")
    result = medical_diagnosis(out_dir=tmp_path, seed=0)
    sizes = result.split_sizes
    assert (sizes["train"], sizes["val"], sizes["test"]) == (341, 114, 114)
    # class weighting: pos_weight = #benign / #malignant in the training part
    assert result.pos_weight == pytest.approx((341 - 127) / 127)
    # the threshold was chosen on validation to reach 95% recall there
    assert result.validation["recall"] >= 0.95
    assert result.validation["threshold"] == result.threshold
    assert result.threshold_rule == "recall" and 0.0 < result.threshold < 1.0
    # held-out quality on the 114 test patients (42 malignant)
    assert result.roc_auc >= 0.98
    assert result.test["recall"] >= 0.9 and result.test["precision"] >= 0.85
    assert result.test["tp"] + result.test["fn"] == 42
    fpr, tpr, _ = result.roc
    assert fpr[0] == 0.0 and tpr[-1] == 1.0 and np.all(np.diff(fpr) >= 0)
    assert np.trapezoid(tpr, fpr) == pytest.approx(result.roc_auc)
    # attribution over the 30 measurements of the test patients
    assert result.attribution.values.shape == (114, 30)
    assert len(result.attribution.top(5)) == 5
    names = [name for name, _, _ in result.attribution.top(30)]
    assert sorted(names) == sorted(set(names)) and len(names) == 30
    for name in ("roc_curve", "attribution", "training", "report"):
        assert result.files[name].exists(), name
    report = result.files["report"].read_text()
    assert "ROC-AUC" in report and "roc_curve.png" in report and "threshold" in report
    assert result.files["roc_curve"].read_bytes()[:4] == b"\x89PNG"
