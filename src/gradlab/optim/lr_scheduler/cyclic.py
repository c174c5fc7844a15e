"""Cyclical schedules: CyclicLR (with gradlab's Welch and Hann windows) and OneCycleLR."""

from __future__ import annotations

import math

from gradlab.optim.lr_scheduler.base import LRScheduler, format_param

WINDOWS = ("triangular", "welch", "hann")


def _window(name: str, u: float) -> float:
    """The cycle's shape as a function of the triangle height u in [0, 1]."""
    if name == "welch":
        return 1.0 - (1.0 - u) ** 2
    if name == "hann":
        return math.sin(math.pi * u / 2) ** 2
    return u


def _setup_momentum(scheduler, optimizer, base_momentum, max_momentum, last_epoch) -> None:
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError(
            f"{type(scheduler).__name__}: cycle_momentum=True needs an optimizer with momentum "
            f"or betas (SGD, RMSprop, Adam...), got {type(optimizer).__name__}; pass "
            "cycle_momentum=False"
        )
    scheduler.use_beta1 = "betas" in optimizer.defaults
    scheduler.base_momentums = format_param("base_momentum", optimizer, base_momentum)
    scheduler.max_momentums = format_param("max_momentum", optimizer, max_momentum)
    if last_epoch == -1:
        for high, low, group in zip(
            scheduler.max_momentums, scheduler.base_momentums, optimizer.param_groups
        ):
            _set_momentum(scheduler, group, high)
            group["max_momentum"] = high
            group["base_momentum"] = low


def _set_momentum(scheduler, group: dict, value: float) -> None:
    if scheduler.use_beta1:
        group["betas"] = (value, *group["betas"][1:])
    else:
        group["momentum"] = value


class CyclicLR(LRScheduler):
    r"""Cyclical learning rates (Smith, 2017; PyTorch's ``CyclicLR``, plus gradlab's windows).

    Each cycle lasts step_size_up + step_size_down steps. With x in [0, 1) the position in the
    cycle and r = step_size_up / (step_size_up + step_size_down), the triangle height is
    u = x/r going up and (1 − x)/(1 − r) going down, and

        lr = base_lr + (max_lr − base_lr) · f(u) · scale

    where ``scale`` is 1 (``"triangular"``), 1/2^(cycle−1) (``"triangular2"``),
    gamma^iteration (``"exp_range"``) or ``scale_fn``. The window f gives the shape
    (gradlab's ``window``; PyTorch has only the triangle):

    * ``"triangular"`` f(u) = u, PyTorch's exactly; for a symmetric cycle f = 1 − |2x − 1|.
    * ``"welch"``      f(u) = 1 − (1 − u)²; symmetric: f = 1 − (2x − 1)² (a parabola).
    * ``"hann"``       f(u) = sin²(πu/2); symmetric: f = sin²(πx) = (1 − cos 2πx)/2.

    Written in u, the windows also fit asymmetric cycles. With ``cycle_momentum`` the
    momentum (SGD's ``momentum``, or β1 of Adam-style ``betas``) moves the opposite way,
    momentum = max_momentum − (max_momentum − base_momentum)·f(u)·scale.
    """

    def __init__(self, optimizer, base_lr, max_lr, step_size_up: int = 2000,
                 step_size_down: int | None = None, mode: str = "triangular", gamma: float = 1.0,
                 scale_fn=None, scale_mode: str = "cycle", cycle_momentum: bool = True,
                 base_momentum: float = 0.8, max_momentum: float = 0.9, last_epoch: int = -1,
                 *, window: str = "triangular"):  # fmt: skip
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(f"CyclicLR: optimizer must be an Optimizer, got {optimizer!r}")
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError(
                f"CyclicLR: mode must be 'triangular', 'triangular2' or 'exp_range' (or give "
                f"scale_fn), got {mode!r}"
            )
        if window not in WINDOWS:
            raise ValueError(f"CyclicLR: window must be one of {WINDOWS}, got {window!r}")
        if step_size_up <= 0 or (step_size_down is not None and step_size_down < 0):
            raise ValueError(
                f"CyclicLR: step_size_up must be > 0 and step_size_down >= 0, got "
                f"{step_size_up} and {step_size_down}"
            )
        self.optimizer = optimizer
        base_lrs = format_param("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        self.max_lrs = format_param("max_lr", optimizer, max_lr)
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        self.mode = mode
        self.gamma = gamma
        self.window = window
        self._scale_fn_custom = scale_fn
        if scale_fn is None:
            scale_mode = "iterations" if mode == "exp_range" else "cycle"
        self.scale_mode = scale_mode
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            _setup_momentum(self, optimizer, base_momentum, max_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def scale_fn(self, x: float) -> float:
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        if self.mode == "exp_range":
            return self.gamma**x
        return 1.0

    def _factors(self, epoch) -> float:
        """f(u)·scale at ``epoch``."""
        cycle = math.floor(1 + epoch / self.total_size)
        x = 1.0 + epoch / self.total_size - cycle
        u = x / self.step_ratio if x <= self.step_ratio else (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else epoch)
        return _window(self.window, u) * scale

    def get_lr(self) -> list:
        factor = self._factors(self.last_epoch)
        if self.cycle_momentum:
            for group, low, high in zip(
                self.optimizer.param_groups, self.base_momentums, self.max_momentums
            ):
                _set_momentum(self, group, high - (high - low) * factor)
        return [base + (high - base) * factor for base, high in zip(self.base_lrs, self.max_lrs)]

    def _closed_form(self, epoch) -> list:
        factor = self._factors(epoch)
        return [base + (high - base) * factor for base, high in zip(self.base_lrs, self.max_lrs)]

    def momentum_at(self, step: int) -> float:
        """The first group's momentum (or β1) after ``step`` steps, without changing state."""
        factor = self._factors(step)
        return self.max_momentums[0] - (self.max_momentums[0] - self.base_momentums[0]) * factor


class OneCycleLR(LRScheduler):
    r"""The 1cycle policy (Smith & Topin; PyTorch's ``OneCycleLR``).

    The lr rises from max_lr/div_factor to max_lr over the first pct_start of total_steps,
    then anneals (``"cos"`` or ``"linear"``) to max_lr/(div_factor·final_div_factor).
    ``three_phase``: up, back down to the start value symmetrically, then to the minimum.
    With ``cycle_momentum`` the momentum (or β1) moves the opposite way between
    max_momentum and base_momentum. Give ``total_steps``, or ``epochs`` and
    ``steps_per_epoch``; stepping past total_steps raises ValueError.
    """

    def __init__(self, optimizer, max_lr, total_steps: int | None = None,
                 epochs: int | None = None, steps_per_epoch: int | None = None,
                 pct_start: float = 0.3, anneal_strategy: str = "cos",
                 cycle_momentum: bool = True, base_momentum: float = 0.85,
                 max_momentum: float = 0.95, div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False,
                 last_epoch: int = -1):  # fmt: skip
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(f"OneCycleLR: optimizer must be an Optimizer, got {optimizer!r}")
        self.optimizer = optimizer
        if total_steps is not None:
            if not isinstance(total_steps, int) or total_steps <= 0:
                raise ValueError(
                    f"OneCycleLR: total_steps must be an integer > 0, got {total_steps}"
                )
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            for name, value in (("epochs", epochs), ("steps_per_epoch", steps_per_epoch)):
                if not isinstance(value, int) or value <= 0:
                    raise ValueError(f"OneCycleLR: {name} must be an integer > 0, got {value}")
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("OneCycleLR: give total_steps, or epochs and steps_per_epoch")
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ValueError(f"OneCycleLR: pct_start must be a float in [0, 1], got {pct_start!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}"
            )
        self.anneal_strategy = anneal_strategy
        n = self.total_steps
        if three_phase:
            self._phases = [
                [float(pct_start * n) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"],
                [float(2 * pct_start * n) - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"],  # noqa: E501
                [n - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"],
            ]  # fmt: skip
        else:
            self._phases = [
                [float(pct_start * n) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"],
                [n - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"],
            ]  # fmt: skip
        max_lrs = format_param("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for high, group in zip(max_lrs, optimizer.param_groups):
                group["initial_lr"] = high / div_factor
                group["max_lr"] = high
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            _setup_momentum(self, optimizer, base_momentum, max_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def _at(self, group: dict, step: int):
        """(lr, momentum) of one group at ``step``."""
        start = 0.0
        for i, (end, lr0, lr1, m0, m1) in enumerate(self._phases):
            if step <= end or i == len(self._phases) - 1:
                pct = (step - start) / (end - start)
                lr = self._anneal(group[lr0], group[lr1], pct)
                momentum = self._anneal(group[m0], group[m1], pct) if self.cycle_momentum else None
                return lr, momentum
            start = end
        raise AssertionError("unreachable")

    def _check(self, step: int) -> None:
        if step > self.total_steps:
            raise ValueError(
                f"OneCycleLR: tried to step {step} times, but total_steps is {self.total_steps}"
            )

    def get_lr(self) -> list:
        self._check(self.last_epoch)
        lrs = []
        for group in self.optimizer.param_groups:
            lr, momentum = self._at(group, self.last_epoch)
            lrs.append(lr)
            if self.cycle_momentum:
                _set_momentum(self, group, momentum)
        return lrs

    def _closed_form(self, epoch) -> list:
        self._check(epoch)
        return [self._at(group, epoch)[0] for group in self.optimizer.param_groups]

    def momentum_at(self, step: int) -> float:
        """The first group's momentum (or β1) after ``step`` steps, without changing state."""
        return self._at(self.optimizer.param_groups[0], step)[1]
