"""Metrics: classification (accuracy, precision, recall, F1, confusion matrix, ROC AUC,
a text report) and regression (MAE, RMSE, R²), plus the rule that turns model outputs into
predicted labels.

Arguments come in scikit-learn's order, ``(y_true, y_pred)``, as NumPy arrays, gradlab
Tensors or lists of shape (N,) (an (N, 1) column is accepted and flattened). The metrics
are computed here in NumPy with scikit-learn's formulas, in float64, so they need no
scikit-learn and give its numbers; ``classification_report`` uses scikit-learn's when it
is installed and a built-in formatter with the same layout otherwise.
"""

from __future__ import annotations

import numpy as np

from gradlab.tensor import Tensor

AVERAGES = ("binary", "macro", "micro", "weighted")


def _column(a, name: str, what: str = "y") -> np.ndarray:
    array = a.numpy() if isinstance(a, Tensor) else np.asarray(a)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(f"{name}: {what} has shape {array.shape}, expected (N,) or (N, 1)")
    return array


def _pair(y_true, y_pred, name: str, pred_name: str = "y_pred"):
    t = _column(y_true, name, "y_true")
    p = _column(y_pred, name, pred_name)
    if t.shape[0] != p.shape[0]:
        raise ValueError(
            f"{name}: y_true has {t.shape[0]} samples but {pred_name} has {p.shape[0]}"
        )
    if t.shape[0] == 0:
        raise ValueError(f"{name}: no samples (empty y_true)")
    return t, p


def accuracy(y_true, y_pred) -> float:
    """The fraction of samples whose predicted label equals the true one."""
    t, p = _pair(y_true, y_pred, "accuracy")
    return float(np.mean(t == p))


def confusion_matrix(y_true, y_pred, labels=None) -> np.ndarray:
    """int64 (C, C): entry [i, j] counts samples of true class ``labels[i]`` predicted as
    ``labels[j]``. ``labels`` defaults to the sorted union of the labels present."""
    t, p = _pair(y_true, y_pred, "confusion_matrix")
    labels = np.union1d(t, p) if labels is None else np.asarray(labels)
    index = {label: i for i, label in enumerate(labels.tolist())}
    ti = np.array([index.get(v, -1) for v in t.tolist()], dtype=np.int64)
    pi = np.array([index.get(v, -1) for v in p.tolist()], dtype=np.int64)
    keep = (ti >= 0) & (pi >= 0)
    n = len(labels)
    counts = np.bincount(ti[keep] * n + pi[keep], minlength=n * n)
    return counts.reshape(n, n).astype(np.int64)


def _divide(num, den, zero_division: float) -> np.ndarray:
    den = den.astype(np.float64)
    out = np.full(num.shape, float(zero_division))
    np.divide(num, den, out=out, where=den != 0)
    return out


def _prf(y_true, y_pred, average: str, pos_label, zero_division: float, name: str):
    """Precision, recall and F1 with scikit-learn's definitions and averaging."""
    if average not in AVERAGES:
        raise ValueError(f"{name}: average={average!r}, expected one of {AVERAGES}")
    t, p = _pair(y_true, y_pred, name)
    labels = np.union1d(t, p)
    if average == "binary":
        if len(labels) > 2:
            raise ValueError(
                f"{name}: average='binary' but the labels are {labels.tolist()} (more than 2); "
                f"use average='macro', 'micro' or 'weighted'"
            )
        if len(labels) == 2 and pos_label not in labels.tolist():
            raise ValueError(
                f"{name}: pos_label={pos_label!r} is not one of the labels {labels.tolist()}"
            )
        labels = np.asarray([pos_label])
    every = np.union1d(labels, np.union1d(t, p))
    cm = confusion_matrix(t, p, labels=every)
    at = np.searchsorted(every, labels)
    tp, pred_sum, true_sum = np.diag(cm)[at], cm.sum(axis=0)[at], cm.sum(axis=1)[at]
    if average == "micro":
        tp, pred_sum, true_sum = (np.array([a.sum()]) for a in (tp, pred_sum, true_sum))
    precision = _divide(tp, pred_sum, zero_division)
    recall = _divide(tp, true_sum, zero_division)
    f1 = _divide(2.0 * tp.astype(np.float64), true_sum + pred_sum, zero_division)
    weights = true_sum if average == "weighted" else None
    if weights is not None and weights.sum() == 0:
        return 0.0, 0.0, 0.0
    return tuple(float(np.average(v, weights=weights)) for v in (precision, recall, f1))


def precision(y_true, y_pred, average: str = "binary", pos_label=1, zero_division=0.0) -> float:
    """tp / (tp + fp): of the samples predicted positive, the fraction that are.

    ``average``: "binary" (the class ``pos_label`` only), "macro" (mean over classes),
    "micro" (from the summed counts), "weighted" (mean weighted by class support).
    A class never predicted scores ``zero_division``.
    """
    return _prf(y_true, y_pred, average, pos_label, zero_division, "precision")[0]


def recall(y_true, y_pred, average: str = "binary", pos_label=1, zero_division=0.0) -> float:
    """tp / (tp + fn): of the positive samples, the fraction found. ``average`` as in
    :func:`precision`."""
    return _prf(y_true, y_pred, average, pos_label, zero_division, "recall")[1]


def f1(y_true, y_pred, average: str = "binary", pos_label=1, zero_division=0.0) -> float:
    """The harmonic mean of precision and recall, 2 tp / (2 tp + fp + fn), averaged as in
    :func:`precision`."""
    return _prf(y_true, y_pred, average, pos_label, zero_division, "f1")[2]


def roc_auc(y_true, y_score) -> float:
    """Area under the ROC curve of a binary problem.

    Args:
        y_true: (N,) labels in {0, 1} (or booleans); both classes must be present.
        y_score: (N,) scores, higher meaning more likely positive (logits or probabilities).
    """
    t, s = _pair(y_true, y_score, "roc_auc", "y_score")
    classes = np.unique(t)
    if len(classes) != 2 or not set(classes.tolist()) <= {0, 1}:
        raise ValueError(
            f"roc_auc: y_true has classes {classes.tolist()}; expected both 0 and 1 present"
        )
    s = s.astype(np.float64)
    order = np.argsort(s, kind="mergesort")[::-1]
    s_sorted = s[order]
    t_sorted = (t[order] == 1).astype(np.float64)
    distinct = np.where(np.diff(s_sorted))[0]
    ends = np.r_[distinct, t_sorted.size - 1]
    tps = np.cumsum(t_sorted)[ends]
    fps = 1 + ends - tps
    if fps.shape[0] > 2:  # drop points on straight segments: the area is the same
        keep = np.where(np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True])[0]
        fps, tps = fps[keep], tps[keep]
    tps = np.r_[0.0, tps]
    fps = np.r_[0.0, fps]
    return float(np.trapezoid(tps / tps[-1], fps / fps[-1]))


def _regression_pair(y_true, y_pred, name):
    t, p = _pair(y_true, y_pred, name)
    return t.astype(np.float64), p.astype(np.float64)


def mae(y_true, y_pred) -> float:
    """Mean absolute error, mean |y_true - y_pred|."""
    t, p = _regression_pair(y_true, y_pred, "mae")
    return float(np.average(np.abs(p - t)))


def rmse(y_true, y_pred) -> float:
    """Root mean squared error, sqrt(mean (y_true - y_pred)²)."""
    t, p = _regression_pair(y_true, y_pred, "rmse")
    return float(np.sqrt(np.average((t - p) ** 2)))


def r2(y_true, y_pred) -> float:
    """Coefficient of determination, 1 - SS_res / SS_tot (1.0 for a perfect fit; 0.0 when
    y_true is constant and the fit is not perfect, as scikit-learn)."""
    t, p = _regression_pair(y_true, y_pred, "r2")
    numerator = ((t - p) ** 2).sum(dtype=np.float64)
    denominator = ((t - np.average(t)) ** 2).sum(dtype=np.float64)
    if denominator == 0:
        return 1.0 if numerator == 0 else 0.0
    return float(1.0 - numerator / denominator)


# ---------------------------------------------------------------------------- the names
METRICS = {
    "accuracy": accuracy, "precision": precision, "recall": recall, "f1": f1,
    "mae": mae, "rmse": rmse, "r2": r2,
}  # fmt: skip
"""The metric names a Trainer, a config file and the lab accept, and their functions."""

CLASSIFICATION_METRICS = ("accuracy", "precision", "recall", "f1")
"""The names in :data:`METRICS` that compare predicted labels (the others compare values)."""

ALIASES = {"acc": "accuracy"}
"""Other spellings a Trainer accepts (Keras's "acc")."""

_HIGHER_IS_BETTER = {"accuracy", "precision", "recall", "f1", "r2", "roc_auc", "auc"}


def metric_function(name: str):
    """The function of metric ``name`` (or an alias); ValueError naming the known ones."""
    key = ALIASES.get(name.lower(), name.lower())
    if key not in METRICS:
        raise ValueError(f"unknown metric {name!r}; expected one of {sorted(METRICS)}")
    return METRICS[key]


def higher_is_better(name: str) -> bool:
    """Whether a larger value of metric ``name`` is better (accuracy, F1, R², AUC); a logged
    name's "val_" prefix is ignored. Losses and errors (mae, rmse): False."""
    base = name[4:] if name.startswith("val_") else name
    return ALIASES.get(base, base) in _HIGHER_IS_BETTER


def classification_report(y_true, y_pred, target_names=None, digits: int = 4) -> str:
    """Per-class precision, recall, F1 and support, then accuracy, macro and weighted
    averages, as text in scikit-learn's layout (scikit-learn's own when installed)."""
    t, p = _pair(y_true, y_pred, "classification_report")
    labels = np.union1d(t, p)
    if target_names is not None and len(target_names) != len(labels):
        raise ValueError(
            f"classification_report: {len(target_names)} target_names for {len(labels)} "
            f"classes {labels.tolist()}"
        )
    try:
        from sklearn.metrics import classification_report as sk_report
    except ImportError:
        return _report(t, p, labels, target_names, digits)
    return sk_report(t, p, target_names=target_names, digits=digits, zero_division=0.0)


def _report(t, p, labels, target_names, digits) -> str:
    """The built-in report (used without scikit-learn)."""
    names = [str(label) for label in labels] if target_names is None else list(target_names)
    cm = confusion_matrix(t, p, labels=labels)
    tp, pred_sum, support = np.diag(cm), cm.sum(axis=0), cm.sum(axis=1)
    prec, rec = _divide(tp, pred_sum, 0.0), _divide(tp, support, 0.0)
    f = _divide(2.0 * tp.astype(np.float64), support + pred_sum, 0.0)
    width = max(max(len(n) for n in names), len("weighted avg"), digits)
    headers = ("precision", "recall", "f1-score", "support")
    lines = [f"{'':>{width}} " + "".join(f" {h:>9}" for h in headers), ""]
    for name, row in zip(names, zip(prec, rec, f, support)):
        lines.append(_row(name, row, width, digits))
    lines.append("")
    total = int(support.sum())
    acc = float(np.mean(t == p))
    lines.append(f"{'accuracy':>{width}} " + f" {'':>9}" * 2 + f" {acc:>9.{digits}f} {total:>9}")
    macro = [float(np.average(v)) for v in (prec, rec, f)]
    weighted = [float(np.average(v, weights=support)) for v in (prec, rec, f)]
    lines.append(_row("macro avg", (*macro, total), width, digits))
    lines.append(_row("weighted avg", (*weighted, total), width, digits))
    return "\n".join(lines) + "\n"


def _row(name, row, width, digits) -> str:
    values = "".join(f" {v:>9.{digits}f}" for v in row[:3])
    return f"{name:>{width}} {values} {int(row[3]):>9}"


_CLASS_SCORES = {"crossentropyloss", "nllloss", "cross_entropy", "nll_loss", "multimarginloss",
                 "classes", "multiclass"}  # fmt: skip
_LOGITS = {"bcewithlogitsloss", "binary_cross_entropy_with_logits", "logits", "softmarginloss",
           "focalloss", "sigmoid_focal_loss"}  # fmt: skip
_PROBABILITIES = {"bceloss", "binary_cross_entropy", "probabilities", "probability"}
_REGRESSION = {"mseloss", "l1loss", "huberloss", "smoothl1loss", "quantileloss", "mse_loss",
               "l1_loss", "huber_loss", "regression"}  # fmt: skip


def predictions_from_output(output, loss_kind) -> np.ndarray:
    """Predicted labels from a model's output, by the form of the output and the loss.

    The rule:
    - output (N, C) with C > 1 (class scores: logits, log-probabilities or probabilities)
      -> ``argmax`` over classes, int64 (N,);
    - one value per sample, (N,) or (N, 1), with a logits loss (``BCEWithLogitsLoss``,
      "logits") -> ``output > 0``, int64 (N,) in {0, 1} (a logit above 0 is p > 0.5);
    - one probability per sample with a probability loss (``BCELoss``, "probabilities")
      -> ``output > 0.5``, int64 (N,);
    - a regression loss (``MSELoss``, ``L1Loss``, ``HuberLoss``, "regression") -> the output
      itself, as an array.

    Args:
        output: a Tensor or array, the model's output.
        loss_kind: a loss module, a loss class name ("BCEWithLogitsLoss"), a functional name
            ("binary_cross_entropy_with_logits"), or one of "classes", "logits",
            "probabilities", "regression".
    """
    out = output.numpy() if isinstance(output, Tensor) else np.asarray(output)
    known = _CLASS_SCORES | _LOGITS | _PROBABILITIES
    if isinstance(loss_kind, str):
        kind = loss_kind
    else:  # a loss module: its class or the nearest base class with a known name
        names = [cls.__name__ for cls in type(loss_kind).__mro__]
        kind = next((n for n in names if n.lower() in known | _REGRESSION), names[0])
    key = kind.lower()
    if key in _REGRESSION:
        return out
    if key not in known:
        raise ValueError(
            f"predictions_from_output: unknown loss_kind {kind!r}; expected a loss such as "
            f"CrossEntropyLoss, BCEWithLogitsLoss, BCELoss, MSELoss, or one of 'classes', "
            f"'logits', 'probabilities', 'regression'"
        )
    if out.ndim == 2 and out.shape[1] > 1:
        return out.argmax(axis=1).astype(np.int64)
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    if out.ndim != 1:
        raise ValueError(
            f"predictions_from_output: output has shape {out.shape}, expected (N, C), (N, 1) "
            f"or (N,)"
        )
    if key in _CLASS_SCORES:
        raise ValueError(
            f"predictions_from_output: {kind} expects class scores (N, C) with C > 1, got "
            f"output of shape {out.shape}"
        )
    threshold = 0.0 if key in _LOGITS else 0.5
    return (out > threshold).astype(np.int64)
