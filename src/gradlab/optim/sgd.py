"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from gradlab._fast.compiled import kernels
from gradlab.backend import array_module
from gradlab.optim.foreach import axpby, effective_grad, foreach_elementwise
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
        momentum = group["momentum"]
        settings = (
            group["lr"],
            momentum,
            group["dampening"],
            group["weight_decay"],
            group["nesterov"],
            group["maximize"],
        )
        fast = kernels("optim")  # the compiled one-pass update, or None (gradlab[fast])
        jobs, queue = [], []
        for p in group["params"]:
            if p.grad is None:
                continue
            first = False
            buf = None
            if momentum != 0:
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:
                    # the first step copies the gradient (as g.copy() would: its dtype)
                    like = p._data if settings[3] or settings[5] else p.grad._data
                    buf = state["momentum_buffer"] = array_module(like).empty_like(like)
                    first = True
            if fast is not None and fast.sgd(queue, p._data, p.grad._data, buf, first,
                                             *settings):  # fmt: skip
                continue
            arrays = [p._data, p.grad._data, *self._buffers(p, 2)]
            if buf is not None:
                arrays.append(buf)
            jobs.append((arrays, (first, *settings)))
        if queue:
            fast.run(queue)
        foreach_elementwise(_sgd_kernel, jobs)


def _sgd_kernel(arrays, first, lr, momentum, dampening, weight_decay, nesterov, maximize):
    """One SGD update in place; ``arrays``: data, grad, two scratch, [momentum buffer]."""
    data, grad, s, t, *buffer = arrays
    xp = array_module(data)
    g = effective_grad(data, grad, weight_decay, maximize, s)
    if buffer:
        (buf,) = buffer
        if first:
            xp.copyto(buf, g)
        else:
            axpby(1 - dampening, g, momentum, buf, t)  # b = μ·b + (1 − dampening)·g
        if nesterov:  # θ −= lr·(g + μ·b), as two one-pass updates
            axpby(-lr, g, 1.0, data, t)
            axpby(-lr * momentum, buf, 1.0, data, t)
            return
        g = buf
    axpby(-lr, g, 1.0, data, t)
