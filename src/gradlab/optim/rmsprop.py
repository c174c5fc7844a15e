"""RMSprop: steps scaled by a running average of squared gradients."""

from __future__ import annotations

from gradlab.backend import array_module
from gradlab.optim.foreach import axpby, effective_grad, foreach_elementwise
from gradlab.optim.optimizer import Optimizer, check_hyperparameters


class RMSprop(Optimizer):
    r"""RMSprop (PyTorch's ``torch.optim.RMSprop``, same update, step for step).

    For each parameter θ with gradient ∇L (``maximize`` negates it)::

        g = ∇L + weight_decay·θ
        v = α·v + (1 − α)·g²                          (state "square_avg")
        if centered:  ḡ = α·ḡ + (1 − α)·g;  d = √(v − ḡ²) + eps   (state "grad_avg")
        else:         d = √v + eps
        if momentum:  b = momentum·b + g/d;  θ = θ − lr·b          (state "momentum_buffer")
        else:         θ = θ − lr·g/d

    The notes' RMSprop (003) is the plain form: E[g²] = βE[g²] + (1 − β)g²,
    θ = θ − η·g/√(E[g²] + ε).
    gradlab (as PyTorch) adds eps after the square root, and calls β ``alpha``.

    Args:
        params: Tensors or param-group dicts.
        lr: learning rate (default 1e-2).
        alpha: smoothing constant of the squared-gradient average (default 0.99).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty added to the gradient (default 0).
        momentum: momentum factor (default 0).
        centered: normalize by an estimate of the gradient's variance instead of its second
            moment.
        maximize: ascend the objective instead of descending.
        capturable, foreach, differentiable: accepted for PyTorch compatibility; no effect.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach=None,
        maximize: bool = False,
        differentiable: bool = False,
    ):
        check_hyperparameters(
            "RMSprop", lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha
        )
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _step_group(self, group: dict) -> None:
        momentum = group["momentum"]
        centered = group["centered"]
        settings = (
            group["lr"],
            group["alpha"],
            group["eps"],
            group["weight_decay"],
            momentum,
            centered,
            group["maximize"],
        )
        jobs = []
        buffers = ["square_avg"]
        buffers += ["momentum_buffer"] if momentum > 0 else []
        buffers += ["grad_avg"] if centered else []
        for p, state in self._stepped(group, *buffers):
            arrays = [p._data, p.grad._data, *self._buffers(p, 2)]
            jobs.append((arrays + [state[name] for name in buffers], settings))
        foreach_elementwise(_rmsprop_kernel, jobs)


def _rmsprop_kernel(arrays, lr, alpha, eps, weight_decay, momentum, centered, maximize):
    """One RMSprop update in place; ``arrays``: data, grad, two scratch, square_avg,
    [momentum_buffer], [grad_avg]."""
    data, grad, s, t, square_avg, *rest = arrays
    xp = array_module(data)
    g = effective_grad(data, grad, weight_decay, maximize, s)
    xp.multiply(g, g, out=t)
    axpby(1 - alpha, t, alpha, square_avg, t)  # v = α·v + (1 − α)·g²
    if centered:
        grad_avg = rest[-1]
        axpby(1 - alpha, g, alpha, grad_avg, t)  # ḡ = α·ḡ + (1 − α)·g
        xp.multiply(grad_avg, grad_avg, out=t)
        xp.subtract(square_avg, t, out=t)
        xp.sqrt(t, out=t)
    else:
        xp.sqrt(square_avg, out=t)
    t += eps
    xp.divide(g, t, out=t)
    if momentum > 0:
        buf = rest[0]
        axpby(1.0, t, momentum, buf, t)  # b = μ·b + g/d
        t = buf
    axpby(-lr, t, 1.0, data, s if momentum > 0 else t)
