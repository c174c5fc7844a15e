"""Categorical, Bernoulli, Normal, Uniform against torch.distributions: log_prob, entropy,
moments and their gradients with the same parameters; sample shapes and statistics."""

import numpy as np
import pytest

import gradlab
from gradlab import distributions as D
from gradlab.autograd import gradcheck

torch = pytest.importorskip("torch")
TD = torch.distributions

rng = np.random.default_rng(0)
LOGITS = rng.standard_normal((2, 3, 4))
PROBS = rng.random((2, 3, 4)) + 0.05
P = rng.uniform(0.05, 0.95, (3, 2))
LOC, SCALE = rng.standard_normal((3, 2)), rng.uniform(0.5, 2.0, (3, 2))


def _both(make_ours, make_theirs, params):
    """(ours, theirs, our leaves, their leaves) built from the same float64 parameters."""
    g = [gradlab.tensor(p, requires_grad=True) for p in params]
    t = [torch.tensor(p, requires_grad=True) for p in params]
    return make_ours(*g), make_theirs(*t), g, t


def _check(ours_value, theirs_value, g, t):
    np.testing.assert_allclose(ours_value.numpy(), theirs_value.detach().numpy(), rtol=1e-10,
                               atol=1e-12)  # fmt: skip
    weights = rng.standard_normal(theirs_value.shape)
    (ours_value * gradlab.tensor(weights)).sum().backward()
    (theirs_value * torch.tensor(weights)).sum().backward()
    for a, b in zip(g, t):
        if b.grad is None:  # a parameter the value does not depend on
            assert a.grad is None or not np.asarray(a.grad).any()
            continue
        np.testing.assert_allclose(np.asarray(a.grad), b.grad.numpy(), rtol=1e-9, atol=1e-12)


CASES = {
    "categorical-logits": (lambda x: D.Categorical(logits=x), lambda x: TD.Categorical(logits=x),
                           [LOGITS], np.array([[0, 3, 1], [2, 2, 0]])),
    "categorical-probs": (lambda x: D.Categorical(probs=x), lambda x: TD.Categorical(probs=x),
                          [PROBS], np.array([[0, 3, 1], [2, 2, 0]])),
    "bernoulli-probs": (lambda x: D.Bernoulli(probs=x), lambda x: TD.Bernoulli(probs=x), [P],
                        (rng.random((3, 2)) < 0.5).astype(float)),
    "bernoulli-logits": (lambda x: D.Bernoulli(logits=x), lambda x: TD.Bernoulli(logits=x),
                         [LOC], (rng.random((3, 2)) < 0.5).astype(float)),
    "normal": (D.Normal, TD.Normal, [LOC, SCALE], rng.standard_normal((4, 3, 2))),
    "uniform": (D.Uniform, TD.Uniform, [LOC, LOC + SCALE], LOC + 0.3 * SCALE),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("what", ["log_prob", "entropy", "mean", "stddev", "variance"])
def test_matches_torch(name, what):
    make_ours, make_theirs, params, value = CASES[name]
    ours, theirs, g, t = _both(make_ours, make_theirs, params)
    assert ours.batch_shape == tuple(theirs.batch_shape)
    if what == "log_prob":
        wrap = torch.tensor(value) if not name.startswith("categorical") else torch.tensor(value)
        _check(ours.log_prob(gradlab.tensor(value)), theirs.log_prob(wrap), g, t)
    elif what == "entropy":
        _check(ours.entropy(), theirs.entropy(), g, t)
    elif name.startswith("categorical"):  # PyTorch's moments of a Categorical are NaN
        assert np.isnan(getattr(ours, what).numpy()).all()
        assert getattr(ours, what).shape == tuple(getattr(theirs, what).shape)
    else:
        _check(getattr(ours, what), getattr(theirs, what), g, t)


@pytest.mark.parametrize("name", list(CASES))
def test_sample_shapes_and_dtypes(name):
    make_ours, make_theirs, params, _ = CASES[name]
    ours = make_ours(*[gradlab.tensor(p) for p in params])
    theirs = make_theirs(*[torch.tensor(p) for p in params])
    for shape in [(), (5,), (2, 3)]:
        got, expected = ours.sample(shape), theirs.sample(shape)
        assert got.shape == tuple(expected.shape)
        assert got.dtype == expected.numpy().dtype
        assert not got.requires_grad


def test_sample_statistics():
    gradlab.manual_seed(0)
    c = D.Categorical(probs=gradlab.tensor([0.2, 0.5, 0.3]))
    counts = np.bincount(c.sample((20000,)).numpy(), minlength=3) / 20000
    np.testing.assert_allclose(counts, [0.2, 0.5, 0.3], atol=0.015)
    b = D.Bernoulli(probs=gradlab.tensor([0.1, 0.8]))
    np.testing.assert_allclose(b.sample((20000,)).numpy().mean(0), [0.1, 0.8], atol=0.015)
    n = D.Normal(gradlab.tensor([1.0]), gradlab.tensor([2.0])).sample((20000,)).numpy()
    assert abs(n.mean() - 1) < 0.05 and abs(n.std() - 2) < 0.05
    u = D.Uniform(-1.0, 3.0).sample((20000,)).numpy()
    assert u.min() >= -1 and u.max() < 3 and abs(u.mean() - 1) < 0.05


def test_rsample_is_reparameterized_and_sample_is_not():
    loc = gradlab.tensor([0.5, -1.0], dtype=gradlab.float64, requires_grad=True)
    scale = gradlab.tensor([1.5, 0.5], dtype=gradlab.float64, requires_grad=True)
    assert D.Normal.has_rsample and not D.Categorical.has_rsample
    gradlab.manual_seed(3)
    x = D.Normal(loc, scale).rsample((4,))
    x.sum().backward()
    gradlab.manual_seed(3)
    eps = (D.Normal(gradlab.zeros(2, dtype=gradlab.float64), 1.0).sample((4,))).numpy()
    np.testing.assert_allclose(np.asarray(loc.grad), [4.0, 4.0])
    np.testing.assert_allclose(np.asarray(scale.grad), eps.sum(0), rtol=1e-12)
    low = gradlab.tensor([0.0], dtype=gradlab.float64, requires_grad=True)
    high = gradlab.tensor([2.0], dtype=gradlab.float64, requires_grad=True)
    assert gradcheck(lambda lo, hi: D.Uniform(lo, hi).entropy(), (low, high))
    logits = gradlab.tensor(LOGITS[0], requires_grad=True)
    assert gradcheck(lambda z: D.Categorical(logits=z).log_prob(gradlab.tensor([1, 0, 3])),
                     (logits,))  # fmt: skip
    assert gradcheck(
        lambda z: D.Bernoulli(logits=z).entropy(), (gradlab.tensor(LOC, requires_grad=True),)
    )
    with pytest.raises(NotImplementedError, match="rsample"):
        D.Categorical(logits=logits).rsample()


def test_python_numbers_give_the_default_dtype_as_torch():
    assert D.Normal(0.0, 1.0).sample().dtype == np.float32
    assert D.Uniform(0, 1).mean.dtype == np.float32


@pytest.mark.parametrize(
    "make",
    [
        lambda m, w: m.Normal(w([0.0]), w([-1.0])),
        lambda m, w: m.Uniform(w([1.0]), w([0.0])),
        lambda m, w: m.Bernoulli(probs=w([1.5])),
        lambda m, w: m.Categorical(probs=w([0.2]), logits=w([0.1])),
        lambda m, w: m.Categorical(),
        lambda m, w: m.Uniform(w([0.0]), w([1.0])).log_prob(w([2.0])),
        lambda m, w: m.Bernoulli(probs=w([0.5])).log_prob(w([0.5])),
        lambda m, w: m.Categorical(logits=w([0.0, 0.0])).log_prob(w([2])),
    ],
)
def test_invalid_arguments_raise_value_error_as_torch(make):
    with pytest.raises(ValueError):
        make(TD, torch.tensor)
    with pytest.raises(ValueError):
        make(D, gradlab.tensor)
