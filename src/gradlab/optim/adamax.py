"""Adamax (Kingma & Ba 2015, section 7.1): Adam with the infinity norm in place of the RMS."""

from __future__ import annotations

from gradlab.backend import array_module
from gradlab.optim.foreach import effective_grad
from gradlab.optim.optimizer import Optimizer, check_betas, check_hyperparameters


class Adamax(Optimizer):
    r"""Adamax (PyTorch's ``torch.optim.Adamax``, same update, step for step).

    At step t, with gradient g (after ``maximize`` and ``weight_decay``)::

        m = m + (1 − β1)·(g − m)                (state "exp_avg")
        u = max(β2·u, |g| + eps)                (state "exp_inf")
        θ = θ − lr / (1 − β1^t) · m / u

    Args:
        params: Tensors or param-group dicts.
        lr: learning rate (default 2e-3).
        betas: (β1, β2), default (0.9, 0.999).
        eps: added to |g| (default 1e-8).
        weight_decay: L2 penalty added to the gradient (default 0).
        maximize: ascend the objective instead of descending.
        foreach, capturable, differentiable: accepted for PyTorch compatibility; no effect.
    """

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach=None, *, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False):  # fmt: skip
        check_hyperparameters("Adamax", lr=lr, eps=eps, weight_decay=weight_decay)
        check_betas("Adamax", betas)
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}  # fmt: skip
        super().__init__(params, defaults)

    def _step_group(self, group: dict) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        for p, state in self._stepped(group, "exp_avg", "exp_inf"):
            data, grad = p._data, p.grad._data
            xp = array_module(data)
            g = effective_grad(data, grad, group["weight_decay"], group["maximize"],
                               xp.empty_like(data))  # fmt: skip
            exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
            exp_avg += (1 - beta1) * (g - exp_avg)  # PyTorch's lerp with weight < 0.5
            exp_inf *= beta2
            xp.maximum(exp_inf, xp.abs(g) + eps, out=exp_inf)
            clr = lr / (1 - beta1 ** state["step"])
            data -= clr * (exp_avg / exp_inf)
