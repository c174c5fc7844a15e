"""The fused primitives (Conv2d + ReLU + MaxPool2d(2), ReLU + MaxPool2d(2), Linear + ReLU):
values and gradients against PyTorch's separate layers (ReLU + pooling bit for bit: max and
relu are exact); and Sequential's use of them, in training as in evaluation, with every layer
still shown by the graph's views; stepping aside for hooks, other settings, other inputs,
changed module lists and the reference switch."""

import numpy as np
import pytest

import gradlab
from gradlab import nn
from gradlab.autograd import gradcheck
from gradlab.nn import fusion
from gradlab.ops import conv_block
from gradlab.ops.conv_block import ConvReluMaxPool2dOp
from gradlab.ops.linear import LinearReluOp
from gradlab.ops.pool import ReluMaxPool2dOp

torch = pytest.importorskip("torch")
rng = np.random.default_rng(0)


def _inputs(shape, ties):
    """float32 data; with ``ties`` small integers around zero, so windows hold equal maxima,
    zeros and all-negative windows."""
    if ties:
        return rng.integers(-2, 3, shape).astype(np.float32)
    return rng.standard_normal(shape).astype(np.float32)


def _layout(x_np, channels_last):
    if channels_last:  # a conv's output: NHWC memory behind an NCHW view
        return np.ascontiguousarray(x_np.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    return x_np


def _spy(monkeypatch, name):
    """Count the forward calls of the fused op ``name`` that Sequential runs."""
    calls = []
    op = getattr(fusion, name)

    class Spy(op):
        __slots__ = ()

        def forward(self, *arrays, **settings):
            calls.append(name)
            return super().forward(*arrays, **settings)

    Spy.__name__ = name  # what the graph's views print
    monkeypatch.setattr(fusion, name, Spy)
    return calls


@pytest.mark.parametrize("shape", [(2, 3, 8, 8), (2, 4, 13, 13), (3, 5, 7, 6), (1, 1, 2, 2)])
@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("channels_last", [False, True])
def test_fused_relu_max_pool_equals_torch_exactly(shape, ties, channels_last):
    x_np = _inputs(shape, ties)
    x = gradlab.Tensor(_layout(x_np, channels_last), requires_grad=True)
    out = ReluMaxPool2dOp.apply(x)
    tx = torch.tensor(x_np, requires_grad=True)
    t_out = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.MaxPool2d(2))(tx)
    np.testing.assert_array_equal(out.numpy(), t_out.detach().numpy())
    grad = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(grad)
    t_out.backward(torch.from_numpy(grad))
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())


def _conv_block(seed):
    gradlab.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 6, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 4, 3), nn.ReLU(),
        nn.MaxPool2d(kernel_size=(2, 2), stride=2), nn.Flatten(), nn.Linear(4 * 2 * 2, 3),
        nn.ReLU(),
    )  # fmt: skip


def _layer_by_layer(model, x):
    for module in model:
        x = module(x)
    return x


@pytest.mark.parametrize("ties", [False, True])
def test_training_runs_fused_and_the_graph_shows_every_layer(ties, monkeypatch):
    """Training and no_grad both run the fused ops; the graph still has a node for every
    layer, in order, and values and gradients are those of the layers run one by one."""
    calls = [_spy(monkeypatch, n) for n in ("ConvReluMaxPool2dOp", "LinearReluOp")]
    model = _conv_block(1)
    x_np = _inputs((4, 3, 14, 14), ties)
    x = gradlab.Tensor(x_np, requires_grad=True)
    out = model(x)
    assert len(calls[0]) == 2 and len(calls[1]) == 1
    view = gradlab.explain.graph(out)
    chain, node = [], view.output
    while node.inputs:
        chain.append(node.op)
        node = next(n for n in node.inputs if n.kind == "op" or n.tensor is x)
    assert chain == ["Relu", "LinearOp", "Reshape", "MaxPool2dOp", "Relu", "Conv2dOp",
                     "MaxPool2dOp", "Relu", "Conv2dOp"]  # fmt: skip
    inner = [n for n in view.ops if n.fused_in]
    assert len(inner) == 5 and all(n.value is None and n.grad is None for n in inner)
    assert "computed inside ConvReluMaxPool2dOp, value not kept" in view.to_text()
    (out * out).sum().backward()
    plain = _conv_block(1)
    x_plain = gradlab.Tensor(x_np, requires_grad=True)
    expected = _layer_by_layer(plain, x_plain)
    (expected * expected).sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), x_plain.grad.numpy(), rtol=1e-5, atol=1e-6)
    for p, q in zip(model.parameters(), plain.parameters(), strict=True):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-6)
    with gradlab.no_grad():
        fast = model(gradlab.Tensor(x_np))
    assert len(calls[0]) == 4 and len(calls[1]) == 2 and fast.grad_fn is None
    np.testing.assert_allclose(fast.numpy(), out.detach().numpy(), rtol=1e-6, atol=1e-6)
    with gradlab.reference_kernels():
        model(gradlab.Tensor(x_np, requires_grad=True))
    assert len(calls[0]) == 4 and len(calls[1]) == 2


def test_grad_fn_chain_names_every_layer():
    """Walking ``grad_fn.next_functions`` from the output, as a user draws a graph by hand,
    meets every layer, the fused ones as their parts, and ends at the input's
    AccumulateGrad."""
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2), nn.ReLU())
    x = gradlab.Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    out = model(x)
    assert type(out.grad_fn) is LinearReluOp
    names, fn = [], out.grad_fn
    while fn.next_functions:
        names.append(fn.name())
        fn = fn.next_functions[0][0]
    assert names == ["ReluBackward0", "LinearOpBackward0", "ReluBackward0", "LinearOpBackward0"]
    assert fn.name() == "torch::autograd::AccumulateGrad" and fn.variable is x
    assert repr(out.grad_fn) == "<ReluBackward0 (fused: LinearReluOp)>"
    part = out.grad_fn.next_functions[0][0]
    assert type(part).__name__ == "FusedPart" and "part of LinearReluOp" in repr(part)
    first_linear = out.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0]
    weights = [f for f, _ in first_linear.next_functions[1:]]
    assert [w.variable for w in weights] == [model[0].weight, model[0].bias]


def test_second_derivative_through_fused_layers():
    """create_graph=True through a fused Sequential (a gradient penalty): the parts run as
    separate ops, and the second derivative matches the layers run one by one."""
    gradlab.manual_seed(3)
    model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 1)).double()
    x_np = rng.standard_normal((4, 3))
    results = []
    for run in (model, lambda t: _layer_by_layer(model, t)):
        model.zero_grad()
        x = gradlab.Tensor(x_np, requires_grad=True)
        (g,) = gradlab.autograd.grad(run(x).sum(), x, create_graph=True)
        ((g.norm(dim=1) - 1) ** 2).mean().backward()
        results.append([p.grad for p in model.parameters()])
    for fused, plain in zip(*results, strict=True):
        assert (fused is None) == (plain is None)  # the last bias has no path
        if fused is not None:
            np.testing.assert_allclose(fused.numpy(), plain.numpy(), rtol=1e-12, atol=1e-12)
    assert results[0][0] is not None and results[0][2] is not None


CONV_BLOCKS = [
    # (in_channels, out_channels, kernel, Conv2d kwargs, input H, W); 3 channels: the NCHW
    # gather; more: the channels-last window gather
    (3, 4, 3, {}, 10, 10),
    (3, 4, 3, {"padding": 1}, 9, 7),
    (5, 6, 3, {}, 15, 15),
    (5, 6, (3, 2), {"stride": 2, "padding": (1, 0)}, 13, 12),
    (4, 3, 3, {"dilation": 2, "bias": False}, 12, 11),
    (6, 5, 1, {}, 6, 6),
    (2, 3, 3, {"padding": "same"}, 5, 5),
]


@pytest.mark.parametrize("cin, cout, kernel, kwargs, h, w", CONV_BLOCKS)
@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("chunk_bytes", [1 << 19, 64])
def test_fused_conv_block_matches_torch(cin, cout, kernel, kwargs, h, w, channels_last,
                                        chunk_bytes, monkeypatch):  # fmt: skip
    """float64, integer-valued inputs and weights: the conv outputs are exact and full of
    ties, so every gradient must be routed exactly as PyTorch routes it. ``chunk_bytes`` 64
    forces one image per chunk (and a short last chunk), 512 KiB one chunk."""
    monkeypatch.setattr(conv_block, "CHUNK_BYTES", chunk_bytes)
    monkeypatch.setattr(conv_block, "MAX_CHUNKS", 3)
    n = 7
    conv = nn.Conv2d(cin, cout, kernel, dtype=np.float64, **kwargs)
    conv.weight.numpy()[...] = rng.integers(-2, 3, conv.weight.shape)
    if conv.bias is not None:
        conv.bias.numpy()[...] = rng.integers(-2, 3, conv.bias.shape)
    t_conv = torch.nn.Conv2d(cin, cout, kernel, dtype=torch.float64, **kwargs)
    with torch.no_grad():
        t_conv.weight.copy_(torch.from_numpy(conv.weight.numpy()))
        if conv.bias is not None:
            t_conv.bias.copy_(torch.from_numpy(conv.bias.numpy()))
    x_np = rng.integers(-2, 3, (n, cin, h, w)).astype(np.float64)
    x = gradlab.Tensor(_layout(x_np, channels_last), requires_grad=True)
    settings = {"stride": conv.stride, "padding": conv._pads, "dilation": conv.dilation}
    params = (conv.weight,) if conv.bias is None else (conv.weight, conv.bias)
    out = ConvReluMaxPool2dOp.apply(x, *params, **settings)
    tx = torch.tensor(x_np, requires_grad=True)
    t_out = torch.nn.Sequential(t_conv, torch.nn.ReLU(), torch.nn.MaxPool2d(2))(tx)
    np.testing.assert_array_equal(out.numpy(), t_out.detach().numpy())
    grad = rng.integers(-3, 4, out.shape).astype(np.float64)
    out.backward(grad)
    t_out.backward(torch.from_numpy(grad))
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())
    np.testing.assert_array_equal(conv.weight.grad, t_conv.weight.grad.numpy())
    if conv.bias is not None:
        np.testing.assert_array_equal(conv.bias.grad, t_conv.bias.grad.numpy())


def test_fused_conv_block_gradcheck_float64(monkeypatch):
    monkeypatch.setattr(conv_block, "CHUNK_BYTES", 64)  # one image per chunk
    x = gradlab.Tensor(rng.standard_normal((3, 2, 7, 6)), requires_grad=True)
    weight = gradlab.Tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    bias = gradlab.Tensor(rng.standard_normal(3), requires_grad=True)
    settings = {"stride": (1, 1), "padding": (1, 1, 0, 0), "dilation": (1, 1)}
    assert gradcheck(lambda *t: ConvReluMaxPool2dOp.apply(*t, **settings), (x, weight, bias))


def test_conv_block_chunks():
    assert conv_block.chunk_size(64, 30 * 30 * 32 * 4) == 8  # 4 fit in L2, but <= 8 chunks
    assert conv_block.chunk_size(64, 12 * 12 * 64 * 4) == 14
    assert conv_block.chunk_size(3, 10 << 20) == 1  # one image larger than a chunk


@gradlab.no_grad()
def test_conv_block_steps_aside(monkeypatch):
    """A hook on the conv, a padding mode other than zeros, an output smaller than 2x2 or a
    wrong channel count: the layers run one by one (and the conv raises its own error)."""
    block = _spy(monkeypatch, "ConvReluMaxPool2dOp")
    tail = _spy(monkeypatch, "ReluMaxPool2dOp")
    x = gradlab.Tensor(_inputs((2, 3, 8, 8), False))
    conv = nn.Conv2d(3, 4, 3)
    handle = conv.register_forward_hook(lambda module, inputs, output: None)
    nn.Sequential(conv, nn.ReLU(), nn.MaxPool2d(2))(x)
    assert (len(block), len(tail)) == (0, 1)
    handle.remove()
    nn.Sequential(conv, nn.ReLU(), nn.MaxPool2d(2))(x)
    assert (len(block), len(tail)) == (1, 1)
    reflect = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect"), nn.ReLU(),
                            nn.MaxPool2d(2))  # fmt: skip
    reflect(x)
    assert (len(block), len(tail)) == (1, 2)
    two = nn.Sequential(nn.Conv2d(3, 4, 7), nn.ReLU(), nn.MaxPool2d(2))  # a 2x2 output
    assert two(x).shape == (2, 4, 1, 1) and len(block) == 2
    one = nn.Sequential(nn.Conv2d(3, 4, 8), nn.ReLU(), nn.MaxPool2d(2))  # a 1x1 output
    with pytest.raises(ValueError, match=r"MaxPool2d\(kernel_size=2\)"):
        one(x)
    with pytest.raises(ValueError, match=r"Conv2d\(in_channels=5\): input has shape"):
        nn.Sequential(nn.Conv2d(5, 4, 3), nn.ReLU(), nn.MaxPool2d(2))(x)


def test_fused_op_gradcheck_float64():
    x = gradlab.Tensor(rng.standard_normal((2, 3, 7, 6)), requires_grad=True)
    assert gradcheck(lambda t: ReluMaxPool2dOp.apply(t), (x,))


@gradlab.no_grad()
def test_hook_sees_its_own_layers_output(monkeypatch):
    tail = _spy(monkeypatch, "ReluMaxPool2dOp")
    seen = []
    relu, pool = nn.ReLU(), nn.MaxPool2d(2)
    relu.register_forward_hook(lambda module, inputs, output: seen.append(output.shape))
    nn.Sequential(relu, pool)(gradlab.Tensor(_inputs((1, 2, 4, 4), False)))
    assert seen == [(1, 2, 4, 4)] and tail == []


@pytest.mark.parametrize(
    "pool",
    [
        nn.MaxPool2d(3),
        nn.MaxPool2d(2, stride=1),
        nn.MaxPool2d(2, padding=1),
        nn.MaxPool2d(2, ceil_mode=True),
        nn.MaxPool2d(2, dilation=2),
    ],
)
@gradlab.no_grad()
def test_other_pooling_settings_run_separately(pool, monkeypatch):
    tail = _spy(monkeypatch, "ReluMaxPool2dOp")
    x_np = _inputs((2, 3, 9, 9), True)
    out = nn.Sequential(nn.ReLU(), pool)(gradlab.Tensor(x_np))
    assert tail == []
    expected = pool(nn.ReLU()(gradlab.Tensor(x_np)))
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


@gradlab.no_grad()
def test_unbatched_and_plain_array_inputs():
    x_np = _inputs((3, 6, 6), True)
    model = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2))
    expected = np.maximum(x_np, 0).reshape(3, 3, 2, 3, 2).max(axis=(2, 4))
    np.testing.assert_array_equal(model(gradlab.Tensor(x_np)).data, expected)
    np.testing.assert_array_equal(model(x_np[None]).numpy(), expected[None])


@gradlab.no_grad()
def test_plan_follows_changes_to_the_module_list(monkeypatch):
    tail = _spy(monkeypatch, "ReluMaxPool2dOp")
    model = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2))
    x = gradlab.Tensor(-np.ones((1, 1, 2, 2), np.float32))
    model(x)
    assert len(tail) == 1
    model[0] = nn.Tanh()
    out = model(x)
    assert len(tail) == 1
    np.testing.assert_allclose(out.numpy(), np.tanh(-1.0), rtol=1e-6)
    model[0] = nn.ReLU()
    model.append(nn.Flatten())
    np.testing.assert_array_equal(model(x).numpy(), np.zeros((1, 1), np.float32))
    assert len(tail) == 2


def test_fused_linear_relu_matches_torch():
    gradlab.manual_seed(3)
    model = nn.Sequential(nn.Linear(5, 7, dtype=np.float64), nn.ReLU(),
                          nn.Linear(7, 3, bias=False, dtype=np.float64), nn.ReLU())  # fmt: skip
    t_model = torch.nn.Sequential(
        torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 3, bias=False), torch.nn.ReLU()
    ).double()
    with torch.no_grad():
        for p, tp in zip(model.parameters(), t_model.parameters(), strict=True):
            tp.copy_(torch.from_numpy(p.numpy()))
    x_np = rng.standard_normal((6, 5))
    x = gradlab.Tensor(x_np, requires_grad=True)
    hidden = LinearReluOp.apply(x, model[0].weight, model[0].bias)
    out = LinearReluOp.apply(hidden, model[2].weight)
    tx = torch.tensor(x_np, requires_grad=True)
    t_out = t_model(tx)
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), rtol=1e-12, atol=1e-12)
    with gradlab.no_grad():
        np.testing.assert_allclose(model(gradlab.Tensor(x_np)).numpy(), out.numpy(), rtol=1e-12)
    grad = rng.standard_normal(out.shape)
    out.backward(grad)
    t_out.backward(torch.from_numpy(grad))
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    for p, tp in zip(model.parameters(), t_model.parameters(), strict=True):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_fused_linear_relu_gradcheck_and_retain_graph():
    x = gradlab.Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    w = gradlab.Tensor(rng.standard_normal((5, 3)), requires_grad=True)
    b = gradlab.Tensor(rng.standard_normal(5), requires_grad=True)
    assert gradcheck(lambda *t: LinearReluOp.apply(*t), (x, w, b))
    out = LinearReluOp.apply(x, w, b).sum()
    out.backward(retain_graph=True)
    first = w.grad.numpy().copy()
    out.backward()
    np.testing.assert_allclose(w.grad, 2 * first)


@gradlab.no_grad()
def test_linear_relu_hook_and_plain_array_run_separately(monkeypatch):
    fused = _spy(monkeypatch, "LinearReluOp")
    linear, relu = nn.Linear(3, 2), nn.ReLU()
    seen = []
    relu.register_forward_hook(lambda module, inputs, output: seen.append(output.shape))
    nn.Sequential(linear, relu)(gradlab.Tensor(rng.standard_normal((4, 3)).astype(np.float32)))
    assert seen == [(4, 2)] and fused == []
    nn.Sequential(nn.Linear(3, 2), nn.ReLU())(np.ones((4, 3), np.float32))
    assert fused == []
    with pytest.raises(ValueError, match=r"Linear\(in_features=3\): input has shape \(4, 5\)"):
        nn.Sequential(nn.Linear(3, 2), nn.ReLU())(gradlab.Tensor(np.ones((4, 5), np.float32)))
