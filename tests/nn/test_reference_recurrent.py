"""The fused recurrent ops (gradlab.ops.recurrent) against their readable references
(gradlab.nn.reference.recurrent_cells and .recurrent): outputs, final states and the gradients
of the input, h0, c0 and every weight and bias, in float64, over layers, directions,
batch_first, bias, dropout, unbatched inputs and the cells; and the switch that picks them."""

import numpy as np
import pytest
from reference_check import compare

import gradlab
from gradlab import nn
from gradlab.nn.reference import recurrent_cells

rng = np.random.default_rng(0)
T, N, I, H = 5, 3, 4, 6

LAYERS = {"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}
CONFIGS = [
    {},
    {"num_layers": 2},
    {"bidirectional": True},
    {"num_layers": 2, "bidirectional": True, "batch_first": True},
    {"batch_first": True, "bias": False},
    {"num_layers": 3, "dropout": 0.4},
]


def _layer(name, config, nonlinearity=None):
    gradlab.manual_seed(1)
    extra = {} if nonlinearity is None else {"nonlinearity": nonlinearity}
    return LAYERS[name](I, H, dtype=np.float64, **config, **extra)


def _states(name, config, batch=N):
    layers = config.get("num_layers", 1) * (2 if config.get("bidirectional") else 1)
    shape = (layers, batch, H) if batch else (layers, H)
    return [rng.standard_normal(shape) for _ in range(2 if name == "LSTM" else 1)]


@pytest.mark.parametrize(
    "config", CONFIGS, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()) or "default"
)
@pytest.mark.parametrize("name", ["RNN", "RNN-relu", "LSTM", "GRU"])
@pytest.mark.parametrize("with_state", [False, True])
def test_layer_equals_reference(name, config, with_state):
    layer_name, _, act = name.partition("-")
    layer = _layer(layer_name, config, act or None)
    shape = (N, T, I) if config.get("batch_first") else (T, N, I)
    arrays = [rng.standard_normal(shape)]
    if with_state:
        arrays += _states(layer_name, config)

    def fn(x, *state):
        if not state:
            return layer(x)
        return layer(x, tuple(state) if layer_name == "LSTM" else state[0])

    fast_ops, ref_ops = compare(fn, arrays, module=layer)
    fused = {"RNN": "RNNOp", "LSTM": "LSTMOp", "GRU": "GRUOp"}[layer_name]
    assert fused in fast_ops and fused not in ref_ops
    assert ("Tanh" in ref_ops or "Relu" in ref_ops) and "Tanh" not in fast_ops


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_long_sequence_equals_reference(name):
    """More steps than the fused ops' CHUNK (their GEMMs off the chain go chunk by chunk)."""
    layer = _layer(name, {"bidirectional": True})
    compare(layer, [rng.standard_normal((23, 2, I))], module=layer)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_unbatched_layer_equals_reference(name):
    layer = _layer(name, {"bidirectional": True})
    arrays = [rng.standard_normal((T, I)), *_states(name, {"bidirectional": True}, batch=None)]

    def fn(x, *state):
        return layer(x, tuple(state) if name == "LSTM" else state[0])

    compare(fn, arrays, module=layer)


CELLS = {
    "RNNCell": lambda: nn.RNNCell(I, H, dtype=np.float64),
    "RNNCell-relu": lambda: nn.RNNCell(I, H, nonlinearity="relu", dtype=np.float64),
    "LSTMCell": lambda: nn.LSTMCell(I, H, dtype=np.float64),
    "GRUCell": lambda: nn.GRUCell(I, H, dtype=np.float64),
    "GRUCell-nobias": lambda: nn.GRUCell(I, H, bias=False, dtype=np.float64),
}


@pytest.mark.parametrize("name", CELLS)
@pytest.mark.parametrize("batch", [N, None])
@pytest.mark.parametrize("with_state", [False, True])
def test_cell_equals_reference(name, batch, with_state):
    gradlab.manual_seed(2)
    cell = CELLS[name]()
    lstm = name.startswith("LSTM")
    arrays = [rng.standard_normal((batch, I) if batch else (I,))]
    if with_state:
        arrays += [rng.standard_normal((batch, H) if batch else (H,)) for _ in range(1 + lstm)]

    def fn(x, *state):
        if not state:
            return cell(x)
        return cell(x, tuple(state) if lstm else state[0])

    compare(fn, arrays, module=cell)


def test_reference_cells_are_the_notes_equations():
    """The LSTM cell by hand from its gates, and the GRU's reset gate inside r * (W_hn h + b_hn)."""
    x, h, c = (gradlab.tensor(rng.standard_normal((2, s))) for s in (I, H, H))
    w_ih, w_hh = (gradlab.tensor(rng.standard_normal((4 * H, s))) for s in (I, H))
    b_ih, b_hh = (gradlab.tensor(rng.standard_normal(4 * H)) for _ in range(2))
    h1, c1 = recurrent_cells.lstm_cell(x, (h, c), w_ih, w_hh, b_ih, b_hh)
    a = x.numpy() @ w_ih.numpy().T + b_ih.numpy() + h.numpy() @ w_hh.numpy().T + b_hh.numpy()
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    i, f, g, o = (
        sig(a[:, :H]),
        sig(a[:, H : 2 * H]),
        np.tanh(a[:, 2 * H : 3 * H]),
        sig(a[:, 3 * H :]),
    )
    np.testing.assert_allclose(c1.numpy(), f * c.numpy() + i * g, rtol=1e-12)
    np.testing.assert_allclose(h1.numpy(), o * np.tanh(f * c.numpy() + i * g), rtol=1e-12)
    w_ih, w_hh = w_ih[: 3 * H], w_hh[: 3 * H]
    b_ih, b_hh = b_ih[: 3 * H], b_hh[: 3 * H]
    h1 = recurrent_cells.gru_cell(x, h, w_ih, w_hh, b_ih, b_hh)
    xi = x.numpy() @ w_ih.numpy().T + b_ih.numpy()
    hh = h.numpy() @ w_hh.numpy().T + b_hh.numpy()
    r, z = sig(xi[:, :H] + hh[:, :H]), sig(xi[:, H : 2 * H] + hh[:, H : 2 * H])
    n = np.tanh(xi[:, 2 * H :] + r * hh[:, 2 * H :])
    np.testing.assert_allclose(h1.numpy(), (1 - z) * n + z * h.numpy(), rtol=1e-12)


def test_reference_matches_torch():
    torch = pytest.importorskip("torch")
    layer = _layer("LSTM", {"num_layers": 2, "bidirectional": True})
    t_layer = torch.nn.LSTM(I, H, num_layers=2, bidirectional=True).double()
    with torch.no_grad():
        for p, tp in zip(layer.parameters(), t_layer.parameters(), strict=True):
            tp.copy_(torch.from_numpy(p.numpy()))
    x_np = rng.standard_normal((T, N, I))
    with gradlab.reference_kernels():
        out, (h_n, c_n) = layer(gradlab.tensor(x_np))
    t_out, (t_h, t_c) = t_layer(torch.from_numpy(x_np))
    for ours, theirs in ((out, t_out), (h_n, t_h), (c_n, t_c)):
        np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_switch_setting_and_errors():
    assert not gradlab.are_reference_kernels_enabled()
    with gradlab.reference_kernels():
        assert gradlab.are_reference_kernels_enabled()
        with gradlab.reference_kernels(False):
            assert not gradlab.are_reference_kernels_enabled()
        assert gradlab.are_reference_kernels_enabled()
    assert not gradlab.are_reference_kernels_enabled()
    layer = _layer("GRU", {})
    x = gradlab.tensor(rng.standard_normal((T, N, I)))
    gradlab.use_reference_kernels(True)
    try:
        ops = {node.op for node in gradlab.explain.graph(layer(x)[0]).ops}
        assert "Sigmoid" in ops and "GRUOp" not in ops  # the gates, step by step
    finally:
        gradlab.use_reference_kernels(False)
    ops = {node.op for node in gradlab.explain.graph(layer(x)[0]).ops}
    assert "GRUOp" in ops and "Sigmoid" not in ops
    with pytest.raises(TypeError, match="expected True or False"):
        gradlab.use_reference_kernels("yes")


@pytest.mark.parametrize("name", ["LSTM", "GRU", "SimpleRNN", "Conv2D"])
def test_keras_layers_follow_the_switch(name):
    """gradlab.keras is a front end over the same layers: the switch covers it too."""
    from gradlab import keras

    gradlab.manual_seed(0)
    if name == "Conv2D":
        layer, shape = keras.layers.Conv2D(4, 3, padding="same"), (2, 6, 6, 3)
    else:
        layer, shape = getattr(keras.layers, name)(5, return_sequences=True), (2, 6, 3)
    x = gradlab.tensor(rng.standard_normal(shape).astype(np.float32))
    fast = layer(x)
    with gradlab.reference_kernels():
        readable = layer(x)
    np.testing.assert_allclose(readable.numpy(), fast.numpy(), rtol=1e-5, atol=1e-6)
    ops = {n.op for n in gradlab.explain.graph(readable).ops} if readable.grad_fn else set()
    assert not ops & {"LSTMOp", "GRUOp", "RNNOp", "Conv2dOp"}
