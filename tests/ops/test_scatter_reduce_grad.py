"""scatter_reduce in every reduction, include_self both ways: values and gradients (input
and src) against PyTorch, and against finite differences."""

import numpy as np
import pytest

import gradlab
from gradlab.autograd import gradcheck

torch = pytest.importorskip("torch")

REDUCES = ["sum", "prod", "mean", "amax", "amin"]


def _case(kind, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.uniform(-2, 2, (4, 5))
    src = rng.uniform(-2, 2, (3, 5))
    index = rng.integers(0, 4, (3, 5))
    if kind == "ties":  # repeated values for amax/amin ties and zeros for prod
        a = np.round(a)
        src = np.round(src)
        src[0, :2] = 0.0
        a[1, 1] = 0.0
    if kind == "small_index":  # index smaller than src
        index = index[:2, :3]
    return a, src, index


@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("kind", ["plain", "ties", "small_index"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_against_torch(reduce, include_self, kind, dim):
    a, src, index = _case(kind)
    ga, gs = gradlab.tensor(a, requires_grad=True), gradlab.tensor(src, requires_grad=True)
    ta, ts = torch.tensor(a, requires_grad=True), torch.tensor(src, requires_grad=True)
    out = gradlab.scatter_reduce(
        ga, dim, gradlab.tensor(index), gs, reduce, include_self=include_self
    )
    expected = torch.scatter_reduce(
        ta, dim, torch.tensor(index), ts, reduce, include_self=include_self
    )
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-12)
    if kind == "small_index":
        # PyTorch's backward fails when src is larger than index ("returned an invalid
        # gradient"); gradlab's gives src's unused entries zero: checked by differences.
        idx = gradlab.tensor(index)
        assert gradcheck(
            lambda x, s: (
                gradlab.scatter_reduce(x, dim, idx, s, reduce, include_self=include_self)
                .sin()
                .sum()
            ),
            (gradlab.tensor(a, requires_grad=True), gradlab.tensor(src, requires_grad=True)),
        )
        return
    upstream = np.random.default_rng(5).uniform(-1, 1, a.shape)
    (out * gradlab.tensor(upstream)).sum().backward()
    (expected * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(ga.grad.numpy(), ta.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gs.grad.numpy(), ts.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("include_self", [True, False])
def test_finite_differences(reduce, include_self):
    a, src, index = _case("plain", seed=1)  # distinct values: no ties, no zeros
    inputs = (gradlab.tensor(a, requires_grad=True), gradlab.tensor(src, requires_grad=True))
    idx = gradlab.tensor(index)
    assert gradcheck(
        lambda x, s: (
            gradlab.scatter_reduce(x, 1, idx, s, reduce, include_self=include_self).sin().sum()
        ),
        inputs,
    )


def test_method_and_errors():
    x = gradlab.zeros(2, 3, requires_grad=True)
    out = x.scatter_reduce(1, gradlab.tensor([[0, 0], [1, 2]]), gradlab.ones(2, 2), "amax")
    assert out.requires_grad
    with pytest.raises(RuntimeError, match="reduce argument"):
        gradlab.scatter_reduce(x, 1, gradlab.tensor([[0]]), gradlab.ones(1, 1), "max")
