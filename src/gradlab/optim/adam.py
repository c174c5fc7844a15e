"""Adam and AdamW: momentum on the gradient, steps scaled by its running second moment."""

from __future__ import annotations

import math

from gradlab._fast.compiled import kernels
from gradlab.backend import array_module
from gradlab.optim.foreach import axpby, effective_grad, foreach_elementwise
from gradlab.optim.optimizer import Optimizer, check_betas, check_hyperparameters


class Adam(Optimizer):
    r"""Adam (PyTorch's ``torch.optim.Adam``, same update, step for step).

    For each parameter θ with gradient ∇L (``maximize`` negates it), at step t = 1, 2, ...::

        g  = ∇L + weight_decay·θ           (decoupled_weight_decay: θ = θ·(1 − lr·weight_decay))
        m  = β1·m + (1 − β1)·g             (state "exp_avg")
        v  = β2·v + (1 − β2)·g²            (state "exp_avg_sq")
        v̂max = max(v̂max, v)                (amsgrad only; state "max_exp_avg_sq", used for v)
        m̂  = m / (1 − β1^t),   v̂ = v / (1 − β2^t)      (bias correction)
        θ  = θ − lr · m̂ / (√v̂ + eps)

    The notes (003) first write the update as θ = θ − η·m_t / √(v_t + ε), without bias
    correction and with ε inside the root; that is a slip. Early on m_t and v_t are biased
    towards their zero start, which the corrections m̂, v̂ undo; the standard form (Kingma & Ba,
    PyTorch, Keras, and the notes' own later formula) is θ − η·m̂ / (√v̂ + ε), as here. (The
    code folds the corrections into one scalar: lr·√(1−β2^t)/(1−β1^t) · m / (√v + eps·√(1−β2^t)),
    the same number.)

    Args:
        params: Tensors or param-group dicts.
        lr: learning rate (default 1e-3).
        betas: (β1, β2), each in [0, 1) (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty (default 0), added to the gradient unless
            ``decoupled_weight_decay`` (then it is AdamW's decay).
        amsgrad: use the running maximum of v (AMSGrad).
        maximize: ascend the objective instead of descending.
        foreach, capturable, differentiable, fused: accepted for PyTorch compatibility; no
            effect.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach=None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused=None,
        decoupled_weight_decay: bool = False,
    ):
        name = type(self).__name__
        check_hyperparameters(name, lr=lr, eps=eps, weight_decay=weight_decay)
        check_betas(name, betas)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _step_group(self, group: dict) -> None:
        lr = group["lr"]
        beta1, beta2 = group["betas"]
        eps = group["eps"]
        weight_decay = group["weight_decay"]
        amsgrad = group["amsgrad"]
        maximize = group["maximize"]
        decoupled = group["decoupled_weight_decay"]
        shrink = 1 - lr * weight_decay if weight_decay and decoupled else 1.0
        l2 = 0 if decoupled else weight_decay
        fast = kernels("optim")  # the compiled one-pass update, or None (gradlab[fast])
        jobs, queue = [], []
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if not state:
                xp = array_module(p._data)
                state["step"] = 0.0
                state["exp_avg"] = xp.zeros_like(p._data)
                state["exp_avg_sq"] = xp.zeros_like(p._data)
                if amsgrad:
                    state["max_exp_avg_sq"] = xp.zeros_like(p._data)
            state["step"] += 1
            step = state["step"]
            bias_correction2_sqrt = math.sqrt(1 - beta2**step)
            step_size = lr / (1 - beta1**step) * bias_correction2_sqrt
            scalars = (
                shrink,
                l2,
                maximize,
                beta1,
                1 - beta1,
                beta2,
                1 - beta2,
                eps * bias_correction2_sqrt,
                step_size,
            )
            max_sq = state["max_exp_avg_sq"] if amsgrad else None
            args = (p._data, p.grad._data, state["exp_avg"], state["exp_avg_sq"], max_sq)
            if fast is not None and fast.adam(queue, *args, *scalars):
                continue
            arrays = [*args[:2], *self._buffers(p, 2), *args[2:4]]
            if amsgrad:
                arrays.append(max_sq)
            jobs.append((arrays, scalars))
        if queue:
            fast.run(queue)
        foreach_elementwise(_adam_kernel, jobs)


def _adam_kernel(arrays, shrink, weight_decay, maximize, beta1, one_minus_beta1, beta2,
                 one_minus_beta2, eps, step_size):  # fmt: skip
    """One Adam update in place; ``arrays``: data, grad, two scratch, exp_avg, exp_avg_sq,
    [max_exp_avg_sq]. ``eps`` and ``step_size`` carry the bias corrections; ``shrink`` is
    the decoupled weight decay's factor (1 without)."""
    data, grad, s, t, exp_avg, exp_avg_sq, *amsgrad = arrays
    xp = array_module(data)
    # decoupled decay leaves g independent of θ, so θ·shrink can wait for the last pass
    g = effective_grad(data, grad, weight_decay, maximize, s)
    axpby(one_minus_beta1, g, beta1, exp_avg, t)  # m = β1·m + (1 − β1)·g
    xp.multiply(g, g, out=t)
    axpby(one_minus_beta2, t, beta2, exp_avg_sq, t)  # v = β2·v + (1 − β2)·g²
    if amsgrad:
        second = amsgrad[0]
        xp.maximum(second, exp_avg_sq, out=second)
    else:
        second = exp_avg_sq
    xp.sqrt(second, out=t)
    t += eps
    xp.divide(exp_avg, t, out=t)
    axpby(-step_size, t, shrink, data, t)  # θ = shrink·θ − step_size·m/(√v + eps)


class AdamW(Adam):
    r"""AdamW: Adam with decoupled weight decay (PyTorch's ``torch.optim.AdamW``).

    The decay shrinks the weights directly, θ = θ·(1 − lr·weight_decay), before the Adam step,
    instead of entering the gradient (and so m and v) as an L2 term would. The default
    weight_decay is 0.01. Otherwise the update is :class:`Adam`'s.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach=None,
        capturable: bool = False,
        differentiable: bool = False,
        fused=None,
    ):
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )
