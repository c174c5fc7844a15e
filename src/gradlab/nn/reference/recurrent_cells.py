"""One time step of an RNN, LSTM and GRU, written as the course notes write the equations.

The readable reference of :mod:`gradlab.ops.recurrent` (whose ops run a whole sequence as one
graph node with backpropagation through time by hand): here every gate is a Tensor, and
autograd does the backward, step by step through the graph these lines build.

Shapes: x (N, I), h and c (N, H); weights in PyTorch's layout: w_ih (G*H, I), w_hh (G*H, H),
b_ih and b_hh (G*H,) or None, with the G gate blocks stacked in PyTorch's order
(LSTM i, f, g, o; GRU r, z, n).
"""

from __future__ import annotations

__all__ = ["rnn_cell", "lstm_cell", "gru_cell"]


def affine(x, w, b):
    """x W^T + b: (N, in) -> (N, out)."""
    y = x @ w.T
    return y if b is None else y + b


def rnn_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh"):
    """Elman: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu). Returns h' (N, H)."""
    a = affine(x, w_ih, b_ih) + affine(h, w_hh, b_hh)
    return a.tanh() if nonlinearity == "tanh" else a.relu()


def lstm_cell(x, state, w_ih, w_hh, b_ih=None, b_hh=None):
    """LSTM: state (h, c) -> (h', c'), the new cell state from the forget and input gates."""
    h, c = state
    gates = affine(x, w_ih, b_ih) + affine(h, w_hh, b_hh)  # (N, 4H)
    i, f, g, o = gates.chunk(4, dim=1)
    i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
    c = f * c + i * g  # forget some of the old memory, write some of the new candidate
    h = o * c.tanh()  # expose part of the memory as the output
    return h, c


def gru_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None):
    """GRU: h -> h' through a reset gate r and an update gate z (PyTorch's formulation)."""
    x_r, x_z, x_n = affine(x, w_ih, b_ih).chunk(3, dim=1)
    h_r, h_z, h_n = affine(h, w_hh, b_hh).chunk(3, dim=1)
    r = (x_r + h_r).sigmoid()
    z = (x_z + h_z).sigmoid()
    n = (x_n + r * h_n).tanh()  # r scales W_hn h + b_hn, as PyTorch places the reset gate
    return (1 - z) * n + z * h
