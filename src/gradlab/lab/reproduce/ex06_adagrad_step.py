"""Example 6 (notes 003, AdaGrad "Example Calculation"): one AdaGrad step with η = 0.1 from
w = (0.5, −0.3), b = 0.1 with gradients g = (0.2, −0.4, 0.1).

AdaGrad accumulates the squared gradients, G = G + g², and steps each coordinate by
η·g/√G. On the first step G = g² (the notes' α = 0.04, 0.16, 0.01), so the per-coordinate
rates are η/|g| = 0.5, 0.25, 1.0 and every coordinate moves by η·sign(g) = ±0.1:
w = (0.4, −0.2), b = 0.0.

gradlab's ``optim.Adagrad`` computes it: the parameters' ``.grad`` is set to the notes'
gradient and ``step()`` is called once. Its ε follows PyTorch: ``eps = 1e-10`` added to √G,
θ − η·g/(√G + ε), where the notes put ε = 1e-8 inside the root, η/√(G + ε). Both shift the
result by far less than the notes' rounding (at most 1e-10 and 5e-8 here); the example prints
gradlab's exact values and what the notes' convention would give.
"""

from __future__ import annotations

import numpy as np

from gradlab import optim
from gradlab.lab.reproduce.registry import Report, register
from gradlab.nn import Parameter

_LR = 0.1
_W0, _B0 = (0.5, -0.3), 0.1
_GRAD_W, _GRAD_B = (0.2, -0.4), 0.1
_NOTES_EPS = 1e-8  # the notes' ε, inside the square root


@register(
    6,
    "adagrad-step",
    "One AdaGrad step, lr 0.1, w = (0.5, -0.3), b = 0.1, g = (0.2, -0.4, 0.1)",
    source="003",
)
def adagrad_step() -> Report:
    report = Report()
    w = Parameter(np.array(_W0, dtype=np.float64))
    b = Parameter(np.array(_B0, dtype=np.float64))
    optimizer = optim.Adagrad([w, b], lr=_LR)  # PyTorch's defaults: eps=1e-10, no decay
    w.grad = np.array(_GRAD_W, dtype=np.float64)
    b.grad = np.array(_GRAD_B, dtype=np.float64)
    optimizer.step()

    eps = optimizer.param_groups[0]["eps"]
    # G for (w1, w2, b), as the optimizer holds it after the step
    accumulated = np.concatenate([optimizer.state[w]["sum"], [optimizer.state[b]["sum"].item()]])
    rates = _LR / (np.sqrt(accumulated) + eps)
    new = np.concatenate([w.numpy(), [b.numpy().item()]])
    grads = (*_GRAD_W, _GRAD_B)
    notes_rates = _LR / np.sqrt(accumulated + _NOTES_EPS)
    notes_new = np.array([*_W0, _B0]) - notes_rates * np.array(grads)

    report.print(f"lr = {_LR}, w = {_W0}, b = {_B0}, gradients dL/d(w1, w2, b) = {tuple(grads)}")
    report.print("optim.Adagrad([w, b], lr=0.1), .grad set to the notes' gradients, one step():")
    report.print(
        "  accumulated squared gradients G (state 'sum'): "
        + ", ".join(f"{v:.2f}" for v in accumulated)
    )
    report.print(
        "  per-coordinate rates lr / (sqrt(G) + eps): " + ", ".join(f"{r:.4f}" for r in rates)
    )
    names = ("w1", "w2", "b")
    for name, old, g, r, value in zip(names, [*_W0, _B0], grads, rates, new):
        report.print(f"  {name} = {old:g} - {r:.2f} * ({g:g}) = {value:.12f}")
    report.print()
    report.print(f"eps: gradlab (like PyTorch) adds eps = {eps:g} to sqrt(G);")
    report.print(f"     the notes add eps = {_NOTES_EPS:g} inside the root, lr / sqrt(G + eps).")
    report.print(
        "     with the notes' form: " + ", ".join(f"{v:.12f}" for v in notes_new) + "  (w1, w2, b)"
    )
    report.print(
        f"     largest difference between the two: {np.max(np.abs(new - notes_new)):.1e}, "
        "far below the notes' rounding"
    )

    report.check("accumulated G (w1, w2, b)", accumulated, [0.04, 0.16, 0.01], tolerance=1e-12)
    report.check("rates lr / (sqrt(G) + eps)", rates, [0.5, 0.25, 1.0], tolerance=1e-8)
    # gradlab's eps moves each value by ~1e-10; 1e-9 is tighter than any rounding in the notes
    report.check("w after one step", w, [0.4, -0.2], tolerance=1e-9)
    report.check("b after one step", b, 0.0, tolerance=1e-9)
    return report
