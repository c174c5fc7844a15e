"""Sequential runs ReLU + MaxPool2d(2) as one op: same values and gradients as the separate
layers and as PyTorch (bit for bit: max and relu are exact), and the fusion steps aside for
hooks, other pooling settings, other inputs and changed module lists."""

import numpy as np
import pytest

import gradlab
from gradlab import nn
from gradlab.autograd import gradcheck
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
    assert out.grad_fn.name == "ReluMaxPool2dOp"
    tx = torch.tensor(x_np, requires_grad=True)
    t_out = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.MaxPool2d(2))(tx)
    np.testing.assert_array_equal(out.data, t_out.detach().numpy())
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
def test_fused_block_equals_separate_layers_bit_for_bit(ties):
    """The same network with a do-nothing hook on each ReLU (which turns the fusion off)
    gives identical outputs, input gradients and parameter gradients."""
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
        results.append((out.data, x.grad, [p.grad for p in model.parameters()]))
    (out_a, dx_a, grads_a), (out_b, dx_b, grads_b) = results
    np.testing.assert_array_equal(out_a, out_b)
    np.testing.assert_array_equal(dx_a, dx_b)
    for ga, gb in zip(grads_a, grads_b, strict=True):
        np.testing.assert_array_equal(ga, gb)
    ops = [node.op for node in gradlab.explain.graph(fused(x_np)).ops]
    assert ops.count("ReluMaxPool2dOp") == 2 and "Relu" not in ops


def test_fused_op_gradcheck_float64():
    x = gradlab.Tensor(rng.standard_normal((2, 3, 7, 6)), requires_grad=True)
    assert gradcheck(lambda t: ReluMaxPool2dOp.apply(t), (x,))


def test_hook_sees_its_own_layers_output():
    seen = []
    relu, pool = nn.ReLU(), nn.MaxPool2d(2)
    relu.register_forward_hook(lambda module, inputs, output: seen.append(output.shape))
    out = nn.Sequential(relu, pool)(gradlab.Tensor(_inputs((1, 2, 4, 4), False)))
    assert seen == [(1, 2, 4, 4)]
    assert out.grad_fn is None or out.grad_fn.name == "MaxPool2dOp"
    x = gradlab.Tensor(_inputs((1, 2, 4, 4), False), requires_grad=True)
    assert nn.Sequential(relu, pool)(x).grad_fn.name == "MaxPool2dOp"


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
    assert out.grad_fn.name == "MaxPool2dOp"
    expected = pool(nn.ReLU()(gradlab.Tensor(x_np)))
    np.testing.assert_array_equal(out.data, expected.data)


def test_unbatched_and_plain_array_inputs():
    x_np = _inputs((3, 6, 6), True)
    model = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2))
    expected = np.maximum(x_np, 0).reshape(3, 3, 2, 3, 2).max(axis=(2, 4))
    np.testing.assert_array_equal(model(gradlab.Tensor(x_np)).data, expected)
    np.testing.assert_array_equal(model(x_np[None]).data, expected[None])


def test_plan_follows_changes_to_the_module_list():
    model = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2))
    x = gradlab.Tensor(-np.ones((1, 1, 2, 2), np.float32), requires_grad=True)
    assert model(x).grad_fn.name == "ReluMaxPool2dOp"
    model[0] = nn.Tanh()
    out = model(x)
    assert out.grad_fn.name == "MaxPool2dOp"
    np.testing.assert_allclose(out.data, np.tanh(-1.0), rtol=1e-6)
    model[0] = nn.ReLU()
    model.append(nn.Flatten())
    assert model(x).grad_fn.name == "Reshape"
    np.testing.assert_array_equal(model(x).data, np.zeros((1, 1), np.float32))
