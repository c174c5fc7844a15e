"""Sequential runs Conv2d + ReLU + MaxPool2d(2) and ReLU + MaxPool2d(2) as one op each: the
values and gradients of the separate layers and of PyTorch (ReLU + pooling bit for bit: max
and relu are exact), and the fusion steps aside for hooks, other settings, other inputs and
changed module lists."""

import numpy as np
import pytest

import gradlab
from gradlab import nn
from gradlab.autograd import gradcheck
from gradlab.ops import conv_block
from gradlab.ops.conv_block import ConvReluMaxPool2dOp
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


@pytest.mark.parametrize("shape", [(2, 3, 8, 8), (2, 4, 13, 13), (3, 5, 7, 6), (1, 1, 2, 2)])
@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("channels_last", [False, True])
def test_fused_relu_max_pool_equals_torch_exactly(shape, ties, channels_last):
    x_np = _inputs(shape, ties)
    x = gradlab.Tensor(_layout(x_np, channels_last), requires_grad=True)
    out = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2))(x)
    assert out.grad_fn.name() == "ReluMaxPool2dOpBackward0"
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
    )  # fmt: skip


@pytest.mark.parametrize("ties", [False, True])
def test_fused_block_equals_separate_layers(ties):
    """The same network with a do-nothing hook on each ReLU (which turns the fusion off):
    outputs, input gradients and parameter gradients agree (the chunked weight gradient is
    summed in another order, so to float32 rounding)."""
    fused, separate = _conv_block(1), _conv_block(1)
    for module in separate:
        if isinstance(module, nn.ReLU):
            module.register_forward_hook(lambda module, inputs, output: None)
    x_np = _inputs((4, 3, 14, 14), ties)
    results = []
    for model in (fused, separate):
        x = gradlab.Tensor(x_np, requires_grad=True)
        out = model(x)
        out.backward(np.ones(out.shape, np.float32))
        results.append((out.numpy(), x.grad, [p.grad for p in model.parameters()]))
    (out_a, dx_a, grads_a), (out_b, dx_b, grads_b) = results
    np.testing.assert_allclose(out_a, out_b, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(dx_a, dx_b, rtol=1e-6, atol=1e-6)
    for ga, gb in zip(grads_a, grads_b, strict=True):
        np.testing.assert_allclose(ga, gb, rtol=1e-5, atol=1e-6)
    x = gradlab.Tensor(x_np)
    ops = [node.op for node in gradlab.explain.graph(fused(x)).ops]
    assert ops.count("ConvReluMaxPool2dOp") == 2 and "Relu" not in ops and "Conv2dOp" not in ops
    ops = [node.op for node in gradlab.explain.graph(separate(x)).ops]
    assert ops.count("Conv2dOp") == 2 and ops.count("MaxPool2dOp") == 2


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
    out = nn.Sequential(conv, nn.ReLU(), nn.MaxPool2d(2))(x)
    assert out.grad_fn.name() == "ConvReluMaxPool2dOpBackward0"
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


def test_conv_block_steps_aside():
    """A hook on the conv, a padding mode other than zeros, an output smaller than 2x2 or a
    wrong channel count: the layers run one by one (and the conv raises its own error)."""
    x = gradlab.Tensor(_inputs((2, 3, 8, 8), False), requires_grad=True)
    conv = nn.Conv2d(3, 4, 3)
    handle = conv.register_forward_hook(lambda module, inputs, output: None)
    assert (
        nn.Sequential(conv, nn.ReLU(), nn.MaxPool2d(2))(x).grad_fn.name()
        == "ReluMaxPool2dOpBackward0"
    )
    handle.remove()
    assert nn.Sequential(conv, nn.ReLU(), nn.MaxPool2d(2))(x).grad_fn.name() == (
        "ConvReluMaxPool2dOpBackward0"
    )
    reflect = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect"), nn.ReLU(),
                            nn.MaxPool2d(2))  # fmt: skip
    assert reflect(x).grad_fn.name() == "ReluMaxPool2dOpBackward0"
    two = nn.Sequential(nn.Conv2d(3, 4, 7), nn.ReLU(), nn.MaxPool2d(2))  # a 2x2 output
    assert two(x).grad_fn.name() == "ConvReluMaxPool2dOpBackward0" and two(x).shape == (2, 4, 1, 1)
    one = nn.Sequential(nn.Conv2d(3, 4, 8), nn.ReLU(), nn.MaxPool2d(2))  # a 1x1 output
    with pytest.raises(ValueError, match=r"MaxPool2d\(kernel_size=2\)"):
        one(x)
    with pytest.raises(ValueError, match=r"Conv2d\(in_channels=5\): input has shape"):
        nn.Sequential(nn.Conv2d(5, 4, 3), nn.ReLU(), nn.MaxPool2d(2))(x)


def test_fused_op_gradcheck_float64():
    x = gradlab.Tensor(rng.standard_normal((2, 3, 7, 6)), requires_grad=True)
    assert gradcheck(lambda t: ReluMaxPool2dOp.apply(t), (x,))


def test_hook_sees_its_own_layers_output():
    seen = []
    relu, pool = nn.ReLU(), nn.MaxPool2d(2)
    relu.register_forward_hook(lambda module, inputs, output: seen.append(output.shape))
    out = nn.Sequential(relu, pool)(gradlab.Tensor(_inputs((1, 2, 4, 4), False)))
    assert seen == [(1, 2, 4, 4)]
    assert out.grad_fn is None or out.grad_fn.name() == "MaxPool2dOpBackward0"
    x = gradlab.Tensor(_inputs((1, 2, 4, 4), False), requires_grad=True)
    assert nn.Sequential(relu, pool)(x).grad_fn.name() == "MaxPool2dOpBackward0"


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
def test_other_pooling_settings_run_separately(pool):
    x_np = _inputs((2, 3, 9, 9), True)
    x = gradlab.Tensor(x_np, requires_grad=True)
    out = nn.Sequential(nn.ReLU(), pool)(x)
    assert out.grad_fn.name() == "MaxPool2dOpBackward0"
    expected = pool(nn.ReLU()(gradlab.Tensor(x_np)))
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


def test_unbatched_and_plain_array_inputs():
    x_np = _inputs((3, 6, 6), True)
    model = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2))
    expected = np.maximum(x_np, 0).reshape(3, 3, 2, 3, 2).max(axis=(2, 4))
    np.testing.assert_array_equal(model(gradlab.Tensor(x_np)).data, expected)
    np.testing.assert_array_equal(model(x_np[None]).numpy(), expected[None])


def test_plan_follows_changes_to_the_module_list():
    model = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2))
    x = gradlab.Tensor(-np.ones((1, 1, 2, 2), np.float32), requires_grad=True)
    assert model(x).grad_fn.name() == "ReluMaxPool2dOpBackward0"
    model[0] = nn.Tanh()
    out = model(x)
    assert out.grad_fn.name() == "MaxPool2dOpBackward0"
    np.testing.assert_allclose(out.numpy(), np.tanh(-1.0), rtol=1e-6)
    model[0] = nn.ReLU()
    model.append(nn.Flatten())
    assert model(x).grad_fn.name() == "ReshapeBackward0"
    np.testing.assert_array_equal(model(x).numpy(), np.zeros((1, 1), np.float32))


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
    out = model(x)
    assert out.grad_fn.name() == "LinearReluOpBackward0"
    ops = [node.op for node in gradlab.explain.graph(out).ops]
    assert ops == ["LinearReluOp", "LinearReluOp"]
    tx = torch.tensor(x_np, requires_grad=True)
    t_out = t_model(tx)
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), rtol=1e-12, atol=1e-12)
    grad = rng.standard_normal(out.shape)
    out.backward(grad)
    t_out.backward(torch.from_numpy(grad))
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    for p, tp in zip(model.parameters(), t_model.parameters(), strict=True):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_fused_linear_relu_gradcheck_and_retain_graph():
    from gradlab.nn.linear import LinearReluOp

    x = gradlab.Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    w = gradlab.Tensor(rng.standard_normal((5, 3)), requires_grad=True)
    b = gradlab.Tensor(rng.standard_normal(5), requires_grad=True)
    assert gradcheck(lambda *t: LinearReluOp.apply(*t), (x, w, b))
    out = LinearReluOp.apply(x, w, b).sum()
    out.backward(retain_graph=True)
    first = w.grad.numpy().copy()
    out.backward()
    np.testing.assert_allclose(w.grad, 2 * first)


def test_linear_relu_hook_and_plain_array_run_separately():
    linear, relu = nn.Linear(3, 2), nn.ReLU()
    seen = []
    relu.register_forward_hook(lambda module, inputs, output: seen.append(output.shape))
    x = gradlab.Tensor(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    assert nn.Sequential(linear, relu)(x).grad_fn.name() == "ReluBackward0" and seen == [(4, 2)]
    out = nn.Sequential(nn.Linear(3, 2), nn.ReLU())(np.ones((4, 3), np.float32))
    assert out.grad_fn.name() == "ReluBackward0"
    with pytest.raises(ValueError, match=r"Linear\(in_features=3\): input has shape \(4, 5\)"):
        nn.Sequential(nn.Linear(3, 2), nn.ReLU())(gradlab.Tensor(np.ones((4, 5), np.float32)))
