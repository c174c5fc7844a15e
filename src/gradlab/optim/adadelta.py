"""Adadelta (Zeiler 2012): step sizes from running averages of squared gradients and updates."""

from __future__ import annotations

from gradlab.backend import array_module
from gradlab.optim.foreach import effective_grad
from gradlab.optim.optimizer import Optimizer, check_hyperparameters


class Adadelta(Optimizer):
    r"""Adadelta (PyTorch's ``torch.optim.Adadelta``, same update, step for step).

    For each parameter θ with gradient g (after ``maximize`` and ``weight_decay``)::

        v  = ρ·v + (1 − ρ)·g²                   (state "square_avg")
        Δ  = √(u + eps) / √(v + eps) · g
        u  = ρ·u + (1 − ρ)·Δ²                   (state "acc_delta")
        θ  = θ − lr·Δ

    Args:
        params: Tensors or param-group dicts.
        lr: scale of the update (default 1.0).
        rho: decay of the running averages (default 0.9), in [0, 1].
        eps: added inside the square roots (default 1e-6).
        weight_decay: L2 penalty added to the gradient (default 0).
        maximize: ascend the objective instead of descending.
        foreach, capturable, differentiable: accepted for PyTorch compatibility; no effect.
    """

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach=None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False):  # fmt: skip
        check_hyperparameters("Adadelta", lr=lr, eps=eps, weight_decay=weight_decay)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}  # fmt: skip
        super().__init__(params, defaults)

    def _step_group(self, group: dict) -> None:
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        for p, state in self._stepped(group, "square_avg", "acc_delta"):
            data, grad = p._data, p.grad._data
            xp = array_module(data)
            g = effective_grad(data, grad, group["weight_decay"], group["maximize"],
                               xp.empty_like(data))  # fmt: skip
            square_avg, acc_delta = state["square_avg"], state["acc_delta"]
            square_avg *= rho
            square_avg += (1 - rho) * g * g
            std = xp.sqrt(square_avg + eps)
            delta = xp.sqrt(acc_delta + eps)
            delta /= std
            delta *= g
            acc_delta *= rho
            acc_delta += (1 - rho) * delta * delta
            data -= lr * delta
