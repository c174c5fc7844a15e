"""Recurrent layers SimpleRNN, LSTM and GRU, as Keras 3, run by gradlab's fused recurrent ops.

Input (batch, timesteps, features); output (batch, units), or (batch, timesteps, units) with
``return_sequences``; with ``return_state`` a list [output, h] ([output, h, c] for LSTM).
Weights in Keras's layouts and order: kernel (features, G·units) glorot_uniform,
recurrent_kernel (units, G·units) orthogonal, bias zeros: (G·units,), or (2, 3·units) for GRU
with ``reset_after`` (input and recurrent biases). Gate orders: LSTM i, f, c, o (the forget
bias starts at 1 with ``unit_forget_bias``); GRU z, r, h. The layer reorders them into
PyTorch's layouts (LSTM i, f, g, o; GRU r, z, n) for the op, inside the graph.
"""

from __future__ import annotations

import numpy as np

from gradlab.keras import activations
from gradlab.keras import initializers as I
from gradlab.keras.layers.layer import Layer
from gradlab.nn.dropout import dropout as _dropout
from gradlab.nn.recurrent import run_layer
from gradlab.ops.movement import Index, permute, transpose
from gradlab.tensor import Tensor


class _RNN(Layer):
    gates = 1
    mode = "RNN_TANH"

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        seed=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        owner = type(self).__name__
        self.units = int(units)
        if self.units <= 0:
            raise ValueError(f"{owner}: units must be a positive integer, got {units!r}")
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self._check_activations(owner)
        if recurrent_dropout:
            raise NotImplementedError(f"{owner}: recurrent_dropout is not supported")
        if stateful:
            raise NotImplementedError(f"{owner}: stateful=True is not supported")
        self.use_bias = use_bias
        self._inits = (kernel_initializer, recurrent_initializer, bias_initializer)
        self._regs = (kernel_regularizer, recurrent_regularizer, bias_regularizer)
        self._cons = (kernel_constraint, recurrent_constraint, bias_constraint)
        self.dropout = float(dropout)
        self.return_sequences, self.return_state = return_sequences, return_state
        self.go_backwards = go_backwards
        self._rng = np.random.default_rng(seed) if seed is not None else None
        if self._batch_input_shape is not None:
            self._maybe_build(self._batch_input_shape)

    def _check_activations(self, owner):
        if self.activation not in (activations.tanh, activations.relu):
            raise NotImplementedError(f"{owner}: activation must be 'tanh' or 'relu'")
        self.mode = "RNN_TANH" if self.activation is activations.tanh else "RNN_RELU"

    def _bias_shape(self):
        return (self.gates * self.units,)

    def _bias_initializer(self):
        return self._inits[2]

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: expected input (batch, timesteps, "
                f"features) with known features, got shape {tuple(input_shape)}"
            )
        n = self.gates * self.units
        self.add_weight(
            (input_shape[-1], n),
            self._inits[0],
            regularizer=self._regs[0],
            constraint=self._cons[0],
            name="kernel",
        )
        self.add_weight(
            (self.units, n),
            self._inits[1],
            regularizer=self._regs[1],
            constraint=self._cons[1],
            name="recurrent_kernel",
        )
        if self.use_bias:
            self.add_weight(
                self._bias_shape(),
                self._bias_initializer(),
                regularizer=self._regs[2],
                constraint=self._cons[2],
                name="bias",
            )
        self.built = True

    def _torch_weights(self):
        """(w_ih, w_hh, b_ih, b_hh) in PyTorch's layouts, as graph nodes of the weights."""
        w_ih, w_hh = transpose(self.kernel, 0, 1), transpose(self.recurrent_kernel, 0, 1)
        if not self.use_bias:
            return w_ih, w_hh, None, None
        return w_ih, w_hh, self.bias, Tensor(np.zeros(self.bias.shape, self.bias.dtype))

    def call(self, inputs, training=None, initial_state=None, mask=None):
        owner = type(self).__name__
        if inputs.ndim != 3 or inputs.shape[-1] != self.kernel.shape[0]:
            raise ValueError(
                f"{owner} {self.name!r}: input has shape {tuple(inputs.shape)}, expected "
                f"(batch, timesteps, {self.kernel.shape[0]})"
            )
        x = inputs
        if training and self.dropout:
            keep = np.ones((x.shape[0], 1, x.shape[2]), dtype=x.dtype)
            x = x * _dropout(Tensor(keep), self.dropout, True, generator=self._rng)
        x = permute(x, 1, 0, 2)  # (T, N, F)
        if self.go_backwards:
            x = Index.apply(x, key=np.arange(x.shape[0] - 1, -1, -1))
        state = self._initial_state(initial_state)
        out, h, c = run_layer(self.mode, x, state, self._torch_weights(), reverse=False)
        output = permute(out, 1, 0, 2) if self.return_sequences else h
        if not self.return_state:
            return output
        return [output, h] if c is None else [output, h, c]

    def _initial_state(self, initial_state):
        if initial_state is None:
            return (None, None)
        states = (
            list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        )
        states = [s if isinstance(s, Tensor) else Tensor(np.asarray(s, np.float32)) for s in states]
        return (states[0], states[1] if len(states) > 1 else None)

    def compute_output_shape(self, input_shape):
        batch, steps = input_shape[0], input_shape[1]
        out = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
        if not self.return_state:
            return out
        return [out] + [(batch, self.units)] * (2 if self.gates == 4 else 1)


class SimpleRNN(_RNN):
    """h_t = activation(x_t·kernel + h_{t-1}·recurrent_kernel + bias)."""


class LSTM(_RNN):
    gates = 4
    mode = "LSTM"

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        unit_forget_bias=True,
        **kwargs,
    ):
        object.__setattr__(self, "unit_forget_bias", unit_forget_bias)
        super().__init__(units, activation, recurrent_activation, **kwargs)

    def _check_activations(self, owner):
        if self.activation is not activations.tanh or (
            self.recurrent_activation is not activations.sigmoid
        ):
            raise NotImplementedError(
                f"{owner}: only activation='tanh' with recurrent_activation='sigmoid' is supported"
            )

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self._inits[2]
        base, units = I.get(self._inits[2]), self.units

        def init(shape, dtype=None):
            return np.concatenate(
                [
                    base((units,), dtype),
                    np.ones((units,), dtype or "float32"),
                    base((2 * units,), dtype),
                ]
            )

        return init


class GRU(_RNN):
    gates = 3
    mode = "GRU"

    def __init__(
        self, units, activation="tanh", recurrent_activation="sigmoid", reset_after=True, **kwargs
    ):
        if not reset_after:
            raise NotImplementedError("GRU: only reset_after=True (Keras's default) is supported")
        object.__setattr__(self, "reset_after", True)
        super().__init__(units, activation, recurrent_activation, **kwargs)

    def _check_activations(self, owner):
        LSTM._check_activations(self, owner)

    def _bias_shape(self):
        return (2, 3 * self.units)

    def _torch_weights(self):
        u = self.units
        order = np.concatenate([np.arange(u, 2 * u), np.arange(u), np.arange(2 * u, 3 * u)])
        w_ih = transpose(Index.apply(self.kernel, key=(slice(None), order)), 0, 1)
        w_hh = transpose(Index.apply(self.recurrent_kernel, key=(slice(None), order)), 0, 1)
        if not self.use_bias:
            return w_ih, w_hh, None, None
        b_ih = Index.apply(self.bias, key=(0, order))
        b_hh = Index.apply(self.bias, key=(1, order))
        return w_ih, w_hh, b_ih, b_hh
