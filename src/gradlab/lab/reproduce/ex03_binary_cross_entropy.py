"""Example 3 (notes 003, binary cross-entropy): −(y·log P + (1 − y)·log(1 − P)) for y = 1,
P = 0.8 and for y = 0, P = 0.3.

The notes give −log 0.8 = 0.2231 and −log 0.7 = 0.3567. gradlab computes both with
``nn.BCELoss(reduction='none')`` on the two predictions at once.
"""

from __future__ import annotations

import gradlab
from gradlab.lab.reproduce.registry import Report, register
from gradlab.nn.classification_losses import BCELoss


@register(3, "binary-cross-entropy", "Binary cross-entropy, y=1 P=0.8 and y=0 P=0.3", source="003")
def binary_cross_entropy() -> Report:
    report = Report()
    predictions = gradlab.tensor([0.8, 0.3], dtype="float64")
    labels = gradlab.tensor([1.0, 0.0], dtype="float64")
    losses = BCELoss(reduction="none")(predictions, labels)
    first, second = (float(v) for v in losses.numpy())

    report.print("BCE = -(y*log(P) + (1 - y)*log(1 - P)), with nn.BCELoss(reduction='none')")
    report.print(f"y = 1, P = 0.8: -log(0.8) = {first:.4f}")
    report.print(f"y = 0, P = 0.3: -log(1 - 0.3) = -log(0.7) = {second:.4f}")
    report.print(
        f"(their mean, nn.BCELoss()'s default: {BCELoss()(predictions, labels).item():.4f})"
    )

    report.check("BCE(y=1, P=0.8)", first, 0.2231, decimals=4)
    report.check("BCE(y=0, P=0.3)", second, 0.3567, decimals=4)
    return report
