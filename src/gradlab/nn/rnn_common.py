"""What the recurrent layers (:mod:`gradlab.nn.recurrent`) and cells
(:mod:`gradlab.nn.rnn_cells`) share: hyperparameter checks, parameters and their init, and
:func:`run_layer`, which runs one layer in one direction on the fused op of
:mod:`gradlab.ops.recurrent`, or on the readable cells of :mod:`gradlab.nn.reference` under
the reference switch and off the CPU.
"""

from __future__ import annotations

import math

import numpy as np

from gradlab import creation
from gradlab.backend import xp
from gradlab.nn import init
from gradlab.nn.module import Module, Parameter
from gradlab.nn.reference import recurrent as reference
from gradlab.nn.reference.switch import wants_reference
from gradlab.ops.movement import Index
from gradlab.ops.recurrent import GRUOp, Head, LSTMOp, RNNOp

__all__ = ["GATES", "check_size", "check_nonlinearity", "make_weights", "reset_uniform",
           "run_layer", "shape_text"]  # fmt: skip

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def check_size(layer: str, name: str, value) -> int:
    """A positive integer hyperparameter, or a ValueError/TypeError naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{layer}: {name} should be an integer, got {value!r}")
    if value <= 0:
        raise ValueError(f"{layer}: {name}={value}, expected a positive integer")
    return int(value)


def check_nonlinearity(layer: str, nonlinearity) -> str:
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"{layer}: nonlinearity={nonlinearity!r}, expected 'tanh' or 'relu'")
    return nonlinearity


def make_weights(
    module: Module, gates: int, input_size: int, hidden_size: int, bias: bool, suffix: str, dtype
) -> None:
    """Register weight_ih{suffix} (G*H, I), weight_hh{suffix} (G*H, H), bias_ih/bias_hh."""
    rows = gates * hidden_size
    module.register_parameter(
        f"weight_ih{suffix}", Parameter(xp.empty((rows, input_size), dtype=dtype))
    )
    module.register_parameter(
        f"weight_hh{suffix}", Parameter(xp.empty((rows, hidden_size), dtype=dtype))
    )
    for name in ("bias_ih", "bias_hh"):
        module.register_parameter(
            name + suffix, Parameter(xp.empty(rows, dtype=dtype)) if bias else None
        )


def reset_uniform(module: Module, hidden_size: int, generator=None) -> None:
    """Every parameter ~ U(-1/sqrt(H), 1/sqrt(H)), in registration order (as PyTorch)."""
    bound = 1.0 / math.sqrt(hidden_size)
    for param in module.parameters():
        init.uniform_(param, -bound, bound, generator=generator)


def run_layer(mode: str, x, state, weights, reverse: bool):
    """One direction of one layer over (T, N, I). Returns (output (T, N, H), h_n, c_n or None);
    ``state`` is (h0, c0) with None for zeros."""
    w_ih, w_hh, b_ih, b_hh = weights
    h0, c0 = state
    if wants_reference(x, w_ih):
        return _reference_layer(mode, x, state, weights, reverse)
    T = x.shape[0]
    last = 0 if reverse else T - 1
    if mode == "LSTM":
        packed = LSTMOp.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=reverse)
        out = Head.apply(packed, rows=T)
        return out, Index.apply(packed, key=last), Index.apply(packed, key=T)
    if mode == "GRU":
        out = GRUOp.apply(x, h0, w_ih, w_hh, b_ih, b_hh, reverse=reverse)
    else:
        out = RNNOp.apply(x, h0, w_ih, w_hh, b_ih, b_hh, relu=mode == "RNN_RELU", reverse=reverse)
    return out, Index.apply(out, key=last), None


def _reference_layer(mode, x, state, weights, reverse):
    """:func:`run_layer` on the readable cells (zeros for a missing state)."""
    H = weights[1].shape[1]
    h0, c0 = (
        s if s is not None else creation.zeros(x.shape[1], H, dtype=x.dtype, device=x.device)
        for s in state
    )
    out, final = reference.run_direction(
        mode, x, (h0, c0) if mode == "LSTM" else h0, weights, reverse
    )
    return (out, *final) if mode == "LSTM" else (out, final, None)


def shape_text(shape) -> str:
    """A shape as Python prints a tuple: (3,) or (2, 3)."""
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
