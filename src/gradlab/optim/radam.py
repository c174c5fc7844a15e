"""RAdam (Liu et al. 2020): Adam whose adaptive step is switched on only once the variance of
the adaptive learning rate is tractable, and then rectified."""

from __future__ import annotations

import math

from gradlab.backend import array_module
from gradlab.optim.foreach import effective_grad
from gradlab.optim.optimizer import Optimizer, check_betas, check_hyperparameters


class RAdam(Optimizer):
    r"""RAdam (PyTorch's ``torch.optim.RAdam``, same update, step for step).

    At step t, with gradient g (after ``maximize`` and L2 ``weight_decay``, or with the
    decoupled decay θ ← θ(1 − lr·wd) when ``decoupled_weight_decay``)::

        m   = m + (1 − β1)·(g − m);  v = β2·v + (1 − β2)·g²
        ρ∞  = 2/(1 − β2) − 1;  ρt = ρ∞ − 2t·β2^t / (1 − β2^t)
        ρt > 5:  r = √((ρt − 4)(ρt − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρt))
                 θ = θ − lr · m/(1 − β1^t) · r · √(1 − β2^t) / (√v + eps)
        else:    θ = θ − lr · m/(1 − β1^t)

    Args:
        params: Tensors or param-group dicts.
        lr: learning rate (default 1e-3).
        betas: (β1, β2), default (0.9, 0.999).
        eps: added to √v (default 1e-8).
        weight_decay: weight decay (default 0).
        decoupled_weight_decay: decay the weights directly, as AdamW (default False).
        maximize: ascend the objective instead of descending.
        foreach, capturable, differentiable: accepted for PyTorch compatibility; no effect.
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, foreach=None, *,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False):  # fmt: skip
        check_hyperparameters("RAdam", lr=lr, eps=eps, weight_decay=weight_decay)
        check_betas("RAdam", betas)
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}  # fmt: skip
        super().__init__(params, defaults)

    def _step_group(self, group: dict) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        wd = group["weight_decay"]
        for p, state in self._stepped(group, "exp_avg", "exp_avg_sq"):
            data, grad = p._data, p.grad._data
            xp = array_module(data)
            t = state["step"]
            if wd and group["decoupled_weight_decay"]:
                data *= 1 - lr * wd
                g = -grad if group["maximize"] else grad
            else:
                g = effective_grad(data, grad, wd, group["maximize"], xp.empty_like(data))
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            exp_avg += (1 - beta1) * (g - exp_avg)
            exp_avg_sq *= beta2
            exp_avg_sq += (1 - beta2) * g * g
            bias_correction1 = 1 - beta1**t
            bias_correction2 = 1 - beta2**t
            corrected = exp_avg / bias_correction1
            rho_inf = 2 / (1 - beta2) - 1
            rho_t = rho_inf - 2 * t * (beta2**t) / bias_correction2
            if rho_t > 5.0:
                rect = math.sqrt(
                    (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
                )
                adaptive = math.sqrt(bias_correction2) / (xp.sqrt(exp_avg_sq) + eps)
                data += corrected * lr * adaptive * rect * -1.0
            else:
                data += corrected * lr * -1.0
