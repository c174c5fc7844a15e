"""Weight penalties, as ``keras.regularizers``: ``L2(0.01)`` adds 0.01·Σw² to the loss.

A regularizer is called on a weight Tensor and returns a scalar Tensor (part of the graph),
which the model adds to the loss of every training step (``model.losses``).
"""

from __future__ import annotations

from gradlab.ops import elementwise as E
from gradlab.ops.reduce import sum as _sum


class Regularizer:
    def __call__(self, x):
        return 0.0

    def get_config(self) -> dict:
        return {}


class L1L2(Regularizer):
    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, x):
        total = 0.0
        if self.l1:
            total = total + self.l1 * _sum(E.abs(x))
        if self.l2:
            total = total + self.l2 * _sum(x * x)
        return total

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    def __init__(self, l1=0.01):
        super().__init__(l1=l1)


class L2(L1L2):
    def __init__(self, l2=0.01):
        super().__init__(l2=l2)


l1, l2, l1_l2 = L1, L2, L1L2


def get(identifier):
    if identifier is None:
        return None
    if isinstance(identifier, str):
        table = {"l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2}
        if identifier.lower() not in table:
            raise ValueError(f"Unknown regularizer {identifier!r}; expected one of {sorted(table)}")
        return table[identifier.lower()]()
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret regularizer {identifier!r}")
