"""Example 2 (notes 003, "Logistic Regression"): z = b + a·x and p = σ(z) for x = (1, 2, 3),
a = (0.01, 0.02, 0.03), b = 0.05.

The notes compute z = 0.05 + 0.01 + 0.04 + 0.09 = 0.19 and p = 1 / (1 + e^(−0.19)) = 0.5474,
so the predicted class (threshold 0.5) is 1. gradlab builds the model from its own layers:
``nn.Linear(3, 1)`` holding the notes' weights, followed by ``nn.Sigmoid()``.
"""

from __future__ import annotations

import numpy as np

import gradlab
from gradlab import nn
from gradlab.lab.reproduce.registry import Report, register


@register(
    2,
    "logistic-regression",
    "Logistic regression, x = (1, 2, 3), a = (0.01, 0.02, 0.03), b = 0.05",
    source="003",
)
def logistic_regression() -> Report:
    report = Report()
    linear = nn.Linear(3, 1, dtype=np.float64)
    with gradlab.no_grad():
        linear.weight.numpy()[...] = [[0.01, 0.02, 0.03]]
        linear.bias.numpy()[...] = [0.05]
    sigmoid = nn.Sigmoid()
    x = gradlab.tensor([[1.0, 2.0, 3.0]], dtype="float64")
    z = linear(x)
    p = sigmoid(z)
    label = int(p.item() > 0.5)

    report.print("model: nn.Linear(3, 1) with weight a = (0.01, 0.02, 0.03), bias b = 0.05,")
    report.print("       then nn.Sigmoid()")
    report.print("z = b + a1*x1 + a2*x2 + a3*x3 = 0.05 + 0.01*1 + 0.02*2 + 0.03*3")
    report.print(f"  = {z.item():.4f}")
    report.print(f"p = 1 / (1 + exp(-z)) = {p.item():.4f}")
    report.print(f"predicted class (p > 0.5): {label}")

    report.check("z", z.item(), 0.19, decimals=2)
    report.check("p", p.item(), 0.5474, decimals=4)
    report.check("predicted class", label, 1)
    return report
