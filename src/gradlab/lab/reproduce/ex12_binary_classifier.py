"""Example 12 (notes 002, Q4 on loss functions): a binary classifier trained with binary
cross-entropy on ``make_classification``.

The notes' Keras program: ``make_classification(n_samples=1000, n_features=20,
n_classes=2, random_state=42)``, ``train_test_split(test_size=0.2, random_state=42)`` with
no feature scaling, Dense 64 ReLU, Dense 32 ReLU, Dense 1 sigmoid, Adam(1e-3), binary
cross-entropy, 20 epochs at batch 32 with the test set as validation data; it reports
"Test Loss: 0.3767, Test Accuracy: 0.8650" and a classification report with supports 93
and 107.

gradlab builds the same split and net with ``Trainer``, in the numerically stable form: the
last Linear gives a logit and ``BCEWithLogitsLoss`` applies the sigmoid inside the loss
(``max(z, 0) - z*y + log(1 + exp(-|z|))``), so a confident wrong prediction never takes
log(0); a logit > 0 is p > 0.5. Weights start from PyTorch's default init (Keras's is
Glorot-uniform), drawn, like the shuffling, from one seeded generator, so the run is
deterministic.

The tolerance: the test set has 200 samples (one = 0.005 of accuracy) and the notes' 0.865
is one Keras run with an unseeded init. Over seeds 0..29 of this example (init and shuffling
from ``default_rng(seed)``), gradlab's test accuracy had mean 0.852, standard deviation
0.011, range 0.83..0.88 (with Keras's Glorot init instead: mean 0.850, std 0.012). The check
accepts 0.865 ± 0.03 (six test samples, about 2.5 standard deviations of the seed spread;
27 of those 30 seeds pass, seed 0, used here, gives 0.865); a net that fails to learn
(≈0.5) or learns badly is far outside.
"""

from __future__ import annotations

import numpy as np

from gradlab import nn, optim
from gradlab.data import make_classification, train_test_split
from gradlab.lab.reproduce.registry import Report, register
from gradlab.train import Trainer, classification_report

SEED = 0
_NOTES_ACCURACY = 0.865
_TOLERANCE = 0.03
_EPOCHS, _BATCH = 20, 32


def _model(rng: np.random.Generator) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(20, 64, generator=rng),
        nn.ReLU(),
        nn.Linear(64, 32, generator=rng),
        nn.ReLU(),
        nn.Linear(32, 1, generator=rng),  # a logit; the sigmoid lives in the loss
    )


@register(
    12,
    "binary-classifier",
    "Binary classifier on make_classification(1000, 20): 64-32-1, Adam, BCE, 20 epochs",
    source="002 Q4",
)
def binary_classifier() -> Report:
    report = Report()
    X, y = make_classification(n_samples=1000, n_features=20, n_classes=2, random_state=42)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=42)
    report.print(
        f"make_classification(1000, 20, random_state=42); train_test_split(test_size=0.2, "
        f"random_state=42): {len(X_train)} train, {len(X_test)} test, no scaling (as the notes)"
    )

    rng = np.random.default_rng(SEED)
    model = _model(rng)
    trainer = Trainer(
        model,
        nn.BCEWithLogitsLoss(),
        optim.Adam(model.parameters(), lr=1e-3),
        metrics=["accuracy"],
    )
    report.print(repr(model))
    report.print("loss BCEWithLogitsLoss (sigmoid + binary cross-entropy, stable), Adam(lr=1e-3)")
    report.print()
    history = trainer.fit(
        X_train,
        y_train,
        epochs=_EPOCHS,
        batch_size=_BATCH,
        validation_data=(X_test, y_test),
        verbose=0,
        generator=rng,
    )
    for epoch in history.epoch:
        report.print(
            f"Epoch {epoch + 1:>2}/{_EPOCHS} - accuracy: {history['accuracy'][epoch]:.4f} - "
            f"loss: {history['loss'][epoch]:.4f} - val_accuracy: "
            f"{history['val_accuracy'][epoch]:.4f} - val_loss: {history['val_loss'][epoch]:.4f}"
        )
    report.print()

    test = trainer.evaluate(X_test, y_test)
    logits = trainer.predict(X_test).reshape(-1)
    y_pred = (logits > 0).astype(np.int64)  # logit > 0  <=>  sigmoid(logit) > 0.5
    accuracy = float(np.mean(y_pred == y_test))
    report.print(f"Test Loss: {test['loss']:.4f}, Test Accuracy: {test['accuracy']:.4f}")
    report.print("(the notes, Keras: Test Loss: 0.3767, Test Accuracy: 0.8650)")
    report.print()
    report.print(classification_report(y_test, y_pred, digits=2))
    report.print(
        f"The notes' accuracy is one Keras run; over seeds 0..29 gradlab's ranged 0.83..0.88 "
        f"(mean 0.852, std 0.011), so the check is 0.865 ± {_TOLERANCE} (seed {SEED} here)."
    )

    report.check(
        "test accuracy (the notes: 0.865)", accuracy, _NOTES_ACCURACY, tolerance=_TOLERANCE
    )
    report.check("Trainer.evaluate accuracy = predictions' accuracy", test["accuracy"], accuracy,
                 tolerance=1e-12)  # fmt: skip
    report.check("test supports of classes 0 and 1 (the notes' split)",
                 np.bincount(y_test).tolist(), [93, 107])  # fmt: skip
    return report
