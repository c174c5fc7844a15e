"""RNN, LSTM, GRU and their cells: against PyTorch with the same weights (outputs, final
states, gradients of the input, the initial states and every parameter), against central
finite differences in float64 (the fused primitives and whole stacks), and bad input."""

from __future__ import annotations

import numpy as np
import pytest

import gradlab
from gradlab import nn
from gradlab.autograd import gradcheck
from gradlab.ops.recurrent import GRUOp, LSTMOp, RNNOp

torch = pytest.importorskip("torch")

ATOL, RTOL = 1e-5, 1e-4
T, N, I, H = 5, 3, 4, 6

MODES = [
    ("RNN", {"nonlinearity": "tanh"}),
    ("RNN", {"nonlinearity": "relu"}),
    ("LSTM", {}),
    ("GRU", {}),
]
CONFIGS = [
    {},
    {"num_layers": 2},
    {"batch_first": True},
    {"bidirectional": True},
    {"num_layers": 2, "bidirectional": True, "batch_first": True},
    {"bias": False},
]


def _pair(name, kwargs, cell=False, input_size=I, hidden_size=H):
    """A torch module (float32, torch's own init) and a gradlab one holding the same weights."""
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(input_size, hidden_size, **kwargs)
    ours = getattr(nn, name)(input_size, hidden_size, **kwargs)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return theirs, ours


def _close(ours, theirs, what):
    np.testing.assert_allclose(ours, theirs.detach().numpy(), atol=ATOL, rtol=RTOL, err_msg=what)


def _leaf_pair(array):
    return (gradlab.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True))


def _run_and_compare(theirs, ours, x_np, states_np, is_lstm):
    """Forward both, loss = fixed random projections of output and final states, backward,
    and compare every value and gradient."""
    xg, xt = _leaf_pair(x_np)
    pairs = [_leaf_pair(s) for s in states_np]
    if not pairs:
        hx_g = hx_t = None
    elif is_lstm:
        hx_g, hx_t = (pairs[0][0], pairs[1][0]), (pairs[0][1], pairs[1][1])
    else:
        hx_g, hx_t = pairs[0]
    out_g, st_g = ours(xg, hx_g)
    out_t, st_t = theirs(xt, hx_t)
    finals_g = list(st_g) if is_lstm else [st_g]
    finals_t = list(st_t) if is_lstm else [st_t]
    rng = np.random.default_rng(1)
    loss_g = loss_t = 0
    for g, t in zip([out_g, *finals_g], [out_t, *finals_t]):
        assert tuple(g.shape) == tuple(t.shape)
        _close(g.numpy(), t, "forward value")
        proj = rng.standard_normal(tuple(g.shape)).astype(np.float32)
        loss_g = (g * gradlab.tensor(proj)).sum() + loss_g
        loss_t = (t * torch.tensor(proj)).sum() + loss_t
    loss_g.backward()
    loss_t.backward()
    _close(xg.grad, xt.grad, "input gradient")
    for k, (sg, st) in enumerate(pairs):
        _close(sg.grad, st.grad, f"initial state {k} gradient")
    torch_params = dict(theirs.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(torch_params)
    for name, param in ours.named_parameters():
        _close(param.grad, torch_params[name].grad, f"gradient of {name}")


@pytest.mark.parametrize("with_state", [False, True], ids=["zero-state", "given-state"])
@pytest.mark.parametrize(
    "config", CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()) or "default"
)
@pytest.mark.parametrize("name,mode_kwargs", MODES, ids=["rnn-tanh", "rnn-relu", "lstm", "gru"])
def test_matches_torch(name, mode_kwargs, config, with_state):
    kwargs = {**mode_kwargs, **config}
    theirs, ours = _pair(name, kwargs)
    rng = np.random.default_rng(0)
    shape = (N, T, I) if kwargs.get("batch_first") else (T, N, I)
    x = rng.standard_normal(shape).astype(np.float32)
    layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    count = (2 if name == "LSTM" else 1) if with_state else 0
    states = [rng.standard_normal((layers, N, H)).astype(np.float32) for _ in range(count)]
    _run_and_compare(theirs, ours, x, states, name == "LSTM")


@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_unbatched_matches_torch(name, with_state):
    kwargs = {"num_layers": 2, "bidirectional": True}
    theirs, ours = _pair(name, kwargs)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((T, I)).astype(np.float32)
    count = (2 if name == "LSTM" else 1) if with_state else 0
    states = [rng.standard_normal((4, H)).astype(np.float32) for _ in range(count)]
    _run_and_compare(theirs, ours, x, states, name == "LSTM")


@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("name,kwargs", [
    ("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("RNNCell", {"bias": False}),
    ("LSTMCell", {}), ("LSTMCell", {"bias": False}), ("GRUCell", {}), ("GRUCell", {"bias": False}),
])  # fmt: skip
def test_cells_match_torch(name, kwargs, with_state, batched):
    theirs, ours = _pair(name, kwargs)
    rng = np.random.default_rng(3)
    lead = (N,) if batched else ()
    xg, xt = _leaf_pair(rng.standard_normal((*lead, I)).astype(np.float32))
    count = (2 if name == "LSTMCell" else 1) if with_state else 0
    pairs = [_leaf_pair(rng.standard_normal((*lead, H)).astype(np.float32)) for _ in range(count)]
    if not pairs:
        hx_g = hx_t = None
    elif name == "LSTMCell":
        hx_g, hx_t = (pairs[0][0], pairs[1][0]), (pairs[0][1], pairs[1][1])
    else:
        hx_g, hx_t = pairs[0]
    out_g, out_t = ours(xg, hx_g), theirs(xt, hx_t)
    outs_g = list(out_g) if name == "LSTMCell" else [out_g]
    outs_t = list(out_t) if name == "LSTMCell" else [out_t]
    loss_g = loss_t = 0
    for g, t in zip(outs_g, outs_t):
        assert tuple(g.shape) == tuple(t.shape)
        _close(g.numpy(), t, "cell output")
        proj = rng.standard_normal(tuple(g.shape)).astype(np.float32)
        loss_g = (g * gradlab.tensor(proj)).sum() + loss_g
        loss_t = (t * torch.tensor(proj)).sum() + loss_t
    loss_g.backward()
    loss_t.backward()
    _close(xg.grad, xt.grad, "input gradient")
    for sg, st in pairs:
        _close(sg.grad, st.grad, "state gradient")
    torch_params = dict(theirs.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(torch_params)
    for pname, param in ours.named_parameters():
        _close(param.grad, torch_params[pname].grad, f"gradient of {pname}")


# ---------------------------------------------------------------------- finite differences


def _f64(rng, *shape):
    return gradlab.tensor(rng.uniform(-1, 1, shape), dtype=np.float64, requires_grad=True)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("op", ["rnn-tanh", "rnn-relu", "lstm", "gru"])
def test_primitive_gradcheck(op, reverse):
    rng = np.random.default_rng(4)
    t_, n_, i_, h_ = 3, 2, 3, 2
    gates = {"lstm": 4, "gru": 3}.get(op, 1)
    x = _f64(rng, t_, n_, i_)
    states = [_f64(rng, n_, h_) for _ in range(2 if op == "lstm" else 1)]
    weights = [
        _f64(rng, gates * h_, i_),
        _f64(rng, gates * h_, h_),
        _f64(rng, gates * h_),
        _f64(rng, gates * h_),
    ]
    if op == "lstm":

        def fn(*args):
            return LSTMOp.apply(*args, reverse=reverse)
    elif op == "gru":

        def fn(*args):
            return GRUOp.apply(*args, reverse=reverse)
    else:

        def fn(*args):
            return RNNOp.apply(*args, relu=op == "rnn-relu", reverse=reverse)

    assert gradcheck(fn, (x, *states, *weights))


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_stack_gradcheck(name):
    """Two bidirectional layers, batch_first, through the module: input and state gradients."""
    module = getattr(nn, name)(
        3,
        2,
        num_layers=2,
        bidirectional=True,
        batch_first=True,
        dtype=np.float64,
        generator=np.random.default_rng(5),
    )
    rng = np.random.default_rng(6)
    x = _f64(rng, 2, 3, 3)
    states = [_f64(rng, 4, 2, 2) for _ in range(2 if name == "LSTM" else 1)]

    def fn(x, *hx):
        out, final = module(x, tuple(hx) if name == "LSTM" else hx[0])
        return (out, *final) if name == "LSTM" else (out, final)

    assert gradcheck(fn, (x, *states))


# ---------------------------------------------------------------------- behaviour


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"])
def test_parameter_names_shapes_and_init(name):
    kwargs = {} if name.endswith("Cell") else {"num_layers": 2, "bidirectional": True}
    theirs = getattr(torch.nn, name)(I, H, **kwargs)
    ours = getattr(nn, name)(I, H, generator=np.random.default_rng(7), **kwargs)
    again = getattr(nn, name)(I, H, generator=np.random.default_rng(7), **kwargs)
    state = ours.state_dict()
    assert list(state) == list(theirs.state_dict())
    bound = 1 / np.sqrt(H)
    for key, value in theirs.state_dict().items():
        assert state[key].shape == tuple(value.shape)
        assert state[key].dtype == np.float32
        assert np.all(np.abs(state[key]) <= bound)
        assert state[key].std() > bound / 4  # filled, not left empty or constant
        np.testing.assert_array_equal(state[key], again.state_dict()[key])


def test_input_without_grad_still_gives_weight_gradients():
    theirs, ours = _pair("LSTM", {"num_layers": 2})
    x = np.random.default_rng(8).standard_normal((T, N, I)).astype(np.float32)
    out_g, _ = ours(gradlab.tensor(x))
    out_t, _ = theirs(torch.tensor(x))
    out_g.sum().backward()
    out_t.sum().backward()
    for pname, param in ours.named_parameters():
        _close(param.grad, dict(theirs.named_parameters())[pname].grad, pname)


def test_retain_graph_backward_twice_doubles_gradients():
    module = nn.GRU(I, H, bidirectional=True)
    x = gradlab.tensor(
        np.random.default_rng(9).standard_normal((T, N, I)), dtype=np.float32, requires_grad=True
    )
    out, h_n = module(x)
    loss = out.sum() + (h_n * h_n).sum()
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    loss.backward()
    np.testing.assert_allclose(x.grad, 2 * first, rtol=1e-6)


def test_float64_module_keeps_float64():
    module = nn.LSTM(I, H, dtype=np.float64)
    out, (h_n, c_n) = module(gradlab.tensor(np.ones((T, N, I)), dtype=np.float64))
    assert out.dtype == h_n.dtype == c_n.dtype == np.float64


def test_dropout_between_layers():
    kwargs = {"num_layers": 2, "dropout": 0.5}
    theirs, ours = _pair("LSTM", kwargs)
    x = np.random.default_rng(10).standard_normal((T, N, I)).astype(np.float32)
    ours.eval()
    theirs.eval()
    _close(ours(gradlab.tensor(x))[0].data, theirs(torch.tensor(x))[0], "eval: no dropout")
    ours.train()
    ours.generator = np.random.default_rng(11)
    first = ours(gradlab.tensor(x))[0].data
    ours.generator = np.random.default_rng(11)
    np.testing.assert_array_equal(ours(gradlab.tensor(x))[0].data, first)
    assert not np.allclose(first, ours(gradlab.tensor(x))[0].data)  # fresh mask each call
    assert not np.allclose(first, theirs(torch.tensor(x))[0].detach().numpy(), atol=1e-3)


def test_dropout_one_cuts_the_second_layer_off_its_input():
    module = nn.GRU(I, H, num_layers=2, dropout=1.0)
    rng = np.random.default_rng(12)
    a, b = (gradlab.tensor(rng.standard_normal((T, N, I)), dtype=np.float32) for _ in "ab")
    np.testing.assert_array_equal(module(a)[0].numpy(), module(b)[0].numpy())


def test_single_layer_dropout_warns_like_torch():
    with pytest.warns(UserWarning, match="dropout"):
        nn.LSTM(I, H, dropout=0.2)


def test_repr_like_torch():
    assert repr(nn.LSTM(4, 6, num_layers=2, batch_first=True)) == repr(
        torch.nn.LSTM(4, 6, num_layers=2, batch_first=True)
    )
    assert repr(nn.GRUCell(4, 6, bias=False)) == repr(torch.nn.GRUCell(4, 6, bias=False))


# ---------------------------------------------------------------------- bad input


def test_input_shape_errors_name_layer_and_shapes():
    lstm = nn.LSTM(32, 8)
    with pytest.raises(ValueError) as info:
        lstm(gradlab.zeros(50, 64, 16))
    assert str(info.value) == (
        "LSTM(input_size=32): input has shape (50, 64, 16), expected (T, N, 32)"
    )
    with pytest.raises(
        ValueError,
        match=r"GRU\(input_size=3\): input has shape \(2, 5, 4\), "
        r"expected \(N, T, 3\)",
    ):
        nn.GRU(3, 4, batch_first=True)(gradlab.zeros(2, 5, 4))
    with pytest.raises(
        ValueError,
        match=r"input has shape \(2, 3, 4, 5\), expected \(T, N, 3\) "
        r"or unbatched \(T, 3\)",
    ):
        nn.RNN(3, 4)(gradlab.zeros(2, 3, 4, 5))
    with pytest.raises(
        ValueError,
        match=r"LSTMCell\(input_size=3\): input has shape \(2, 4\), "
        r"expected \(N, 3\) or unbatched \(3,\)",
    ):
        nn.LSTMCell(3, 4)(gradlab.zeros(2, 4))


def test_empty_sequence_is_an_error():
    with pytest.raises(ValueError, match=r"input has shape \(0, 2, 3\), expected a sequence"):
        nn.LSTM(3, 4)(gradlab.zeros(0, 2, 3))
    with pytest.raises(ValueError, match=r"input has shape \(2, 0, 3\), expected a sequence"):
        nn.GRU(3, 4, batch_first=True)(gradlab.zeros(2, 0, 3))


def test_state_shape_errors():
    x = gradlab.zeros(5, 2, 3)
    with pytest.raises(
        ValueError,
        match=r"LSTM\(hidden_size=4\): c_0 has shape \(1, 3, 4\), "
        r"expected \(2, 2, 4\)",
    ):
        nn.LSTM(3, 4, bidirectional=True)(x, (gradlab.zeros(2, 2, 4), gradlab.zeros(1, 3, 4)))
    with pytest.raises(
        ValueError,
        match=r"GRU\(hidden_size=4\): hx has shape \(2, 4\), "
        r"expected \(1, 2, 4\)",
    ):
        nn.GRU(3, 4)(x, gradlab.zeros(2, 4))
    with pytest.raises(TypeError, match="tuple"):
        nn.LSTM(3, 4)(x, gradlab.zeros(1, 2, 4))
    with pytest.raises(
        ValueError,
        match=r"GRUCell\(hidden_size=4\): hx has shape \(3, 4\), "
        r"expected \(2, 4\)",
    ):
        nn.GRUCell(3, 4)(gradlab.zeros(2, 3), gradlab.zeros(3, 4))


@pytest.mark.parametrize("make,message", [
    (lambda: nn.LSTM(3, 4, dropout=1.5), r"LSTM: dropout=1.5, expected a number in \[0, 1\]"),
    (lambda: nn.GRU(3, 4, dropout=-0.1), r"GRU: dropout=-0.1"),
    (lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), r"RNN: nonlinearity='sigmoid', expected"),
    (lambda: nn.RNNCell(3, 4, nonlinearity="gelu"), r"RNNCell: nonlinearity='gelu'"),
    (lambda: nn.LSTM(3, 0), r"LSTM: hidden_size=0, expected a positive integer"),
    (lambda: nn.GRU(-1, 4), r"GRU: input_size=-1, expected a positive integer"),
    (lambda: nn.RNN(3, 4, num_layers=0), r"RNN: num_layers=0, expected a positive integer"),
    (lambda: nn.LSTMCell(3, 0), r"LSTMCell: hidden_size=0"),
])  # fmt: skip
def test_bad_hyperparameters(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_proj_size_not_implemented():
    with pytest.raises(NotImplementedError, match="proj_size=2"):
        nn.LSTM(3, 4, proj_size=2)


def test_reused_buffers_never_change_a_kept_output():
    """The ops reuse large work arrays only once nothing refers to them: an output still held
    (and its gradient graph) survives later calls unchanged."""
    module = nn.LSTM(I, H, num_layers=2)
    rng = np.random.default_rng(13)
    x1, x2 = (gradlab.tensor(rng.standard_normal((T, N, I)), dtype=np.float32) for _ in "ab")
    kept, (h_kept, _) = module(x1)
    values, h_values = kept.numpy().copy(), h_kept.numpy().copy()
    for _ in range(3):
        out, _ = module(x2)
        out.sum().backward()
    np.testing.assert_array_equal(kept.numpy(), values)
    np.testing.assert_array_equal(h_kept.numpy(), h_values)
    module.zero_grad()
    kept.sum().backward()  # the kept graph's saved arrays are intact too
    reference = nn.LSTM(I, H, num_layers=2)
    reference.load_state_dict(module.state_dict())
    reference(x1)[0].sum().backward()
    for (name, p), q in zip(module.named_parameters(), reference.parameters()):
        np.testing.assert_allclose(p.grad, q.grad, rtol=1e-6, err_msg=name)
