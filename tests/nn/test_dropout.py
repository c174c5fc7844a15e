"""Dropout, Dropout1d, Dropout2d and F.dropout: scaling, eval identity, the fraction dropped,
gradients equal to mask / (1 - p), explicit generators, and errors.

The same mask as PyTorch's is impossible (different generators), so the PyTorch cross-check
is on what both must share: the kept values equal x / (1 - p) and the rest are zero.
"""

import math

import numpy as np
import pytest

import gradlab
from gradlab import nn
from gradlab.autograd import gradcheck
from gradlab.nn.dropout import dropout, dropout1d, dropout2d


def x_of(shape, dtype=np.float32, requires_grad=True):
    data = np.random.default_rng(0).uniform(1, 2, shape).astype(dtype)  # never zero
    return gradlab.tensor(data, requires_grad=requires_grad)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_fraction_dropped_and_scaling(p):
    n = 200_000
    x = x_of((n,))
    y = nn.Dropout(p, generator=np.random.default_rng(1))(x)
    dropped = (y.numpy() == 0).mean()
    # a binomial proportion: standard error sqrt(p (1 - p) / n) <= 0.0012; allow 6 of them
    assert abs(dropped - p) < 6 * math.sqrt(p * (1 - p) / n)
    kept = y.numpy() != 0
    np.testing.assert_allclose(y.numpy()[kept], x.numpy()[kept] / (1 - p), rtol=1e-6)
    assert y.dtype == np.float32


def test_gradient_is_mask_over_keep_probability():
    p = 0.3
    x = x_of((50, 40))
    y = nn.Dropout(p, generator=np.random.default_rng(2))(x)
    upstream = np.random.default_rng(3).standard_normal(y.shape).astype(np.float32)
    y.backward(upstream)
    mask = (y.numpy() != 0).astype(np.float32)
    np.testing.assert_allclose(x.grad, upstream * mask / (1 - p), rtol=1e-6)


def test_eval_mode_is_identity_and_p_zero_is_identity():
    x = x_of((4, 5))
    d = nn.Dropout(0.5)
    d.eval()
    assert d(x) is x
    assert nn.Dropout(0.0)(x) is x
    assert dropout(x, 0.5, training=False) is x


def test_p_one_zeroes_everything_with_zero_gradient():
    x = x_of((3, 4))
    y = nn.Dropout(1.0)(x)
    np.testing.assert_array_equal(y.numpy(), np.zeros((3, 4)))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros((3, 4)))


def test_generator_at_construction_and_default_generator_at_call_time():
    x = x_of((100,), requires_grad=False)
    a = nn.Dropout(0.5, generator=np.random.default_rng(9))(x).numpy()
    b = nn.Dropout(0.5, generator=np.random.default_rng(9))(x).numpy()
    np.testing.assert_array_equal(a, b)
    d = nn.Dropout(0.5)
    gradlab.manual_seed(4)
    c = d(x).numpy()
    gradlab.manual_seed(4)
    np.testing.assert_array_equal(d(x).numpy(), c)
    assert not np.array_equal(d(x).numpy(), c)  # the stream moves on


def test_functional_generator():
    x = x_of((64,), requires_grad=False)
    a = dropout(x, 0.4, generator=np.random.default_rng(0)).numpy()
    b = dropout(x, 0.4, generator=np.random.default_rng(0)).numpy()
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("p", [-0.1, 1.5, "half"])
def test_bad_p_names_p_and_value(p):
    with pytest.raises(ValueError, match=rf"p={p!r}"):
        nn.Dropout(p)
    with pytest.raises(ValueError, match="p has to be between 0 and 1"):
        dropout(x_of((2,)), p)


def test_kept_values_match_torch_rule():
    torch = pytest.importorskip("torch")
    p = 0.25
    x = x_of((1000,), requires_grad=False)
    torch.manual_seed(0)
    ty = torch.nn.Dropout(p)(torch.tensor(x.numpy())).numpy()
    gy = nn.Dropout(p, generator=np.random.default_rng(0))(x).numpy()
    for y in (ty, gy):
        kept = y != 0
        np.testing.assert_allclose(y[kept], x.numpy()[kept] / (1 - p), rtol=1e-6)


def test_dropout2d_zeroes_whole_channels():
    p = 0.5
    x = x_of((8, 16, 3, 3))
    y = nn.Dropout2d(p, generator=np.random.default_rng(0))(x)
    per_channel = y.numpy().reshape(8, 16, 9)
    zero = (per_channel == 0).all(axis=2)
    kept = (per_channel != 0).all(axis=2)
    assert (zero | kept).all()  # each channel all dropped or all kept
    assert 0 < zero.mean() < 1
    np.testing.assert_allclose(
        per_channel[kept], (x.numpy().reshape(8, 16, 9) / (1 - p))[kept], rtol=1e-6
    )
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.broadcast_to(kept[:, :, None, None], x.shape) * 2.0)


def test_dropout2d_warns_as_pytorch_on_2d_and_3d_inputs():
    """PyTorch warns (it does not raise) on a 2-D input, and reads a 3-D input as (N, C, L)."""
    torch = pytest.importorskip("torch")
    for shape in [(4, 5), (16, 3, 3)]:
        with pytest.warns(UserWarning) as ours:
            y = dropout2d(x_of(shape), 0.5, generator=np.random.default_rng(1)).numpy()
        with pytest.warns(UserWarning) as theirs:
            torch.nn.functional.dropout2d(torch.zeros(shape), 0.5)
        assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
        if len(shape) == 3:  # channel-wise over (N, C, L): each (n, c) row all kept or zeroed
            zero = y == 0
            assert (zero.all(axis=2) | (~zero).all(axis=2)).all()
    with pytest.warns(UserWarning, match="2-D input"):
        nn.Dropout2d(0.5).eval()(x_of((4, 5)))
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input"):
        dropout1d(x_of((4,)), 0.5)


def test_dropout1d_zeroes_whole_channels_and_eval():
    x = x_of((4, 6, 5))
    d = nn.Dropout1d(0.5, generator=np.random.default_rng(0))
    y = d(x).numpy()
    zero = (y == 0).all(axis=2)
    assert (zero | (y != 0).all(axis=2)).all()
    d.eval()
    assert d(x) is x


def test_repr():
    assert repr(nn.Dropout(0.2)) == "Dropout(p=0.2, inplace=False)"


def test_dropout_gradcheck_float64_with_a_fixed_mask():
    x = gradlab.tensor(np.random.default_rng(0).standard_normal((4, 5)), requires_grad=True)
    # a fresh generator with the same seed per call: the same mask for every evaluation
    assert gradcheck(lambda t: dropout(t, 0.4, generator=np.random.default_rng(1)), (x,))
    assert gradcheck(
        lambda t: dropout2d(t, 0.5, generator=np.random.default_rng(2)),
        (
            gradlab.tensor(
                np.random.default_rng(3).standard_normal((2, 3, 2, 2)), requires_grad=True
            ),
        ),
    )
