"""Recurrent models: a sequence classifier and a one-series forecaster, on gradlab.nn's fused
LSTM, GRU and RNN layers (batch first).

``SequenceClassifier`` reads (B, T, input_size) (an 8x8 digit read row by row is T = 8 steps of
8 pixels) and classifies from the last layer's final hidden state (both directions'
concatenated when bidirectional). ``Forecaster`` reads a window of a series and predicts the
next ``horizon`` values from the final hidden state.
"""

from __future__ import annotations

from gradlab import nn
from gradlab.ops.movement import cat
from gradlab.tensor import Tensor

__all__ = ["Forecaster", "SequenceClassifier", "recurrent_layer"]

_CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


def recurrent_layer(model: str, cell: str, input_size: int, hidden_size: int, **kwargs):
    """nn.LSTM / nn.GRU / nn.RNN (batch_first) by name, or a ValueError naming ``model``."""
    key = str(cell).lower()
    if key not in _CELLS:
        raise ValueError(f"{model}: cell={cell!r}, expected one of {sorted(_CELLS)}")
    return _CELLS[key](input_size, hidden_size, batch_first=True, **kwargs)


def _final_state(layer, output) -> Tensor:
    """h_n of the last layer, (B, D * H): the hidden states after each direction's last step."""
    _, state = output
    h_n = state[0] if isinstance(state, tuple) else state  # LSTM gives (h_n, c_n)
    directions = 2 if layer.bidirectional else 1
    last = [h_n[h_n.shape[0] - directions + d] for d in range(directions)]
    return last[0] if directions == 1 else cat(last, dim=1)


def _as_sequences(name: str, x, input_size: int) -> Tensor:
    """(B, T, input_size); a (B, T) batch is read as (B, T, 1) when input_size is 1."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x.ndim == 2 and input_size == 1:
        x = x.reshape(x.shape[0], x.shape[1], 1)
    if x.ndim != 3 or x.shape[2] != input_size:
        raise ValueError(
            f"{name}(input_size={input_size}): input has shape {tuple(x.shape)}, expected "
            f"(B, T, {input_size})" + (" or (B, T)" if input_size == 1 else "")
        )
    return x


class SequenceClassifier(nn.Module):
    """A recurrent layer then a linear head on its final hidden state.

    Args:
        input_size: features per time step.
        num_classes: output logits.
        hidden_size, num_layers, bidirectional: as nn.LSTM's.
        cell: "lstm", "gru" or "rnn" (tanh).

    Shapes: (B, T, input_size) -> logits (B, num_classes).
    """

    def __init__(
        self,
        input_size: int,
        num_classes: int = 10,
        hidden_size: int = 64,
        cell: str = "lstm",
        num_layers: int = 1,
        bidirectional: bool = False,
    ):
        super().__init__()
        self.input_size, self.num_classes, self.cell = input_size, num_classes, str(cell).lower()
        self.rnn = recurrent_layer(
            "SequenceClassifier",
            cell,
            input_size,
            hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
        )
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), num_classes)

    def forward(self, x) -> Tensor:
        x = _as_sequences("SequenceClassifier", x, self.input_size)
        return self.head(_final_state(self.rnn, self.rnn(x)))


class Forecaster(nn.Module):
    """A recurrent layer reading a window of a series, and a linear head predicting the next
    ``horizon`` values of its first feature.

    Shapes: (B, T, input_size), or (B, T) when input_size is 1 -> (B, horizon).
    """

    def __init__(
        self, input_size: int = 1, hidden_size: int = 32, horizon: int = 1, cell: str = "gru"
    ):
        super().__init__()
        self.input_size, self.horizon, self.cell = input_size, horizon, str(cell).lower()
        self.rnn = recurrent_layer("Forecaster", cell, input_size, hidden_size)
        self.head = nn.Linear(hidden_size, horizon)

    def forward(self, x) -> Tensor:
        x = _as_sequences("Forecaster", x, self.input_size)
        return self.head(_final_state(self.rnn, self.rnn(x)))
