"""Cosine schedules: CosineAnnealingLR and CosineAnnealingWarmRestarts (SGDR)."""

from __future__ import annotations

import math

from gradlab.optim.lr_scheduler.base import LRScheduler


class CosineAnnealingLR(LRScheduler):
    r"""lr = eta_min + (base_lr − eta_min)·(1 + cos(π·epoch/T_max))/2.

    Stepped normally, PyTorch computes this recursively from the previous lr,
    lr_t = eta_min + (lr_{t−1} − eta_min)·(1 + cos(πt/T))/(1 + cos(π(t−1)/T)), with a special
    case where the denominator would be 0; gradlab does the same, so its values are
    PyTorch's. Both forms agree (to rounding) with the closed form above, which ``lr_at``
    uses. Past T_max the cosine continues: the lr rises back towards base_lr over the next
    T_max steps (use CosineAnnealingWarmRestarts for restarts). The notes' cosine schedule
    0.01·(1 + cos(π·epoch/T))/2 is eta_min = 0, base lr 0.01.
    """

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):  # noqa: N803
        if T_max <= 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be > 0, got {T_max}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        groups = self.optimizer.param_groups
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return [g["lr"] for g in groups]
        if self._step_count == 1 and t > 0:
            return self._closed_form(t)
        if (t - 1 - T) % (2 * T) == 0:
            return [
                g["lr"] + (base - eta_min) * (1 - math.cos(math.pi / T)) / 2
                for base, g in zip(self.base_lrs, groups)
            ]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (g["lr"] - eta_min) + eta_min for g in groups]

    def _closed_form(self, epoch) -> list:
        c = (1 + math.cos(math.pi * epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * c for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""SGDR: cosine annealing from base_lr to eta_min over T_i steps, then a restart.

    lr = eta_min + (base_lr − eta_min)·(1 + cos(π·T_cur/T_i))/2, where T_cur counts the steps
    since the last restart; the first period is T_0 and each next one T_mult times longer
    (T_0, T_0·T_mult, T_0·T_mult², ...).
    """

    def __init__(self, optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0,  # noqa: N803
                 last_epoch: int = -1):  # fmt: skip
        if not isinstance(T_0, int) or T_0 <= 0:
            raise ValueError(f"CosineAnnealingWarmRestarts: T_0 must be an integer > 0, got {T_0}")
        if not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(
                f"CosineAnnealingWarmRestarts: T_mult must be an integer >= 1, got {T_mult}"
            )
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        return self._lrs(self.T_cur, self.T_i)

    def _lrs(self, t_cur, t_i) -> list:
        c = (1 + math.cos(math.pi * t_cur / t_i)) / 2
        return [self.eta_min + (base - self.eta_min) * c for base in self.base_lrs]

    def step(self, epoch=None) -> None:
        """One step, or jump to (possibly fractional) ``epoch``, as PyTorch's."""
        self._step_count += 1
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            if epoch < 0:
                raise ValueError(f"CosineAnnealingWarmRestarts: epoch must be >= 0, got {epoch}")
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult**n
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _has_closed_form(self) -> bool:
        # PyTorch's SequentialLR restarts this one with get_lr() (keeping T_cur), not a
        # closed form; gradlab does the same so a sequence gives PyTorch's values.
        return False

    def _closed_form(self, epoch) -> list:
        t_cur, t_i = int(epoch), self.T_0
        while t_cur >= t_i:  # integer walk over the periods: exact at the restarts
            t_cur -= t_i
            t_i *= self.T_mult
            if self.T_mult == 1:
                t_cur %= t_i
        return self._lrs(t_cur, t_i)
