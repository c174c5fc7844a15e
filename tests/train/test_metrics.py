"""Metrics against scikit-learn on random data (exact equality), and the output rule."""

import sys

import numpy as np
import pytest

import gradlab
from gradlab.train import metrics as M

skm = pytest.importorskip("sklearn.metrics")


def random_labels(seed, n, classes):
    rng = np.random.default_rng(seed)
    return rng.integers(0, classes, n), rng.integers(0, classes, n)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("average", ["macro", "micro", "weighted"])
def test_multiclass_prf_equal_sklearn(seed, average):
    n = [1, 5, 37, 300, 1000, 2, 64, 129][seed]
    t, p = random_labels(seed, n, 2 + seed % 5)
    for ours, theirs in [(M.precision, skm.precision_score), (M.recall, skm.recall_score),
                         (M.f1, skm.f1_score)]:  # fmt: skip
        assert ours(t, p, average=average) == theirs(t, p, average=average, zero_division=0.0)


@pytest.mark.parametrize("seed", range(6))
def test_binary_metrics_equal_sklearn(seed):
    t, p = random_labels(seed, [3, 20, 200, 1000, 7, 64][seed], 2)
    assert M.precision(t, p) == skm.precision_score(t, p, zero_division=0.0)
    assert M.recall(t, p) == skm.recall_score(t, p, zero_division=0.0)
    assert M.f1(t, p) == skm.f1_score(t, p, zero_division=0.0)
    assert M.accuracy(t, p) == skm.accuracy_score(t, p)
    assert M.f1(t, p, pos_label=0) == skm.f1_score(t, p, pos_label=0, zero_division=0.0)


@pytest.mark.parametrize("seed", range(6))
def test_accuracy_and_confusion_matrix_equal_sklearn(seed):
    t, p = random_labels(seed, 100 + 37 * seed, 3 + seed)
    assert M.accuracy(t, p) == skm.accuracy_score(t, p)
    cm = M.confusion_matrix(t, p)
    np.testing.assert_array_equal(cm, skm.confusion_matrix(t, p))
    assert cm.dtype == np.int64
    labels = [4, 0, 2, 9]
    np.testing.assert_array_equal(
        M.confusion_matrix(t, p, labels=labels), skm.confusion_matrix(t, p, labels=labels)
    )


@pytest.mark.parametrize("seed", range(6))
def test_roc_auc_equal_sklearn(seed):
    rng = np.random.default_rng(seed)
    n = [10, 50, 333, 1000, 4, 2000][seed]
    t = rng.integers(0, 2, n)
    t[:2] = [0, 1]
    score = rng.standard_normal(n)
    if seed % 2:
        score = score.round(1)  # ties
    assert M.roc_auc(t, score) == skm.roc_auc_score(t, score)


@pytest.mark.parametrize("seed", range(6))
def test_regression_metrics_equal_sklearn(seed):
    rng = np.random.default_rng(seed)
    n = [2, 9, 128, 1000, 4097, 30][seed]
    t, p = rng.standard_normal(n) * 5, rng.standard_normal(n)
    assert M.mae(t, p) == skm.mean_absolute_error(t, p)
    assert M.rmse(t, p) == skm.root_mean_squared_error(t, p)
    assert M.r2(t, p) == skm.r2_score(t, p)
    assert M.r2(np.ones(3), np.ones(3)) == skm.r2_score(np.ones(3), np.ones(3))
    assert M.r2(np.ones(3), np.zeros(3)) == skm.r2_score(np.ones(3), np.zeros(3))


def test_metrics_accept_tensors_and_columns():
    t, p = random_labels(0, 50, 3)
    assert M.accuracy(gradlab.tensor(t), gradlab.tensor(p)) == skm.accuracy_score(t, p)
    assert M.f1(t[:, None], gradlab.tensor(p), average="macro") == skm.f1_score(
        t, p, average="macro"
    )
    y, yhat = np.linspace(0, 1, 8, dtype=np.float32), np.linspace(0, 2, 8, dtype=np.float32)
    assert M.mae(gradlab.tensor(y), yhat[:, None]) == skm.mean_absolute_error(
        y.astype(np.float64), yhat.astype(np.float64)
    )


def test_errors_name_what_was_wrong():
    with pytest.raises(ValueError, match="y_true has 3 samples but y_pred has 2"):
        M.accuracy([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match=r"average='binary' but the labels are \[0, 1, 2\]"):
        M.f1([0, 1, 2], [0, 1, 1])
    with pytest.raises(ValueError, match="average='mean'"):
        M.precision([0, 1], [0, 1], average="mean")
    with pytest.raises(ValueError, match=r"y_pred has shape \(2, 3\)"):
        M.accuracy([0, 1], np.zeros((2, 3)))
    with pytest.raises(ValueError, match="expected both 0 and 1"):
        M.roc_auc([1, 1, 1], [0.1, 0.2, 0.3])


@pytest.mark.parametrize("names", [None, ["cat", "dog", "a much longer class name"]])
def test_classification_report_sklearn_and_builtin_agree(names, monkeypatch):
    t, p = random_labels(3, 200, 3)
    expected = skm.classification_report(t, p, target_names=names, digits=4)
    assert M.classification_report(t, p, target_names=names) == expected
    monkeypatch.setitem(sys.modules, "sklearn.metrics", None)  # import now raises ImportError
    assert M.classification_report(t, p, target_names=names) == expected
    assert M.classification_report(t, p, target_names=names, digits=2) == (
        skm.classification_report(t, p, target_names=names, digits=2)
    )


def test_builtin_report_with_a_class_never_predicted(monkeypatch):
    t, p = np.array([0, 1, 2, 2, 1]), np.array([0, 0, 2, 2, 0])
    expected = skm.classification_report(t, p, digits=4, zero_division=0.0)
    monkeypatch.setitem(sys.modules, "sklearn.metrics", None)
    assert M.classification_report(t, p) == expected


def test_predictions_from_output_rules():
    logits = np.array([[0.1, 2.0, -1.0], [3.0, 0.0, 0.5]], dtype=np.float32)
    assert M.predictions_from_output(gradlab.tensor(logits), "CrossEntropyLoss").tolist() == [1, 0]
    one = np.array([[-0.2], [0.0], [0.3]])
    assert M.predictions_from_output(one, "BCEWithLogitsLoss").tolist() == [0, 0, 1]
    assert M.predictions_from_output(one[:, 0], "logits").tolist() == [0, 0, 1]
    probs = np.array([0.2, 0.5, 0.7])
    out = M.predictions_from_output(probs, "BCELoss")
    assert out.tolist() == [0, 0, 1] and out.dtype == np.int64
    np.testing.assert_array_equal(M.predictions_from_output(probs, "MSELoss"), probs)

    class BCEWithLogitsLoss:  # a loss instance is recognised by its class name
        pass

    assert M.predictions_from_output(one, BCEWithLogitsLoss()).tolist() == [0, 0, 1]
    with pytest.raises(ValueError, match="unknown loss_kind 'Foo'"):
        M.predictions_from_output(one, "Foo")
    with pytest.raises(ValueError, match=r"expects class scores \(N, C\)"):
        M.predictions_from_output(one, "CrossEntropyLoss")
