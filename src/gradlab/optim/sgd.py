"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from gradlab.backend import xp
from gradlab.optim.optimizer import Optimizer, check_hyperparameters


class SGD(Optimizer):
    r"""Stochastic gradient descent (PyTorch's ``torch.optim.SGD``, same update, step for step).

    For each parameter θ with gradient ∇L (``maximize`` negates it)::

        g = ∇L + weight_decay·θ
        b = g                          (first step)
        b = momentum·b + (1 − dampening)·g   (later steps; state "momentum_buffer")
        g = g + momentum·b   if nesterov   else   b
        θ = θ − lr·g

    The notes write momentum as v = γv + η∇L, θ = θ − v (the learning rate inside the
    velocity). PyTorch, and gradlab, keep it outside: b = μb + g, θ = θ − lr·b. With a constant
    lr the two are the same (v = lr·b, γ = μ); they differ only when the lr changes during
    training, where PyTorch's form applies a new lr to the whole accumulated velocity at once.

    Args:
        params: Tensors or param-group dicts.
        lr: learning rate (default 1e-3).
        momentum: momentum factor μ (default 0).
        dampening: dampening of the gradient in the momentum buffer (default 0).
        weight_decay: L2 penalty added to the gradient (default 0).
        nesterov: Nesterov momentum; needs momentum > 0 and dampening 0.
        maximize: ascend the objective instead of descending.
        foreach, fused, differentiable: accepted for PyTorch compatibility; no effect.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach=None,
        differentiable: bool = False,
        fused=None,
    ):
        check_hyperparameters("SGD", lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                "SGD: nesterov=True requires momentum > 0 and dampening = 0, got "
                f"momentum={momentum}, dampening={dampening}"
            )
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _step_group(self, group: dict) -> None:
        lr = group["lr"]
        momentum = group["momentum"]
        dampening = group["dampening"]
        weight_decay = group["weight_decay"]
        nesterov = group["nesterov"]
        maximize = group["maximize"]
        for p in group["params"]:
            if p.grad is None:
                continue
            s, t = self._buffers(p, 2)
            g = self._effective_grad(p, weight_decay, maximize, s)
            if momentum != 0:
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = g.copy()
                else:
                    buf *= momentum
                    if dampening != 0:
                        xp.multiply(g, 1 - dampening, out=t)
                        buf += t
                    else:
                        buf += g
                if nesterov:
                    xp.multiply(buf, momentum, out=t)
                    g = xp.add(g, t, out=t)
                else:
                    g = buf
            xp.multiply(g, lr, out=t)
            xp.subtract(p.data, t, out=p.data)
