"""nn.MultiheadAttention with kdim/vdim, add_bias_kv and add_zero_attn against PyTorch with
the same weights: state_dict names and shapes, outputs, weights and gradients."""

import numpy as np
import pytest

import gradlab
from gradlab import nn

torch = pytest.importorskip("torch")

CONFIGS = [
    dict(kdim=3, vdim=5),
    dict(kdim=3),
    dict(add_bias_kv=True),
    dict(add_zero_attn=True),
    dict(add_bias_kv=True, add_zero_attn=True, kdim=6, vdim=4),
    dict(add_bias_kv=True, bias=False),
    dict(kdim=3, vdim=5, batch_first=True),
]


def _pair(config, seed=0):
    torch.manual_seed(seed)
    theirs = torch.nn.MultiheadAttention(8, 2, **config).double()
    ours = nn.MultiheadAttention(8, 2, **config, dtype=gradlab.float64)
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(state)
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {
        k: v.shape for k, v in state.items()
    }
    ours.load_state_dict(state)
    return ours, theirs


def _inputs(config, batched=True, seed=1):
    rng = np.random.default_rng(seed)
    kdim, vdim = config.get("kdim", 8), config.get("vdim", 8)
    n = (2,) if batched else ()
    first = config.get("batch_first", False) and batched
    shape = (lambda s, d: (*n, s, d)) if first else (lambda s, d: (s, *n, d))
    return [rng.uniform(-1, 1, shape(s, d)) for s, d in ((4, 8), (5, kdim), (5, vdim))]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
@pytest.mark.parametrize("masks", [False, True])
@pytest.mark.parametrize("average", [True, False])
def test_against_torch(config, masks, average):
    ours, theirs = _pair(config)
    arrays = _inputs(config)
    g = [gradlab.tensor(a, requires_grad=True) for a in arrays]
    t = [torch.tensor(a, requires_grad=True) for a in arrays]
    kw_g, kw_t = {}, {}
    if masks:
        attn = np.triu(np.ones((4, 5), bool), 2)
        padding = np.zeros((2, 5), bool)
        padding[1, -1] = True
        kw_g = dict(attn_mask=gradlab.tensor(attn), key_padding_mask=gradlab.tensor(padding))
        kw_t = dict(attn_mask=torch.tensor(attn), key_padding_mask=torch.tensor(padding))
    out_g, w_g = ours(*g, average_attn_weights=average, **kw_g)
    out_t, w_t = theirs(*t, average_attn_weights=average, **kw_t)
    assert out_g.shape == tuple(out_t.shape) and w_g.shape == tuple(w_t.shape)
    np.testing.assert_allclose(out_g.detach().numpy(), out_t.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(w_g.detach().numpy(), w_t.detach().numpy(), atol=1e-12)
    (out_g.sin().sum() + (w_g * w_g).sum()).backward()
    (out_t.sin().sum() + (w_t * w_t).sum()).backward()
    for a, b in zip(g, t):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-12)
    grads_t = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), grads_t[name].grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("config", CONFIGS[:5], ids=str)
def test_unbatched_as_torch(config):
    ours, theirs = _pair(config)
    arrays = _inputs(config, batched=False)
    out_g, w_g = ours(*[gradlab.tensor(a) for a in arrays])
    out_t, w_t = theirs(*[torch.tensor(a) for a in arrays])
    np.testing.assert_allclose(out_g.numpy(), out_t.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(w_g.numpy(), w_t.detach().numpy(), atol=1e-12)


def test_parameters_initialised_as_torch():
    m = nn.MultiheadAttention(8, 2, kdim=3, vdim=5, add_bias_kv=True)
    assert m.in_proj_weight is None and m.q_proj_weight.shape == (8, 8)
    assert m.k_proj_weight.shape == (8, 3) and m.v_proj_weight.shape == (8, 5)
    assert m.bias_k.shape == (1, 1, 8) and m.bias_k.numpy().std() > 0
    assert not m.in_proj_bias.numpy().any() and not m.out_proj.bias.numpy().any()
    assert not m._qkv_same_embed_dim and nn.MultiheadAttention(8, 2)._qkv_same_embed_dim


def test_wrong_key_width_is_refused():
    m = nn.MultiheadAttention(8, 2, kdim=3)
    with pytest.raises(AssertionError, match="kdim"):
        m(gradlab.ones(4, 2, 8), gradlab.ones(5, 2, 8), gradlab.ones(5, 2, 8))
