"""The base of Keras's optimizers: a gradlab :class:`~gradlab.optim.Optimizer` built lazily.

A Keras optimizer is made without variables (``Adam(learning_rate=1e-3)``) and built on the
model's trainable weights by ``compile``/``fit`` (or ``build(variables)``); from then on it is
an ordinary gradlab optimizer: ``param_groups[i]["lr"]`` holds the rate (so gradlab's lr
schedulers and callbacks drive it), ``state`` holds the slots, ``step()`` updates every
parameter with a gradient. One ``step`` does what Keras's ``apply`` does, in Keras's order:
clip the gradients (``clipnorm`` per tensor, else ``global_clipnorm``, else ``clipvalue``),
decay the weights (θ −= θ·weight_decay·lr), apply the subclass's ``update_step`` with the
current rate, and count ``iterations`` (the step a ``LearningRateSchedule`` sees). The
arithmetic is float32 on the parameters' arrays, in place.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from gradlab.keras.optimizers.schedules import LearningRateSchedule
from gradlab.optim.optimizer import Optimizer as _GradlabOptimizer


class Optimizer(_GradlabOptimizer):
    """Base class; subclasses set ``slots`` (state names) and implement ``update_step``."""

    slots: tuple = ()

    def __init__(
        self,
        learning_rate=0.001,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name=None,
        **kwargs,
    ):
        owner = type(self).__name__
        if kwargs:
            raise TypeError(f"{owner}: unexpected keyword argument(s) {sorted(kwargs)}")
        if use_ema or gradient_accumulation_steps:
            raise NotImplementedError(
                f"{owner}: use_ema and gradient accumulation are not supported"
            )
        if sum(v is not None for v in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(f"{owner}: give at most one of clipnorm, clipvalue, global_clipnorm")
        self.name = name or owner.lower()
        self.weight_decay, self.clipnorm = weight_decay, clipnorm
        self.clipvalue, self.global_clipnorm = clipvalue, global_clipnorm
        self.loss_scale_factor = loss_scale_factor
        self.iterations = 0
        self.built = False
        self.defaults: dict = {"lr": 0.0}
        self.state = defaultdict(dict)
        self.param_groups: list[dict] = []
        self._scratch: dict = {}
        self._schedule = None
        self._lr = 0.0
        self.learning_rate = learning_rate

    # ------------------------------------------------------------------ learning rate
    @property
    def learning_rate(self) -> float:
        """The rate of the next update (a schedule's value at ``iterations``)."""
        if self._schedule is not None:
            return float(self._schedule(self.iterations))
        return float(self.param_groups[0]["lr"]) if self.param_groups else self._lr

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        if isinstance(value, LearningRateSchedule) or (callable(value) and not _is_number(value)):
            self._schedule = value
            return
        if not _is_number(value):
            raise TypeError(
                f"{type(self).__name__}: learning_rate must be a number or a "
                f"LearningRateSchedule, got {type(value).__name__}"
            )
        self._schedule = None
        self._lr = float(np.float32(value))
        self.defaults["lr"] = self._lr
        for group in self.param_groups:
            group["lr"] = self._lr

    lr = learning_rate

    # ------------------------------------------------------------------ building
    def build(self, variables) -> None:
        """Attach to ``variables`` (the trainable weights, in order); once."""
        if self.built:
            return
        self.add_param_group({"params": list(variables), "lr": self._lr})
        self.built = True

    @property
    def variables(self) -> list:
        out = []
        for group in self.param_groups:
            for p in group["params"]:
                out += [s for s in self.state[p].values() if isinstance(s, np.ndarray)]
        return out

    def _slots(self, p) -> dict:
        state = self.state[p]
        if not state:
            for name in self.slots:
                state[name] = self.initial_slot(name, p.numpy())
        return state

    def initial_slot(self, name: str, value: np.ndarray) -> np.ndarray:
        return np.zeros_like(value)

    # ------------------------------------------------------------------ the update
    def _clip(self, grads: list) -> list:
        if self.clipnorm:
            out = []
            for g in grads:
                norm = float(np.sqrt(np.sum(np.square(g))))
                out.append(g * np.float32(self.clipnorm) / np.float32(max(norm, self.clipnorm)))
            return out
        if self.global_clipnorm:
            norm = float(np.sqrt(sum(float(np.sum(np.square(g))) for g in grads)))
            scale = np.float32(self.global_clipnorm / max(norm, self.global_clipnorm))
            return [g * scale for g in grads]
        if self.clipvalue:
            return [np.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def step(self, closure=None):
        """One Keras ``apply`` on every parameter that has a gradient (see the module doc)."""
        loss = closure() if closure is not None else None
        work = [
            (group, p, np.asarray(p.grad))
            for group in self.param_groups
            for p in group["params"]
            if p.grad is not None
        ]
        self._apply(work)
        return loss

    def _apply(self, work: list) -> None:
        """Update each (group, parameter, gradient array) of ``work``; count the step."""
        grads = [g for _, _, g in work]
        if self.loss_scale_factor:
            grads = [g / np.float32(self.loss_scale_factor) for g in grads]
        grads = self._clip(grads)
        self.before_updates()
        for (group, p, _), g in zip(work, grads):
            value = p.numpy()
            lr = np.float32(
                self._schedule(self.iterations) if self._schedule is not None else group["lr"]
            )
            if self.weight_decay:
                value -= value * np.float32(self.weight_decay) * lr
            self.update_step(g.astype(value.dtype, copy=False), value, lr, self._slots(p))
        self.iterations += 1

    def before_updates(self) -> None:
        """A hook run once per step before the per-variable updates (Nadam's product)."""

    def update_step(self, gradient, variable, learning_rate, slots) -> None:
        raise NotImplementedError

    def apply_gradients(self, grads_and_vars) -> None:
        """Keras's ``apply_gradients([(grad, var), ...])``: gradients as arrays or Tensors,
        variables gradlab Parameters (built on the first call)."""
        pairs = list(grads_and_vars)
        self.build([v for _, v in pairs])
        group_of = {id(p): group for group in self.param_groups for p in group["params"]}
        work = []
        for g, v in pairs:
            if id(v) not in group_of:
                raise ValueError(
                    f"{type(self).__name__}.apply_gradients: unknown variable "
                    f"of shape {tuple(v.shape)} (not among those it was built on)"
                )
            array = np.asarray(g.numpy() if hasattr(g, "numpy") else g, dtype=v.numpy().dtype)
            work.append((group_of[id(v)], v, array))
        self._apply(work)

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "learning_rate": self.learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "clipvalue": self.clipvalue,
            "global_clipnorm": self.global_clipnorm,
        }

    def state_dict(self) -> dict:
        state = super().state_dict()
        state["iterations"] = self.iterations
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        state_dict = dict(state_dict)
        self.iterations = int(state_dict.pop("iterations", 0))
        super().load_state_dict(state_dict)


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool)
