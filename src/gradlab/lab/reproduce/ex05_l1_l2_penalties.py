"""Example 5 (notes 003, L1 and L2 regularization): original loss 0.4, weights
w = (0.5, −0.3), λ = 0.1.

L1: λ·Σ|w| = 0.1 × 0.8 = 0.08, total 0.48. L2: λ·Σw² = 0.1 × 0.34 = 0.034, total 0.434.
The notes' L2 penalty is λ·Σw² without a ½ factor; gradlab's ``l2_penalty`` uses the same
form (its gradient is 2λw). gradlab also shows the penalties' gradients from ``backward()``.
"""

from __future__ import annotations

import gradlab
from gradlab.lab.reproduce.registry import Report, register
from gradlab.nn.regularizers import l1_penalty, l2_penalty


@register(
    5,
    "l1-l2-penalties",
    "L1 and L2 penalties, loss 0.4, w = (0.5, -0.3), lambda = 0.1",
    source="003",
)
def l1_l2_penalties() -> Report:
    report = Report()
    original = 0.4
    w = gradlab.tensor([0.5, -0.3], dtype="float64", requires_grad=True)
    l1 = l1_penalty([w], 0.1)
    l1.backward()
    l1_grad = w.grad.numpy().copy()
    w.grad = None
    l2 = l2_penalty([w], 0.1)
    l2.backward()
    l2_grad = w.grad.numpy().copy()

    report.print("w = (0.5, -0.3), lambda = 0.1, original loss = 0.4")
    report.print(f"L1 penalty = lambda * sum|w| = 0.1 * 0.8 = {l1.item():.4f}")
    report.print(f"  total loss = 0.4 + {l1.item():.4f} = {original + l1.item():.4f}")
    report.print(f"  d(L1)/dw = lambda * sign(w) = ({l1_grad[0]:g}, {l1_grad[1]:g})")
    report.print(f"L2 penalty = lambda * sum(w^2) = 0.1 * 0.34 = {l2.item():.4f}  (no 1/2 factor)")
    report.print(f"  total loss = 0.4 + {l2.item():.4f} = {original + l2.item():.4f}")
    report.print(f"  d(L2)/dw = 2 * lambda * w = ({l2_grad[0]:g}, {l2_grad[1]:g})")

    report.check("L1 penalty", l1, 0.08, decimals=2)
    report.check("total loss with L1", original + l1.item(), 0.48, decimals=2)
    report.check("L2 penalty", l2, 0.034, decimals=3)
    report.check("total loss with L2", original + l2.item(), 0.434, decimals=3)
    return report
