"""BatchNorm1d, BatchNorm2d, LayerNorm and their functional forms against PyTorch (train and
eval, running statistics over several steps) and against finite differences in float64."""

import numpy as np
import pytest
from modulecheck import module_gradcheck

import gradlab
from gradlab import nn
from gradlab.nn.normalization import batch_norm, layer_norm

ATOL, RTOL = 1e-5, 1e-4


def randomize_affine(torch, t):
    """Non-trivial weight and bias, so their gradients and effect are really tested."""
    with torch.no_grad():
        for p in t.parameters():
            p.copy_(torch.randn(p.shape))


def step_both(torch, g, t, x, rng):
    """One forward/backward through both; compare output, input and parameter gradients."""
    gx = gradlab.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    gy, ty = g(gx), t(tx)
    np.testing.assert_allclose(gy.numpy(), ty.detach().numpy(), atol=ATOL, rtol=RTOL)
    up = rng.standard_normal(x.shape).astype(np.float32)
    for p in g.parameters():
        p.grad = None
    gy.backward(up)
    t.zero_grad()
    ty.backward(torch.tensor(up))
    np.testing.assert_allclose(gx.grad, tx.grad.numpy(), atol=ATOL, rtol=RTOL)
    for name, tp in t.named_parameters():
        np.testing.assert_allclose(getattr(g, name).grad, tp.grad.numpy(), atol=ATOL, rtol=RTOL)


def compare_buffers(g, t):
    for name, buf in t.named_buffers():
        np.testing.assert_allclose(getattr(g, name).numpy(), buf.numpy(), atol=ATOL, rtol=RTOL)


@pytest.mark.parametrize(
    "cls,shape,kwargs",
    [
        ("BatchNorm1d", (16, 4), {}),
        ("BatchNorm1d", (8, 3, 5), {}),
        ("BatchNorm2d", (4, 3, 5, 6), {}),
        ("BatchNorm2d", (4, 3, 5, 6), {"momentum": None}),
        ("BatchNorm1d", (16, 4), {"momentum": 0.3, "eps": 1e-3}),
        ("BatchNorm2d", (4, 3, 2, 2), {"affine": False}),
        ("BatchNorm1d", (10, 4), {"track_running_stats": False}),
    ],
)
def test_batchnorm_matches_torch_train_then_eval(cls, shape, kwargs):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    t = getattr(torch.nn, cls)(shape[1], **kwargs)
    randomize_affine(torch, t)
    g = getattr(nn, cls)(shape[1], **kwargs)
    g.load_state_dict(t.state_dict())
    assert list(g.state_dict()) == list(t.state_dict())
    rng = np.random.default_rng(0)
    for _ in range(4):  # several training steps: running statistics accumulate
        x = (rng.standard_normal(shape) * 3 + 1.5).astype(np.float32)
        step_both(torch, g, t, x, rng)
        compare_buffers(g, t)
    g.eval()
    t.eval()
    x = (rng.standard_normal(shape) * 2 - 1).astype(np.float32)
    step_both(torch, g, t, x, rng)
    compare_buffers(g, t)  # eval leaves the buffers alone
    if g.track_running_stats:
        assert int(g.num_batches_tracked.numpy()) == 4


def test_running_var_uses_unbiased_variance():
    bn = nn.BatchNorm1d(1, momentum=1.0)
    x = np.array([[1.0], [2.0], [4.0]], np.float32)
    bn(gradlab.tensor(x))
    assert bn.running_mean.numpy()[0] == pytest.approx(7 / 3)
    assert bn.running_var.numpy()[0] == pytest.approx(np.var(x, ddof=1), rel=1e-6)


def test_batchnorm_gradcheck_float64_train_and_eval():
    rng = np.random.default_rng(0)
    for cls, shape in [
        (nn.BatchNorm1d, (5, 3)),
        (nn.BatchNorm1d, (3, 2, 4)),
        (nn.BatchNorm2d, (2, 3, 2, 3)),
    ]:
        bn = cls(shape[1]).double()
        bn.weight.numpy()[...] = rng.uniform(0.5, 2, shape[1])
        bn.bias.numpy()[...] = rng.standard_normal(shape[1])
        x = gradlab.tensor(rng.standard_normal(shape), requires_grad=True)
        assert module_gradcheck(bn, x)
        bn.running_var.numpy()[...] = rng.uniform(0.5, 2, shape[1])
        bn.eval()
        assert module_gradcheck(bn, x)
    no_affine = nn.BatchNorm1d(3, affine=False).double()
    assert module_gradcheck(
        no_affine, gradlab.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    )


def test_batchnorm_state_dict_and_dtype():
    torch = pytest.importorskip("torch")
    g = nn.BatchNorm2d(3)
    assert list(g.state_dict()) == list(torch.nn.BatchNorm2d(3).state_dict())
    assert g.num_batches_tracked.dtype == np.int64 and g.num_batches_tracked.shape == ()
    g.double()
    assert g.weight.dtype == g.running_mean.dtype == np.float64
    assert g.num_batches_tracked.dtype == np.int64
    assert nn.BatchNorm1d(3, dtype=np.float64).running_var.dtype == np.float64
    assert list(nn.BatchNorm1d(2, track_running_stats=False).state_dict()) == ["weight", "bias"]


def test_batchnorm_errors_name_layer_expected_and_actual():
    with pytest.raises(
        ValueError,
        match=r"BatchNorm1d\(num_features=3\): input has shape "
        r"\(4, 5\), expected \(N, 3\) or \(N, 3, L\)",
    ):
        nn.BatchNorm1d(3)(gradlab.zeros(4, 5))
    with pytest.raises(
        ValueError,
        match=r"BatchNorm2d\(num_features=3\): input has shape "
        r"\(4, 3, 5\), expected \(N, 3, H, W\)",
    ):
        nn.BatchNorm2d(3)(gradlab.zeros(4, 3, 5))
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(gradlab.zeros(1, 3))
    assert int(bn.num_batches_tracked.numpy()) == 0
    bn.eval()
    assert bn(gradlab.zeros(1, 3)).shape == (1, 3)  # eval on one sample is fine


def test_functional_batch_norm_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 3, 4)).astype(np.float32)
    w, b = rng.standard_normal(3).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    rm, rv = np.zeros(3, np.float32), np.ones(3, np.float32)
    trm, trv = torch.zeros(3), torch.ones(3)
    got = batch_norm(
        gradlab.tensor(x), rm, rv, gradlab.tensor(w), gradlab.tensor(b), training=True, momentum=0.2
    )
    want = torch.nn.functional.batch_norm(
        torch.tensor(x), trm, trv, torch.tensor(w), torch.tensor(b), training=True, momentum=0.2
    )
    np.testing.assert_allclose(got.numpy(), want.numpy(), atol=ATOL, rtol=RTOL)
    np.testing.assert_allclose(rm, trm.numpy(), atol=ATOL, rtol=RTOL)
    np.testing.assert_allclose(rv, trv.numpy(), atol=ATOL, rtol=RTOL)
    got = batch_norm(gradlab.tensor(x), rm, rv)
    want = torch.nn.functional.batch_norm(torch.tensor(x), trm, trv)
    np.testing.assert_allclose(got.numpy(), want.numpy(), atol=ATOL, rtol=RTOL)


@pytest.mark.parametrize(
    "normalized_shape,shape,kwargs",
    [
        (5, (4, 5), {}),
        ((3, 4), (2, 3, 4), {}),
        (6, (2, 3, 6), {"eps": 1e-3}),
        (4, (3, 4), {"elementwise_affine": False}),
        (4, (3, 4), {"bias": False}),
    ],
)
def test_layernorm_matches_torch(normalized_shape, shape, kwargs):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    t = torch.nn.LayerNorm(normalized_shape, **kwargs)
    randomize_affine(torch, t)
    g = nn.LayerNorm(normalized_shape, **kwargs)
    g.load_state_dict(t.state_dict())
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * 2 + 1).astype(np.float32)
    step_both(torch, g, t, x, rng)
    g.eval()
    t.eval()
    step_both(torch, g, t, x, rng)  # same in eval: no running statistics


def test_layernorm_gradcheck_float64():
    rng = np.random.default_rng(0)
    ln = nn.LayerNorm((2, 3)).double()
    ln.weight.numpy()[...] = rng.uniform(0.5, 2, (2, 3))
    ln.bias.numpy()[...] = rng.standard_normal((2, 3))
    assert module_gradcheck(ln, gradlab.tensor(rng.standard_normal((3, 2, 3)), requires_grad=True))
    plain = nn.LayerNorm(4, elementwise_affine=False).double()
    assert module_gradcheck(plain, gradlab.tensor(rng.standard_normal((3, 4)), requires_grad=True))


def test_functional_layer_norm_and_errors():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    got = layer_norm(gradlab.tensor(x), (3, 4))
    want = torch.nn.functional.layer_norm(torch.tensor(x), (3, 4))
    np.testing.assert_allclose(got.numpy(), want.numpy(), atol=ATOL, rtol=RTOL)
    with pytest.raises(
        ValueError,
        match=r"LayerNorm\(normalized_shape=\(4,\)\): input has shape "
        r"\(2, 3\), expected trailing dimensions \(4,\)",
    ):
        nn.LayerNorm(4)(gradlab.zeros(2, 3))
    with pytest.raises(ValueError, match="layer_norm: input has shape"):
        layer_norm(gradlab.zeros(2, 3), 4)


def test_reprs():
    assert repr(nn.BatchNorm1d(4)) == (
        "BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"
    )
    assert repr(nn.LayerNorm(4)) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True)"
