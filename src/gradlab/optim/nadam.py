"""NAdam: Adam with Nesterov momentum and a momentum schedule (Dozat, 2016)."""

from __future__ import annotations

from gradlab.backend import xp
from gradlab.optim.optimizer import Optimizer, check_betas, check_hyperparameters


class NAdam(Optimizer):
    r"""NAdam (PyTorch's ``torch.optim.NAdam``, same update, step for step).

    For each parameter θ with gradient ∇L (``maximize`` negates it), at step t = 1, 2, ...::

        g    = ∇L + weight_decay·θ          (decoupled_weight_decay: θ = θ·(1 − lr·weight_decay))
        μ_t  = β1·(1 − ½·0.96^(t·momentum_decay))        (the momentum schedule)
        Π_t  = μ_1·μ_2···μ_t                             (state "mu_product")
        m    = β1·m + (1 − β1)·g,   v = β2·v + (1 − β2)·g²
        d    = √(v / (1 − β2^t)) + eps
        θ    = θ − lr·(1 − μ_t)/(1 − Π_t) · g/d − lr·μ_{t+1}/(1 − Π_t·μ_{t+1}) · m/d

    The first term is the Nesterov look-ahead on the current gradient, the second the
    bias-corrected momentum of the next step.

    Args:
        params: Tensors or param-group dicts.
        lr: learning rate (default 2e-3).
        betas: (β1, β2), each in [0, 1) (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty (default 0).
        momentum_decay: ψ of the momentum schedule (default 4e-3).
        decoupled_weight_decay: AdamW-style decay (NAdamW).
        maximize: ascend the objective instead of descending.
        foreach, capturable, differentiable: accepted for PyTorch compatibility; no effect.
    """

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas: tuple = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach=None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ):
        check_hyperparameters(
            "NAdam", lr=lr, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay
        )
        check_betas("NAdam", betas)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _step_group(self, group: dict) -> None:
        lr = group["lr"]
        beta1, beta2 = group["betas"]
        eps = group["eps"]
        weight_decay = group["weight_decay"]
        momentum_decay = group["momentum_decay"]
        decoupled = group["decoupled_weight_decay"]
        maximize = group["maximize"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if not state:
                state["step"] = 0.0
                state["mu_product"] = 1.0
                state["exp_avg"] = xp.zeros_like(p.data)
                state["exp_avg_sq"] = xp.zeros_like(p.data)
            state["step"] += 1
            step = state["step"]
            s, t = self._buffers(p, 2)
            data = p.data
            if weight_decay and decoupled:
                data *= 1 - lr * weight_decay
                g = self._effective_grad(p, 0, maximize, s)
            else:
                g = self._effective_grad(p, weight_decay, maximize, s)
            bias_correction2 = 1 - beta2**step
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
            state["mu_product"] *= mu
            mu_product = state["mu_product"]
            exp_avg = state["exp_avg"]
            exp_avg_sq = state["exp_avg_sq"]
            xp.subtract(g, exp_avg, out=t)
            t *= 1 - beta1
            exp_avg += t
            exp_avg_sq *= beta2
            xp.multiply(g, g, out=t)
            t *= 1 - beta2
            exp_avg_sq += t
            xp.divide(exp_avg_sq, bias_correction2, out=t)
            xp.sqrt(t, out=t)
            t += eps
            # g is p.grad or scratch s; write the first term into s either way
            xp.divide(g, t, out=s)
            s *= lr * (1.0 - mu) / (1.0 - mu_product)
            xp.subtract(data, s, out=data)
            xp.divide(exp_avg, t, out=s)
            s *= lr * mu_next / (1.0 - mu_product * mu_next)
            xp.subtract(data, s, out=data)
