"""Recurrent layers: RNN, LSTM, GRU, as ``torch.nn``'s (names, arguments, parameter names and
shapes, gate orders, default init, input and state shapes).

Each layer and direction runs as one fused graph node from :mod:`gradlab.ops.recurrent`
(forward loops over time in NumPy, backward is backpropagation through time by hand). Under
``gradlab.use_reference_kernels(True)``, and for tensors on a device other than the CPU, the
layers run their readable reference instead: the cells of
:mod:`gradlab.nn.reference.recurrent_cells` in the loop of :mod:`gradlab.nn.reference.recurrent`.

Shapes: input (T, N, I), or (N, T, I) with ``batch_first``, or unbatched (T, I); initial and
final states (L * D, N, H), unbatched (L * D, H), with L = num_layers and D = 2 if
bidirectional else 1. The output is (T, N, D * H) (or (N, T, D * H), or (T, D * H)); in it the
forward direction's features come first.
"""

from __future__ import annotations

import warnings

import numpy as np

from gradlab.backend import get_default_dtype, xp
from gradlab.nn.dropout import dropout as _dropout
from gradlab.nn.module import Module
from gradlab.nn.reference import recurrent as reference
from gradlab.nn.reference.switch import wants_reference
from gradlab.nn.rnn_common import (  # noqa: F401 - run_layer: gradlab.keras's RNN layers
    GATES,
    check_nonlinearity,
    check_size,
    make_weights,
    reset_uniform,
    run_layer,
    shape_text,
)
from gradlab.ops.movement import Index, Permute, Reshape, cat, stack
from gradlab.tensor import Tensor

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


def _row(t, k):
    """hx[k] of a state tensor: a graph node only when the state requires grad."""
    if t is None:
        return None
    if isinstance(t, Tensor) and t.requires_grad:
        return Index.apply(t, key=k)
    return t._data[k] if isinstance(t, Tensor) else xp.asarray(t)[k]


def _stack(states):
    """(N, H) states -> (len, N, H). One state is reshaped (a one-input Stack node fails in
    backward: the engine wraps its one-element tuple of gradients in another tuple)."""
    if len(states) == 1:
        return Reshape.apply(states[0], shape=(1, *states[0].shape))
    return stack(states, dim=0)


class RNNBase(Module):
    """The shared machinery of RNN, LSTM and GRU; ``mode`` is RNN_TANH, RNN_RELU, LSTM or GRU."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        *,
        generator=None,
        dtype=None,
    ):
        super().__init__()
        name = "RNN" if mode.startswith("RNN") else mode
        self.mode = mode
        self.input_size = check_size(name, "input_size", input_size)
        self.hidden_size = check_size(name, "hidden_size", hidden_size)
        self.num_layers = check_size(name, "num_layers", num_layers)
        if (
            isinstance(dropout, bool)
            or not isinstance(dropout, (int, float))
            or not 0.0 <= dropout <= 1.0
        ):
            raise ValueError(f"{name}: dropout={dropout!r}, expected a number in [0, 1]")
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                f"{name}: dropout={dropout} acts between layers only, so with num_layers=1 "
                f"it does nothing",
                UserWarning,
                stacklevel=3,
            )
        if proj_size != 0:
            if mode != "LSTM":
                raise ValueError(f"{name}: proj_size is only available for LSTM")
            raise NotImplementedError(
                f"LSTM: proj_size={proj_size} (LSTM with projections) is not implemented"
            )
        self.proj_size = 0
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        self.generator = generator
        dtype = np.dtype(dtype) if dtype is not None else get_default_dtype()
        directions = 2 if bidirectional else 1
        self._flat_weights_names = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                make_weights(self, GATES[mode], layer_input, hidden_size, self.bias, suffix, dtype)
                self._flat_weights_names += [
                    n + suffix
                    for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
                    if self.bias or n.startswith("weight")
                ]
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        reset_uniform(self, self.hidden_size, generator)

    def flatten_parameters(self) -> None:
        """A no-op, for code written for PyTorch's cuDNN weights."""

    @property
    def all_weights(self) -> list:
        """Per layer and direction: [weight_ih, weight_hh, bias_ih, bias_hh] (biases if any)."""
        per = 4 if self.bias else 2
        names = self._flat_weights_names
        return [[getattr(self, n) for n in names[k : k + per]] for k in range(0, len(names), per)]

    # ------------------------------------------------------------------ checks
    def _name(self, field: str) -> str:
        return f"{type(self).__name__}({field}={getattr(self, field)})"

    def _check_input(self, input) -> bool:  # noqa: A002
        """Validate the input's shape; return whether it is batched."""
        shape = tuple(input.shape)
        batched = "(N, T, {})" if self.batch_first else "(T, N, {})"
        batched = batched.format(self.input_size)
        steps = shape[1] if self.batch_first and len(shape) == 3 else (shape or (1,))[0]
        if len(shape) in (2, 3) and shape[-1] == self.input_size and steps == 0:
            raise ValueError(
                f"{self._name('input_size')}: input has shape {shape_text(shape)}, expected a "
                f"sequence length T > 0"
            )
        if len(shape) == 3 and shape[2] == self.input_size:
            return True
        if len(shape) == 2 and shape[1] == self.input_size:
            return False
        expected = {3: batched, 2: f"(T, {self.input_size})"}.get(
            len(shape), f"{batched} or unbatched (T, {self.input_size})"
        )
        raise ValueError(
            f"{self._name('input_size')}: input has shape {shape_text(shape)}, expected {expected}"
        )

    def _check_state(self, label: str, state, batch: int | None):
        layers = self.num_layers * (2 if self.bidirectional else 1)
        expected = (
            (layers, self.hidden_size) if batch is None else (layers, batch, self.hidden_size)
        )
        if not isinstance(state, Tensor):
            state = Tensor(xp.asarray(state))
        if tuple(state.shape) != expected:
            where = "" if batch is not None else " for unbatched input"
            raise ValueError(
                f"{self._name('hidden_size')}: {label} has shape {shape_text(state.shape)}, "
                f"expected {shape_text(expected)}{where}"
            )
        if batch is None:
            state = Reshape.apply(state, shape=(layers, 1, self.hidden_size))
        return state

    def _states(self, hx, batch: int | None):
        """(h0, c0) as (L * D, N, H) tensors or None."""
        if hx is None:
            return None, None
        if self.mode == "LSTM":
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"LSTM: hx should be a tuple (h_0, c_0), got {type(hx).__name__}")
            return (self._check_state("h_0", hx[0], batch), self._check_state("c_0", hx[1], batch))
        if isinstance(hx, (tuple, list)):
            raise TypeError(f"{type(self).__name__}: hx should be a Tensor, got a tuple")
        return self._check_state("hx", hx, batch), None

    # ------------------------------------------------------------------ forward
    def forward(self, input, hx=None):  # noqa: A002
        """Returns (output, h_n), or (output, (h_n, c_n)) for LSTM; see the module docstring."""
        if not isinstance(input, Tensor):
            input = Tensor(xp.asarray(input))  # noqa: A001
        batched = self._check_input(input)
        if not batched:  # (T, I) as a batch of one
            input = Reshape.apply(input, shape=(input.shape[0], 1, self.input_size))  # noqa: A001
        batch_first = self.batch_first and batched
        h0, c0 = self._states(hx, input.shape[0 if batch_first else 1] if batched else None)
        weights = self._layer_weights()
        lstm = self.mode == "LSTM"
        if wants_reference(input, weights[0][0]):
            state = None if h0 is None else ((h0, c0) if lstm else h0)
            x, h_n = reference.rnn(self.mode, input, state, weights, self.num_layers,
                                   self.bidirectional, batch_first, self.dropout, self.training,
                                   self.generator)  # fmt: skip
            h_n, c_n = h_n if lstm else (h_n, None)
        else:
            x = Permute.apply(input, dims=(1, 0, 2)) if batch_first else input
            x, h_n, c_n = self._fast_layers(x, h0, c0, weights)
            if batch_first:
                x = Permute.apply(x, dims=(1, 0, 2))
        if not batched:
            x = Reshape.apply(x, shape=(x.shape[0], x.shape[2]))
            h_n = Reshape.apply(h_n, shape=(h_n.shape[0], h_n.shape[2]))
            if c_n is not None:
                c_n = Reshape.apply(c_n, shape=(c_n.shape[0], c_n.shape[2]))
        return (x, (h_n, c_n)) if lstm else (x, h_n)

    def _layer_weights(self) -> list:
        """(w_ih, w_hh, b_ih, b_hh) per layer and direction (None biases without bias)."""
        return [tuple(w) + (None, None) * (not self.bias) for w in self.all_weights]

    def _fast_layers(self, x, h0, c0, weights):
        """Every layer and direction as one fused op each, on x (T, N, I); returns the output
        (T, N, D * H), h_n and c_n (None but for LSTM)."""
        directions = 2 if self.bidirectional else 1
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            if layer and self.dropout and self.training:
                x = _dropout(x, self.dropout, True, generator=self.generator)
            outs = []
            for direction in range(directions):
                k = layer * directions + direction
                state = (_row(h0, k), _row(c0, k))
                out, h, c = run_layer(self.mode, x, state, weights[k], reverse=bool(direction))
                outs.append(out)
                h_n.append(h)
                c_n.append(c)
            x = outs[0] if directions == 1 else cat(outs, dim=2)
        return x, _stack(h_n), _stack(c_n) if self.mode == "LSTM" else None

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.mode == "RNN_RELU":
            text += ", nonlinearity='relu'"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu).

    forward(input, hx=None) -> (output, h_n); weight_ih_l{k} (H, I or D*H), weight_hh_l{k}
    (H, H), bias_ih_l{k}, bias_hh_l{k} (H,), ``_reverse`` for the backward direction.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        *,
        generator=None,
        dtype=None,
    ):
        mode = "RNN_" + check_nonlinearity("RNN", nonlinearity).upper()
        super().__init__(
            mode,
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            generator=generator,
            dtype=dtype,
        )
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """LSTM, gate order i, f, g, o: i, f, o = sigma(.), g = tanh(.), c_t = f c_{t-1} + i g,
    h_t = o tanh(c_t). forward(input, (h_0, c_0)=None) -> (output, (h_n, c_n)).

    weight_ih_l{k} (4H, I or D*H), weight_hh_l{k} (4H, H), biases (4H,). ``proj_size`` > 0
    raises NotImplementedError.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        *,
        generator=None,
        dtype=None,
    ):
        super().__init__(
            "LSTM",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            proj_size,
            generator=generator,
            dtype=dtype,
        )


class GRU(RNNBase):
    """GRU, gate order r, z, n: r, z = sigma(.), n = tanh(W_in x + b_in + r (W_hn h + b_hn)),
    h_t = (1 - z) n + z h_{t-1}. forward(input, hx=None) -> (output, h_n).

    weight_ih_l{k} (3H, I or D*H), weight_hh_l{k} (3H, H), biases (3H,).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        *,
        generator=None,
        dtype=None,
    ):
        super().__init__(
            "GRU",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            generator=generator,
            dtype=dtype,
        )


# The cells live in their own file and build on the helpers above; re-exported here so that
# ``gradlab.nn``'s star import of this module brings them too.
from gradlab.nn.rnn_cells import GRUCell, LSTMCell, RNNCell, RNNCellBase  # noqa: E402
