"""AdaGrad: per-coordinate learning rates from the accumulated squares of past gradients."""

from __future__ import annotations

from gradlab.backend import array_module
from gradlab.optim.foreach import axpby, effective_grad, foreach_elementwise
from gradlab.optim.optimizer import Optimizer, check_hyperparameters


class Adagrad(Optimizer):
    r"""AdaGrad (PyTorch's ``torch.optim.Adagrad``, same update, step for step).

    For each parameter θ with gradient ∇L (``maximize`` negates it), at step t = 1, 2, ...::

        g   = ∇L + weight_decay·θ
        G   = G + g²                      (state "sum", starts at initial_accumulator_value)
        θ   = θ − lr_t · g / (√G + eps)   with lr_t = lr / (1 + (t − 1)·lr_decay)

    This is the notes' AdaGrad (003): the accumulated squared gradients G shrink the step of
    the coordinates that have seen large gradients. Their example (η = 0.1, w = (0.5, −0.3),
    b = 0.1, g = (0.2, −0.4, 0.1)) gives after one step w = (0.4, −0.2), b = 0.0: on the
    first step √G = |g|, so each coordinate moves by η·sign(g) (eps = 1e-10 aside).

    Args:
        params: Tensors or param-group dicts.
        lr: learning rate (default 1e-2).
        lr_decay: learning-rate decay per step (default 0).
        weight_decay: L2 penalty added to the gradient (default 0).
        initial_accumulator_value: starting value of G (default 0).
        eps: added to √G for stability (default 1e-10).
        maximize: ascend the objective instead of descending.
        foreach, fused, differentiable: accepted for PyTorch compatibility; no effect.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach=None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused=None,
    ):
        check_hyperparameters(
            "Adagrad",
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _step_group(self, group: dict) -> None:
        lr = group["lr"]
        lr_decay = group["lr_decay"]
        settings = (group["eps"], group["weight_decay"], group["maximize"])
        jobs = []
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if not state:
                xp = array_module(p._data)
                state["step"] = 0.0
                state["sum"] = xp.full_like(p._data, group["initial_accumulator_value"])
            state["step"] += 1
            clr = lr / (1 + (state["step"] - 1) * lr_decay)
            arrays = [p._data, p.grad._data, *self._buffers(p, 2), state["sum"]]
            jobs.append((arrays, (clr, *settings)))
        foreach_elementwise(_adagrad_kernel, jobs)


def _adagrad_kernel(arrays, clr, eps, weight_decay, maximize):
    """One AdaGrad update in place; ``arrays``: data, grad, two scratch, sum."""
    data, grad, s, t, total = arrays
    xp = array_module(data)
    g = effective_grad(data, grad, weight_decay, maximize, s)
    xp.multiply(g, g, out=t)
    total += t
    xp.sqrt(total, out=t)
    t += eps
    xp.divide(g, t, out=t)
    axpby(-clr, t, 1.0, data, t)
