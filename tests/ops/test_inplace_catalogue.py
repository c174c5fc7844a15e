"""The catalogue's in-place variants (sin_, scatter_, index_add_ ...) against torch: values,
gradients through a non-leaf, the version counter, and PyTorch's refusals."""

import numpy as np
import pytest

import gradlab
from gradlab.ops.inplace_catalogue import NAMES

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)
X = rng.uniform(0.1, 0.9, (3, 4)).astype(np.float32)
Y = rng.uniform(0.1, 0.9, (3, 4)).astype(np.float32)
INDEX = np.array([[0, 1, 2, 0], [2, 0, 1, 1], [1, 2, 0, 2]])

# name, arguments as functions of the library (L), all differentiable in self
CASES = [
    ("sin_", lambda L: ()),
    ("acos_", lambda L: ()),
    ("expm1_", lambda L: ()),
    ("log1p_", lambda L: ()),
    ("erf_", lambda L: ()),
    ("reciprocal_", lambda L: ()),
    ("rsqrt_", lambda L: ()),
    ("logit_", lambda L: (1e-3,)),
    ("atan2_", lambda L: (L.tensor(Y),)),
    ("hypot_", lambda L: (L.tensor(Y),)),
    ("xlogy_", lambda L: (L.tensor(Y),)),
    ("cumsum_", lambda L: (1,)),
    ("tril_", lambda L: ()),
    ("triu_", lambda L: (1,)),
    ("scatter_", lambda L: (1, L.tensor(INDEX), L.tensor(Y))),
    ("scatter_add_", lambda L: (1, L.tensor(INDEX), L.tensor(Y))),
    ("index_add_", lambda L: (0, L.tensor(np.array([2, 0])), L.tensor(Y[:2]))),
    ("index_fill_", lambda L: (1, L.tensor(np.array([1, 3])), -1.0)),
    ("addmm_", lambda L: (L.tensor(Y[:, :2].copy()), L.tensor(X[:2].copy()))),
]


@pytest.mark.parametrize("name, args", CASES, ids=[c[0] for c in CASES])
def test_values_and_gradients_match_torch(name, args):
    weights = rng.standard_normal(X.shape).astype(np.float32)
    ours_x = gradlab.tensor(X, requires_grad=True)
    ours = ours_x * 1.0
    version = ours._version
    assert getattr(ours, name)(*args(gradlab)) is ours
    assert ours._version == version + 1
    (ours * gradlab.tensor(weights)).sum().backward()
    theirs_x = torch.tensor(X, requires_grad=True)
    theirs = theirs_x * 1.0
    getattr(theirs, name)(*args(torch))
    (theirs * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_every_name_is_a_torch_in_place_method_and_bound():
    for name in NAMES:
        assert hasattr(torch.Tensor, name), name
        assert hasattr(gradlab.Tensor, name), name


def test_refusals_as_torch():
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        gradlab.tensor([1, 2, 3]).sin_()
    leaf = gradlab.tensor([0.5], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        leaf.sin_()
    saved = gradlab.tensor([0.5], requires_grad=True) * 1.0
    out = saved.exp()
    saved.cos_()
    out.sum().backward()  # exp saved its output, not its input: torch allows this too
    kept = gradlab.tensor([0.5], requires_grad=True) * 1.0
    out = kept.sin()
    kept.cos_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_scatter_into_a_vector_takes_a_zero_dim_index_as_torch():
    """The data tutorial's one-hot: ``zeros(10).scatter_(0, tensor(y), value=1)``."""
    ours = gradlab.zeros(10).scatter_(0, gradlab.tensor(7), value=1)
    theirs = torch.zeros(10).scatter_(0, torch.tensor(7), value=1)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        gradlab.zeros(3, 2).scatter(0, gradlab.tensor(1), 5.0)
