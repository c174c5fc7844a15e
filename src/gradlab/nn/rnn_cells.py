"""One-step recurrent cells: RNNCell, LSTMCell, GRUCell, as ``torch.nn``'s.

A cell computes one time step, for loops written by hand. Input (N, I) or unbatched (I,);
state (N, H) or (H,). Parameters weight_ih (G*H, I), weight_hh (G*H, H), bias_ih, bias_hh
(G*H,), all ~ U(-1/sqrt(H), 1/sqrt(H)). Each call runs one step through
:func:`gradlab.nn.rnn_common.run_layer`, as the layers do: the fused op of
:mod:`gradlab.ops.recurrent` over a sequence of length 1, or, under the reference switch and
off the CPU, the readable cell of :mod:`gradlab.nn.reference.recurrent_cells`.
"""

from __future__ import annotations

import numpy as np

from gradlab.backend import get_default_dtype, xp
from gradlab.nn.module import Module
from gradlab.nn.rnn_common import (
    check_nonlinearity,
    check_size,
    make_weights,
    reset_uniform,
    run_layer,
    shape_text,
)
from gradlab.ops.movement import Reshape
from gradlab.tensor import Tensor

__all__ = ["RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


class RNNCellBase(Module):
    """Parameters, checks and repr shared by the three cells."""

    gates = 1

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, *, generator=None, dtype=None
    ):
        super().__init__()
        name = type(self).__name__
        self.input_size = check_size(name, "input_size", input_size)
        self.hidden_size = check_size(name, "hidden_size", hidden_size)
        self.bias = bool(bias)
        dtype = np.dtype(dtype) if dtype is not None else get_default_dtype()
        make_weights(self, self.gates, self.input_size, self.hidden_size, self.bias, "", dtype)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        reset_uniform(self, self.hidden_size, generator)

    def _prepare(self, input):  # noqa: A002
        """input as (1, N, I); returns it and N (None when unbatched)."""
        if not isinstance(input, Tensor):
            input = Tensor(xp.asarray(input))  # noqa: A001
        shape = tuple(input.shape)
        size = self.input_size
        if len(shape) == 2 and shape[1] == size:
            return Reshape.apply(input, shape=(1, shape[0], size)), shape[0]
        if len(shape) == 1 and shape[0] == size:
            return Reshape.apply(input, shape=(1, 1, size)), None
        raise ValueError(
            f"{type(self).__name__}(input_size={size}): input has shape {shape_text(shape)}, "
            f"expected (N, {size}) or unbatched ({size},)"
        )

    def _state(self, label: str, state, batch):
        """A state tensor as (N, H), after checking its shape; None stays None (zeros)."""
        if state is None:
            return None
        if not isinstance(state, Tensor):
            state = Tensor(xp.asarray(state))
        H = self.hidden_size
        expected = (H,) if batch is None else (batch, H)
        if tuple(state.shape) != expected:
            raise ValueError(
                f"{type(self).__name__}(hidden_size={H}): {label} has shape "
                f"{shape_text(state.shape)}, expected {shape_text(expected)}"
            )
        return Reshape.apply(state, shape=(1, H)) if batch is None else state

    def _weights(self):
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def _finish(self, state, batch):
        """A new state (N, H) as it is, or as (H,) when the input was unbatched."""
        return state if batch is not None else Reshape.apply(state, shape=(self.hidden_size,))

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        if nonlinearity != "tanh":
            text += f", nonlinearity={nonlinearity!r}"
        return text


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu). forward(input, hx=None) -> h'."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        *,
        generator=None,
        dtype=None,
    ):
        nonlinearity = check_nonlinearity("RNNCell", nonlinearity)
        super().__init__(input_size, hidden_size, bias, generator=generator, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):  # noqa: A002
        x, batch = self._prepare(input)
        h0 = self._state("hx", hx, batch)
        mode = "RNN_RELU" if self.nonlinearity == "relu" else "RNN_TANH"
        _, h, _ = run_layer(mode, x, (h0, None), self._weights(), reverse=False)
        return self._finish(h, batch)


class LSTMCell(RNNCellBase):
    """One LSTM step, gate order i, f, g, o. forward(input, (h_0, c_0)=None) -> (h', c')."""

    gates = 4

    def forward(self, input, hx=None):  # noqa: A002
        x, batch = self._prepare(input)
        if hx is None:
            h0 = c0 = None
        elif not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise TypeError(f"LSTMCell: hx should be a tuple (h_0, c_0), got {type(hx).__name__}")
        else:
            h0, c0 = self._state("h_0", hx[0], batch), self._state("c_0", hx[1], batch)
        _, h, c = run_layer("LSTM", x, (h0, c0), self._weights(), reverse=False)
        return self._finish(h, batch), self._finish(c, batch)


class GRUCell(RNNCellBase):
    """One GRU step, gate order r, z, n. forward(input, hx=None) -> h'."""

    gates = 3

    def forward(self, input, hx=None):  # noqa: A002
        x, batch = self._prepare(input)
        h0 = self._state("hx", hx, batch)
        _, h, _ = run_layer("GRU", x, (h0, None), self._weights(), reverse=False)
        return self._finish(h, batch)
