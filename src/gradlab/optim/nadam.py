"""NAdam: Adam with Nesterov momentum and a momentum schedule (Dozat, 2016)."""

from __future__ import annotations

from gradlab.backend import array_module
from gradlab.optim.foreach import axpby, effective_grad, foreach_elementwise
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
        shrink = 1 - lr * weight_decay if weight_decay and decoupled else 1.0
        l2 = 0 if decoupled else weight_decay
        jobs = []
        for p, state in self._stepped(group, "exp_avg", "exp_avg_sq", mu_product=1.0):
            step = state["step"]
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
            state["mu_product"] *= mu
            mu_product = state["mu_product"]
            arrays = [
                p._data,
                p.grad._data,
                *self._buffers(p, 2),
                state["exp_avg"],
                state["exp_avg_sq"],
            ]
            scalars = (
                shrink,
                l2,
                maximize,
                beta1,
                1 - beta1,
                beta2,
                1 - beta2,
                1 - beta2**step,
                eps,
                lr * (1.0 - mu) / (1.0 - mu_product),
                lr * mu_next / (1.0 - mu_product * mu_next),
            )
            jobs.append((arrays, scalars))
        foreach_elementwise(_nadam_kernel, jobs)


def _nadam_kernel(arrays, shrink, weight_decay, maximize, beta1, one_minus_beta1, beta2,
                  one_minus_beta2, bias_correction2, eps, grad_step, avg_step):  # fmt: skip
    """One NAdam update in place; ``arrays``: data, grad, two scratch, exp_avg, exp_avg_sq."""
    data, grad, s, t, exp_avg, exp_avg_sq = arrays
    xp = array_module(data)
    if shrink != 1.0:
        data *= shrink
    g = effective_grad(data, grad, weight_decay, maximize, s)
    axpby(one_minus_beta1, g, beta1, exp_avg, t)  # m = β1·m + (1 − β1)·g
    xp.multiply(g, g, out=t)
    axpby(one_minus_beta2, t, beta2, exp_avg_sq, t)  # v = β2·v + (1 − β2)·g²
    xp.divide(exp_avg_sq, bias_correction2, out=t)
    xp.sqrt(t, out=t)
    t += eps
    # g is grad or scratch s; write the first term into s either way
    xp.divide(g, t, out=s)
    axpby(-grad_step, s, 1.0, data, s)
    xp.divide(exp_avg, t, out=s)
    axpby(-avg_step, s, 1.0, data, s)
