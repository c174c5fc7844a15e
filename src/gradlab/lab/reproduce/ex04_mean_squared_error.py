"""Example 4 (notes 003, mean squared error): y = [3, −0.5, 2], ŷ = [2.5, 0, 2].

The notes square the errors (0.25, 0.25, 0) and average them: 0.5 / 3 ≈ 0.167. gradlab
computes it with ``nn.MSELoss()``.
"""

from __future__ import annotations

import gradlab
from gradlab import nn
from gradlab.lab.reproduce.registry import Report, register


@register(
    4,
    "mean-squared-error",
    "Mean squared error, y = [3, -0.5, 2], y_hat = [2.5, 0, 2]",
    source="003",
)
def mean_squared_error() -> Report:
    report = Report()
    target = gradlab.tensor([3.0, -0.5, 2.0], dtype="float64")
    prediction = gradlab.tensor([2.5, 0.0, 2.0], dtype="float64")
    squared = nn.MSELoss(reduction="none")(prediction, target)
    mse = nn.MSELoss()(prediction, target)

    report.print("y = [3, -0.5, 2], y_hat = [2.5, 0, 2]")
    report.print(
        "squared errors (nn.MSELoss(reduction='none')): "
        + ", ".join(f"{v:g}" for v in squared.numpy())
    )
    report.print(f"MSE = (0.25 + 0.25 + 0) / 3 = {mse.item():.4f}  (nn.MSELoss())")

    report.check("squared errors", squared, [0.25, 0.25, 0.0], tolerance=1e-12)
    report.check("MSE", mse, 0.167, decimals=3)
    return report
