"""The multi-layer perceptron: fully connected layers with a nonlinearity between them.

``MLP(64, hidden_sizes=(64, 32), out_features=10)`` is the stack
Linear(64, 64) → ReLU → Linear(64, 32) → ReLU → Linear(32, 10); each hidden layer may add
BatchNorm1d (after the Linear, before the activation, as Ioffe & Szegedy) and Dropout
(after the activation). The output layer has no activation: it gives logits for
``CrossEntropyLoss`` / ``BCEWithLogitsLoss`` or values for a regression loss.
"""

from __future__ import annotations

from gradlab import nn
from gradlab.nn.module import Module

__all__ = ["MLP", "activation_module"]

_ACTIVATIONS = {
    "relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU, "selu": nn.SELU, "gelu": nn.GELU, "silu": nn.SiLU, "softplus": nn.Softplus,
    "prelu": nn.PReLU, "step": nn.Step,
}  # fmt: skip


def activation_module(name: str, where: str = "activation") -> Module:
    """A fresh activation module by name ("relu", "tanh", "sigmoid", "leaky_relu", "elu",
    "selu", "gelu", "silu", "softplus", "prelu", "step")."""
    key = str(name).lower().replace("-", "_")
    if key not in _ACTIVATIONS:
        raise ValueError(
            f"{where}: unknown activation {name!r}; expected one of {sorted(_ACTIVATIONS)}"
        )
    return _ACTIVATIONS[key]()


def _sizes(hidden_sizes) -> tuple[int, ...]:
    if isinstance(hidden_sizes, int):
        return (hidden_sizes,)
    return tuple(int(h) for h in hidden_sizes)


class MLP(Module):
    """Fully connected classifier / regressor.

    Args:
        in_features: F; input (B, F), or (B, ...) flattened to (B, F).
        hidden_sizes: widths of the hidden layers (an int for one layer; () for none,
            which leaves a single Linear layer).
        out_features: width of the output layer.
        activation: name of the hidden activation (see :func:`activation_module`).
        dropout: dropout probability after each hidden activation (0 for none).
        batch_norm: BatchNorm1d after each hidden Linear.

    Submodule ``layers`` (an ``nn.Sequential``); output (B, out_features).
    """

    def __init__(
        self,
        in_features: int,
        hidden_sizes=(64, 32),
        out_features: int = 10,
        activation: str = "relu",
        dropout: float = 0.0,
        batch_norm: bool = False,
    ):
        super().__init__()
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.hidden_sizes = _sizes(hidden_sizes)
        sizes = [("in_features", self.in_features), ("out_features", self.out_features)]
        sizes += [(f"hidden_sizes[{i}]", h) for i, h in enumerate(self.hidden_sizes)]
        for name, value in sizes:
            if value < 1:
                raise ValueError(f"MLP: {name} must be >= 1, got {value}")
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"MLP: dropout must be in [0, 1), got {dropout}")
        self.activation, self.dropout, self.batch_norm = activation, float(dropout), batch_norm
        layers: list[Module] = []
        width = self.in_features
        for hidden in self.hidden_sizes:
            layers.append(nn.Linear(width, hidden))
            if batch_norm:
                layers.append(nn.BatchNorm1d(hidden))
            layers.append(activation_module(activation, "MLP"))
            if self.dropout > 0.0:
                layers.append(nn.Dropout(self.dropout))
            width = hidden
        layers.append(nn.Linear(width, self.out_features))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        """(B, F) or (B, ...) with F elements per sample -> (B, out_features)."""
        if x.ndim > 2:
            x = x.reshape(x.shape[0], -1)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"MLP(in_features={self.in_features}): input has shape {tuple(x.shape)}, "
                f"expected (B, {self.in_features}) or (B, ...) with {self.in_features} "
                f"elements per sample"
            )
        return self.layers(x)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, hidden_sizes={self.hidden_sizes}, "
            f"out_features={self.out_features}, activation={self.activation!r}"
        )
