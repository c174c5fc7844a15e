"""Networks and measurements the comparisons share: the notes' MLPs (``gradlab.models.MLP``)
sized from the data, and the Linear layers whose gradients are measured."""

from __future__ import annotations

import math

from gradlab import nn
from gradlab.lab.compare.experiment import Data
from gradlab.models import MLP

__all__ = ["linear_layers", "mlp", "signal_ratio", "outputs_for"]


def outputs_for(data: Data) -> int:
    """Output width: one per class, one logit for a binary task, one value for regression."""
    if data.task == "classification":
        return int(data.num_classes)
    return 1


def mlp(data: Data, hidden_sizes, activation: str = "relu") -> MLP:
    """``MLP(in_features, hidden_sizes, out_features, activation)`` for ``data``."""
    return MLP(data.in_features, hidden_sizes=hidden_sizes, out_features=outputs_for(data),
               activation=activation)  # fmt: skip


def linear_layers(model) -> list[tuple[str, nn.Linear]]:
    """The model's Linear layers in forward order (input side first), with their names."""
    return [(name, m) for name, m in model.named_modules() if isinstance(m, nn.Linear)]


def signal_ratio(signal: list[float]) -> float:
    """||∂L/∂z|| at the first layer over that at the last: how much of the back-propagated
    error survives the trip from the output to the input layer (0 when nothing reaches it,
    NaN when the output gradient itself is 0 or not finite)."""
    first, last = float(signal[0]), float(signal[-1])
    if not (math.isfinite(first) and math.isfinite(last)) or last == 0.0:
        return math.nan
    return first / last
