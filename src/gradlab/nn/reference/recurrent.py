"""A whole recurrent layer stack as a plain Python loop over the cells of
:mod:`gradlab.nn.reference.recurrent_cells`: layers, directions, time steps.

The readable reference of ``nn.RNN``, ``nn.LSTM`` and ``nn.GRU`` (whose fast path runs each
layer and direction as one node of :mod:`gradlab.ops.recurrent`). Shapes as PyTorch's:
input (T, N, I), or (N, T, I) with ``batch_first``; states (L * D, N, H) with L layers and
D = 2 directions when bidirectional; output (T, N, D * H), the forward direction's features
first.
"""

from __future__ import annotations

from gradlab import creation
from gradlab.nn.dropout import dropout as _dropout
from gradlab.nn.reference.recurrent_cells import gru_cell, lstm_cell, rnn_cell
from gradlab.ops.movement import cat, stack

__all__ = ["rnn", "run_direction"]


def _cell(mode):
    if mode == "LSTM":
        return lstm_cell
    if mode == "GRU":
        return gru_cell
    relu = mode == "RNN_RELU"
    return lambda x, h, *w: rnn_cell(x, h, *w, nonlinearity="relu" if relu else "tanh")


def run_direction(mode, x, state, weights, reverse=False):
    """One layer in one direction over x (T, N, I): the cell applied at every step, from
    t = 0 (or from t = T - 1 when ``reverse``). ``state`` is h0, or (h0, c0) for LSTM,
    (N, H) each. Returns (outputs (T, N, H), final state of the same form as ``state``)."""
    cell = _cell(mode)
    T = x.shape[0]
    outputs = [None] * T
    for t in reversed(range(T)) if reverse else range(T):
        state = cell(x[t], state, *weights)
        outputs[t] = state[0] if mode == "LSTM" else state
    return stack(outputs, dim=0), state


def rnn(mode, input, hx, weights, num_layers=1, bidirectional=False, batch_first=False,  # noqa: A002
        dropout=0.0, training=False, generator=None):  # fmt: skip
    """Run ``mode`` ("RNN_TANH", "RNN_RELU", "LSTM" or "GRU") over ``input``.

    ``hx``: h0 (L * D, N, H), for LSTM (h0, c0), or None for zeros. ``weights``: one
    (w_ih, w_hh, b_ih, b_hh) per layer and direction, in order l0, l0_reverse, l1, ...
    Dropout with probability ``dropout`` on every layer's input but the first, in training.
    Returns (output, h_n), or (output, (h_n, c_n)) for LSTM.
    """
    x = input.transpose(0, 1) if batch_first else input  # (T, N, I)
    directions = 2 if bidirectional else 1
    H = weights[0][1].shape[1]
    if hx is None:
        zeros = creation.zeros(num_layers * directions, x.shape[1], H, dtype=x.dtype,
                              device=x.device)  # fmt: skip
        hx = (zeros, zeros) if mode == "LSTM" else zeros
    finals = []
    for layer in range(num_layers):
        if layer and dropout and training:
            x = _dropout(x, dropout, True, generator=generator)
        outputs = []
        for direction in range(directions):
            k = layer * directions + direction
            state = (hx[0][k], hx[1][k]) if mode == "LSTM" else hx[k]
            out, final = run_direction(mode, x, state, weights[k], reverse=direction == 1)
            outputs.append(out)
            finals.append(final)
        x = cat(outputs, dim=2)  # the next layer reads both directions' features
    output = x.transpose(0, 1) if batch_first else x
    if mode == "LSTM":
        h_n = stack([h for h, _ in finals], dim=0)
        c_n = stack([c for _, c in finals], dim=0)
        return output, (h_n, c_n)
    return output, stack(finals, dim=0)
