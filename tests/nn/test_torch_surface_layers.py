"""Conv1d, ConvTranspose2d, Upsample/interpolate, MultiheadAttention, TransformerEncoder(Layer):
against torch with the same inputs and weights (values and gradients), and gradcheck."""

import warnings

import numpy as np
import pytest
from modulecheck import module_gradcheck

import gradlab
from gradlab import nn
from gradlab.autograd import gradcheck
from gradlab.nn import functional as F

torch = pytest.importorskip("torch")


def _copy_weights(ours, theirs):
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


def _compare(ours, theirs, *shapes, dtype=np.float32, rtol=1e-5, atol=1e-5, call=None):
    """Same inputs through both modules; outputs, input grads and parameter grads agree."""
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal(s).astype(dtype) for s in shapes]
    gx = [gradlab.tensor(x, requires_grad=True) for x in xs]
    tx = [torch.tensor(x, requires_grad=True) for x in xs]
    call = call or (lambda m, *a: m(*a))
    go, to = call(ours, *gx), call(theirs, *tx)
    np.testing.assert_allclose(go.numpy(), to.detach().numpy(), rtol=rtol, atol=atol)
    upstream = rng.standard_normal(to.shape).astype(dtype)
    (go * gradlab.tensor(upstream)).sum().backward()
    (to * torch.tensor(upstream)).sum().backward()
    theirs_params = dict(theirs.named_parameters())
    pairs = list(zip(gx, tx)) + [(p, theirs_params[n]) for n, p in ours.named_parameters()]
    for g, t in pairs:
        if t.grad is None:  # an input the output does not depend on
            assert g.grad is None or not np.asarray(g.grad).any()
            continue
        np.testing.assert_allclose(np.asarray(g.grad), t.grad.numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"stride": 2, "padding": 1}, {"padding": "same", "dilation": 2},
     {"padding": 2, "padding_mode": "reflect", "bias": False}],
)  # fmt: skip
def test_conv1d_matches_torch(kwargs):
    ours, theirs = nn.Conv1d(3, 4, 3, **kwargs), torch.nn.Conv1d(3, 4, 3, **kwargs)
    _copy_weights(ours, theirs)
    assert ours.weight.shape == (4, 3, 3) and set(ours.state_dict()) == set(theirs.state_dict())
    _compare(ours, theirs, (2, 3, 11))
    _compare(ours, theirs, (3, 9))  # unbatched


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"stride": 2}, {"stride": 2, "padding": 1, "output_padding": 1},
     {"stride": (2, 1), "dilation": 2, "bias": False}, {"padding": (1, 0)}],
)  # fmt: skip
def test_conv_transpose2d_matches_torch(kwargs):
    ours, theirs = (
        nn.ConvTranspose2d(3, 2, 3, **kwargs),
        torch.nn.ConvTranspose2d(3, 2, 3, **kwargs),
    )
    _copy_weights(ours, theirs)
    assert ours.weight.shape == (3, 2, 3, 3)
    _compare(ours, theirs, (2, 3, 5, 4))
    _compare(ours, theirs, (3, 4, 4))


def test_conv_transpose2d_output_size_and_init_bounds():
    ours = nn.ConvTranspose2d(2, 3, 3, stride=2)
    theirs = torch.nn.ConvTranspose2d(2, 3, 3, stride=2)
    x = np.zeros((1, 2, 4, 4), np.float32)
    got = ours(gradlab.tensor(x), output_size=(10, 10)).shape
    assert got == tuple(theirs(torch.tensor(x), output_size=(10, 10)).shape) == (1, 3, 10, 10)
    bound = 1 / np.sqrt(3 * 9)  # fan_in of a (C_in, C_out, k, k) weight is C_out * k * k
    assert np.abs(ours.bias.numpy()).max() <= bound
    with pytest.raises(ValueError, match="output padding must be smaller"):
        F.conv_transpose2d(gradlab.zeros(1, 2, 3, 3), gradlab.zeros(2, 2, 3, 3), output_padding=1)


def test_conv_ops_gradcheck_float64():
    rng = np.random.default_rng(1)

    def t(*shape):
        return gradlab.tensor(rng.standard_normal(shape), requires_grad=True)

    assert gradcheck(
        lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
        (t(2, 2, 3, 3), t(2, 3, 3, 2), t(3)),
    )
    assert gradcheck(lambda x, w: F.conv1d(x, w, stride=2, padding=1), (t(2, 2, 7), t(3, 2, 3)))


@pytest.mark.parametrize(
    "kwargs",
    [{"scale_factor": 2}, {"size": (5, 7)}, {"scale_factor": 1.7, "mode": "bilinear"},
     {"size": (7, 3), "mode": "bilinear", "align_corners": True},
     {"scale_factor": (2, 3), "mode": "bilinear", "align_corners": False},
     {"scale_factor": 0.5, "mode": "nearest"}],
)  # fmt: skip
def test_upsample_matches_torch(kwargs):
    _compare(nn.Upsample(**kwargs), torch.nn.Upsample(**kwargs), (2, 3, 4, 6))


def test_interpolate_linear_1d_errors_and_gradcheck():
    x = np.random.default_rng(2).standard_normal((2, 3, 5))
    got = F.interpolate(gradlab.tensor(x), scale_factor=2.5, mode="linear")
    expected = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=2.5, mode="linear")
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-12)
    leaf = gradlab.tensor(x, requires_grad=True)
    assert gradcheck(lambda a: F.interpolate(a, size=8, mode="linear"), (leaf,))
    y = gradlab.tensor(np.random.default_rng(3).standard_normal((1, 2, 3, 4)), requires_grad=True)
    assert gradcheck(lambda a: F.interpolate(a, scale_factor=2, mode="bilinear"), (y,))
    for kwargs in [{"size": 3, "scale_factor": 2}, {}, {"size": 4, "align_corners": True}]:
        with pytest.raises(ValueError) as ours:
            F.interpolate(gradlab.tensor(x), **kwargs)
        with pytest.raises(ValueError) as theirs:
            torch.nn.functional.interpolate(torch.tensor(x), **kwargs)
        assert str(ours.value) == str(theirs.value)


def _mha_pair(batch_first=False, dropout=0.0):
    ours = nn.MultiheadAttention(8, 2, dropout=dropout, batch_first=batch_first)
    theirs = torch.nn.MultiheadAttention(8, 2, dropout=dropout, batch_first=batch_first)
    _copy_weights(ours, theirs)
    return ours, theirs


@pytest.mark.parametrize("batch_first", [False, True])
def test_multihead_attention_matches_torch(batch_first):
    ours, theirs = _mha_pair(batch_first)
    assert set(ours.state_dict()) == set(theirs.state_dict())
    q, kv = ((3, 5, 8), (3, 4, 8)) if batch_first else ((5, 3, 8), (4, 3, 8))
    _compare(ours, theirs, q, kv, kv, call=lambda m, q, k, v: m(q, k, v)[0])
    weights = lambda m, q, k, v: m(q, k, v, average_attn_weights=False)[1]  # noqa: E731
    _compare(ours, theirs, q, kv, kv, call=weights)
    _compare(ours, theirs, (5, 8), (4, 8), (4, 8), call=lambda m, q, k, v: m(q, k, v)[1])


def test_multihead_attention_masks_match_torch():
    ours, theirs = _mha_pair(batch_first=True)
    padding = np.array([[False, False, True, True], [False, False, False, True]])
    causal = np.triu(np.ones((4, 4), bool), 1)
    float_mask = np.random.default_rng(4).standard_normal((4, 4)).astype(np.float32)
    for attn_mask, kpm in [(causal, None), (None, padding), (causal, padding),
                           (float_mask, None)]:  # fmt: skip

        def call(m, x, attn_mask=attn_mask, kpm=kpm):
            wrap = gradlab.tensor if isinstance(m, nn.Module) else torch.tensor
            am = None if attn_mask is None else wrap(attn_mask)
            kp = None if kpm is None else wrap(kpm)
            return m(x, x, x, attn_mask=am, key_padding_mask=kp)[0]

        _compare(ours, theirs, (2, 4, 8), call=call)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_transformer_encoder_matches_torch(norm_first, activation):
    kwargs = dict(dim_feedforward=16, dropout=0.1, activation=activation, norm_first=norm_first)
    with warnings.catch_warnings(record=True) as theirs_warned:
        warnings.simplefilter("always")
        theirs = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, **kwargs), 2)
    with warnings.catch_warnings(record=True) as ours_warned:
        warnings.simplefilter("always")
        ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, **kwargs), 2)
    assert [str(w.message) for w in ours_warned] == [str(w.message) for w in theirs_warned]
    assert set(ours.state_dict()) == set(theirs.state_dict())
    _copy_weights(ours, theirs)
    ours.eval()
    theirs.eval()
    mask = np.triu(np.full((5, 5), True), 1)

    def call(m, x):
        wrap = gradlab.tensor if isinstance(m, nn.Module) else torch.tensor
        return m(x, mask=wrap(mask))

    _compare(ours, theirs, (5, 3, 8), call=call, rtol=2e-5, atol=2e-5)
    ours.train()
    out = ours(gradlab.randn(5, 3, 8))
    assert out.shape == (5, 3, 8)


def test_attention_and_transformer_gradcheck_float64():
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, batch_first=True).double()
    x = gradlab.tensor(np.random.default_rng(5).standard_normal((2, 3, 4)), requires_grad=True)
    assert module_gradcheck(layer, x)
