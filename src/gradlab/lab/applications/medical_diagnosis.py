"""The notes' EHR application (001, "Medical Diagnosis Using Electronic Health Records"): a
fully connected network that flags disease from a patient's measurements, on the Wisconsin
breast cancer data (569 patients, 30 measurements of the cell nuclei).

The positive class is the disease: malignant (scikit-learn codes it 0; here y = 1 means
malignant). The steps the notes ask of such a model:

1. **Class-weighted BCE.** Malignant cases are the minority (212 of 569), and missing one
   costs more than a false alarm (002, weighted losses), so ``BCEWithLogitsLoss`` gets
   ``pos_weight`` = #benign / #malignant in the training part ("balanced").
2. **Decision threshold.** The threshold is chosen on a validation part, never on the
   test part: ``"recall"`` takes the highest threshold whose validation recall reaches
   ``target_recall`` (screening: miss few cancers), ``"youden"`` maximizes TPR − FPR, a
   number fixes it.
3. **Evaluation** on the held-out test part: recall (sensitivity), precision, specificity,
   F1, accuracy at that threshold and at 0.5, ROC-AUC, and the ROC curve plotted with the
   operating point marked.
4. **Interpretability**: per-feature gradient attribution of the malignancy logit
   (:mod:`gradlab.explain.attribution`), on standardized features so that a gradient is
   "logit change per standard deviation of the measurement".

:func:`medical_diagnosis` runs it all and returns a :class:`DiagnosisResult`; with
``out_dir`` it writes ``roc_curve.png``, ``attribution.png``, ``training.png`` and
``report.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import gradlab
from gradlab import nn, optim
from gradlab.data.datasets import load_breast_cancer, train_test_split
from gradlab.data.transforms import Standardize
from gradlab.explain.attribution import Attribution, feature_attribution
from gradlab.models.mlp import MLP
from gradlab.optional import require
from gradlab.train import metrics
from gradlab.train.callbacks import EarlyStopping
from gradlab.train.history import History
from gradlab.train.trainer import Trainer

__all__ = ["DiagnosisResult", "choose_threshold", "binary_metrics", "medical_diagnosis"]

THRESHOLD_RULES = ("recall", "youden")


def choose_threshold(y_true, score, rule="recall", target_recall: float = 0.95) -> float:
    """A decision threshold on ``score`` (predict positive where score >= threshold).

    Args:
        y_true: (N,) labels in {0, 1}, both present. score: (N,) probabilities.
        rule: "recall" (the highest threshold with recall >= ``target_recall``), "youden"
            (the threshold maximizing TPR − FPR), or a number (returned as is).
    """
    if not isinstance(rule, str):
        return float(rule)
    if rule not in THRESHOLD_RULES:
        raise ValueError(
            f"choose_threshold: rule must be one of {THRESHOLD_RULES} or a number, got {rule!r}"
        )
    roc_curve = require("sklearn.metrics", "medical diagnosis").roc_curve
    fpr, tpr, thresholds = roc_curve(np.asarray(y_true), np.asarray(score, dtype=np.float64))
    thresholds = np.minimum(thresholds, 1.0)  # scikit-learn's first threshold is +inf
    if rule == "youden":
        return float(thresholds[int(np.argmax(tpr - fpr))])
    if not 0.0 < target_recall <= 1.0:
        raise ValueError(f"choose_threshold: target_recall must be in (0, 1], got {target_recall}")
    # tpr grows as the threshold falls: the first point reaching the target is the highest
    return float(thresholds[int(np.argmax(tpr >= target_recall))])


def binary_metrics(y_true, score, threshold: float) -> dict:
    """Recall, precision, specificity, F1, accuracy and the confusion counts of the rule
    ``score >= threshold`` (positive = 1)."""
    y_true = np.asarray(y_true).astype(np.int64)
    pred = (np.asarray(score) >= threshold).astype(np.int64)
    tp = int(np.sum((pred == 1) & (y_true == 1)))
    fp = int(np.sum((pred == 1) & (y_true == 0)))
    fn = int(np.sum((pred == 0) & (y_true == 1)))
    tn = int(np.sum((pred == 0) & (y_true == 0)))
    return {
        "threshold": float(threshold),
        "recall": metrics.recall(y_true, pred),
        "precision": metrics.precision(y_true, pred),
        "specificity": tn / (tn + fp) if tn + fp else 0.0,
        "f1": metrics.f1(y_true, pred),
        "accuracy": metrics.accuracy(y_true, pred),
        "tp": tp, "fp": fp, "fn": fn, "tn": tn,
    }  # fmt: skip


@dataclass
class DiagnosisResult:
    """What :func:`medical_diagnosis` found.

    ``test``: :func:`binary_metrics` on the test part at the chosen ``threshold``;
    ``test_at_half``: the same at 0.5; ``validation``: on the validation part at
    ``threshold`` (where it was chosen); ``roc_auc``: on the test part; ``roc``: (fpr, tpr,
    thresholds) of the test ROC curve; ``attribution`` / ``attribution_x_input``: gradient
    and gradient×input attribution of the logit over the test patients; ``files``: name ->
    path of what was written.
    """

    threshold: float
    threshold_rule: str
    target_recall: float
    pos_weight: float
    test: dict
    test_at_half: dict
    validation: dict
    roc_auc: float
    roc: tuple
    attribution: Attribution
    attribution_x_input: Attribution
    history: History
    split_sizes: dict
    model: nn.Module = field(repr=False)
    files: dict = field(default_factory=dict)

    def summary(self) -> str:
        """The headline numbers, one line each."""
        t, h = self.test, self.test_at_half
        lines = [
            f"split (train/val/test): {self.split_sizes['train']}/{self.split_sizes['val']}/"
            f"{self.split_sizes['test']}; pos_weight {self.pos_weight:.3f}",
            f"threshold ({self.threshold_rule}): {self.threshold:.4f} (validation recall "
            f"{self.validation['recall']:.4f}, precision {self.validation['precision']:.4f})",
            f"test ROC-AUC        {self.roc_auc:.4f}",
            f"test at threshold   recall {t['recall']:.4f}  precision {t['precision']:.4f}  "
            f"specificity {t['specificity']:.4f}  f1 {t['f1']:.4f}  accuracy {t['accuracy']:.4f}"
            f"  (tp {t['tp']} fp {t['fp']} fn {t['fn']} tn {t['tn']})",
            f"test at 0.5         recall {h['recall']:.4f}  precision {h['precision']:.4f}  "
            f"specificity {h['specificity']:.4f}  f1 {h['f1']:.4f}  accuracy {h['accuracy']:.4f}"
            f"  (tp {h['tp']} fp {h['fp']} fn {h['fn']} tn {h['tn']})",
        ]
        return "\n".join(lines)


def _split(seed: int, val_size: float, test_size: float):
    data = load_breast_cancer()
    X = data.X
    y = (data.y == 0).astype(np.int64)  # 1 = malignant, the disease
    X_rest, X_test, y_rest, y_test = train_test_split(
        X, y, test_size=test_size, seed=seed, stratify=True
    )
    X_train, X_val, y_train, y_val = train_test_split(
        X_rest, y_rest, test_size=val_size / (1.0 - test_size), seed=seed + 1, stratify=True
    )
    scaler = Standardize().fit(X_train)
    parts = [(scaler(X_train), y_train), (scaler(X_val), y_val), (scaler(X_test), y_test)]
    return parts, data.feature_names


def _probabilities(model, X) -> np.ndarray:
    model.eval()
    with gradlab.no_grad():
        logits = model(gradlab.tensor(X)).numpy().reshape(-1)
    return 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))


def medical_diagnosis(
    out_dir=None,
    hidden_sizes=(32, 16),
    dropout: float = 0.2,
    epochs: int = 200,
    batch_size: int = 32,
    lr: float = 1e-3,
    weight_decay: float = 1e-4,
    patience: int = 20,
    class_weight="balanced",
    threshold_rule="recall",
    target_recall: float = 0.95,
    val_size: float = 0.2,
    test_size: float = 0.2,
    seed: int = 0,
    verbose: int = 0,
) -> DiagnosisResult:
    """Train, threshold, evaluate and explain the diagnosis network (module docstring).

    Args:
        out_dir: where to write the plots and ``report.md`` (None: nothing written).
        hidden_sizes, dropout: the :class:`~gradlab.models.MLP` (30 inputs, 1 logit).
        epochs, batch_size, lr, weight_decay: Adam training; early stopping on the
            validation loss after ``patience`` epochs without improvement, keeping the
            best weights.
        class_weight: "balanced" (pos_weight = #negatives / #positives in training), None
            (unweighted BCE) or a number (the pos_weight).
        threshold_rule, target_recall: see :func:`choose_threshold` (on validation data).
        val_size, test_size: fractions of all patients held out, stratified.
        seed: the split, the initial weights, the batch order and dropout.
    """
    gradlab.manual_seed(seed)
    parts, feature_names = _split(seed, val_size, test_size)
    (X_train, y_train), (X_val, y_val), (X_test, y_test) = parts
    n_pos, n_neg = int(y_train.sum()), int(len(y_train) - y_train.sum())
    if class_weight == "balanced":
        pos_weight = n_neg / n_pos
    elif class_weight is None:
        pos_weight = 1.0
    else:
        pos_weight = float(class_weight)

    model = MLP(X_train.shape[1], hidden_sizes=hidden_sizes, out_features=1, dropout=dropout)
    loss = nn.BCEWithLogitsLoss(pos_weight=np.array([pos_weight], dtype=np.float32))
    optimizer = optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    stopper = EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
    trainer = Trainer(model, loss, optimizer, metrics=["accuracy", "recall"], callbacks=[stopper])
    history = trainer.fit(X_train, y_train, epochs=epochs, batch_size=batch_size,
                          validation_data=(X_val, y_val), verbose=verbose)  # fmt: skip
    if stopper.best_weights is not None:  # training ran out of epochs: keep the best too
        model.load_state_dict(stopper.best_weights)

    p_val, p_test = _probabilities(model, X_val), _probabilities(model, X_test)
    threshold = choose_threshold(y_val, p_val, threshold_rule, target_recall)
    roc_curve = require("sklearn.metrics", "medical diagnosis").roc_curve
    fpr, tpr, thresholds = roc_curve(y_test, p_test)
    result = DiagnosisResult(
        threshold=threshold,
        threshold_rule=str(threshold_rule),
        target_recall=target_recall,
        pos_weight=pos_weight,
        test=binary_metrics(y_test, p_test, threshold),
        test_at_half=binary_metrics(y_test, p_test, 0.5),
        validation=binary_metrics(y_val, p_val, threshold),
        roc_auc=metrics.roc_auc(y_test, p_test),
        roc=(fpr, tpr, thresholds),
        attribution=feature_attribution(model, X_test, feature_names=feature_names),
        attribution_x_input=feature_attribution(
            model, X_test, method="gradient_x_input", feature_names=feature_names
        ),
        history=history,
        split_sizes={name: len(y) for name, (_, y) in zip(("train", "val", "test"), parts)},
        model=model,
    )
    if out_dir is not None:
        _write(result, Path(out_dir), epochs, lr, hidden_sizes, dropout)
    return result


def _plot_roc(result: DiagnosisResult, path: Path) -> Path:
    from gradlab.lab.plots import pyplot, save_figure

    plt = pyplot()
    fpr, tpr, _ = result.roc
    figure, axis = plt.subplots(figsize=(5.2, 5.0))
    axis.plot(fpr, tpr, label=f"MLP (AUC = {result.roc_auc:.4f})")
    axis.plot([0, 1], [0, 1], linestyle="--", color="gray", label="chance")
    t = result.test
    axis.plot(1.0 - t["specificity"], t["recall"], "o", color="tab:red",
              label=f"threshold {result.threshold:.3f} ({result.threshold_rule})")  # fmt: skip
    axis.set_xlabel("false positive rate (1 − specificity)")
    axis.set_ylabel("true positive rate (recall)")
    axis.set_title("ROC curve, malignant vs benign (test patients)")
    axis.grid(alpha=0.3)
    axis.legend(loc="lower right")
    return save_figure(figure, path)


def _write(result: DiagnosisResult, out: Path, epochs, lr, hidden_sizes, dropout) -> None:
    from gradlab.lab.plots import plot_history
    from gradlab.lab.report import MarkdownReport

    out.mkdir(parents=True, exist_ok=True)
    files = result.files
    files["roc_curve"] = _plot_roc(result, out / "roc_curve.png")
    files["attribution"] = result.attribution.plot(
        out / "attribution.png", k=15, title="Gradient of the malignancy logit per feature"
    )
    files["training"] = plot_history(result.history, out / "training.png", "Diagnosis MLP")

    report = MarkdownReport("Medical diagnosis on breast_cancer (class-weighted BCE)")
    s = result.split_sizes
    report.paragraph(
        f"MLP 30-{'-'.join(map(str, hidden_sizes))}-1 (ReLU, dropout {dropout}), Adam lr {lr}, "
        f"up to {epochs} epochs with early stopping on the validation loss "
        f"(stopped after {len(result.history)} epochs). Split train/val/test "
        f"{s['train']}/{s['val']}/{s['test']}, stratified; features standardized on the "
        f"training part. Positive class: malignant. pos_weight = {result.pos_weight:.3f}."
    )
    report.heading("Decision threshold")
    rule = (f"the highest threshold with validation recall >= {result.target_recall}"
            if result.threshold_rule == "recall" else result.threshold_rule)  # fmt: skip
    report.paragraph(f"Chosen on the validation part by {rule}: **{result.threshold:.4f}**.")
    report.heading("Test results")
    keys = ("recall", "precision", "specificity", "f1", "accuracy", "tp", "fp", "fn", "tn")
    report.table(
        ["threshold", *keys],
        [
            [f"{r['threshold']:.4f}", *(r[k] for k in keys)]
            for r in (result.test, result.test_at_half)
        ],  # fmt: skip
    )
    report.paragraph(f"ROC-AUC on the test part: **{result.roc_auc:.4f}**.")
    report.image("roc_curve.png", "ROC curve")
    report.heading("Which measurements drive the prediction")
    report.paragraph(
        "Mean over test patients of the gradient of the malignancy logit with respect to each "
        "standardized feature (logit change per standard deviation), strongest first; "
        "gradient×input in the second table."
    )
    for attribution in (result.attribution, result.attribution_x_input):
        report.table(
            ["feature", f"mean {attribution.method}", "mean |.|"],
            [[name, mean, mag] for name, mean, mag in attribution.top(10)],
        )
    report.image("attribution.png", "feature attribution")
    report.image("training.png", "training curves")
    files["report"] = report.write(out / "report.md")
