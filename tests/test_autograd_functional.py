"""gradlab.autograd.functional against torch.autograd.functional: the same functions, inputs
and vectors; results compared in float64, structures (tensor or tuples) compared too."""

import numpy as np
import pytest

import gradlab
from gradlab.autograd.functional import hessian

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(5)
A = RNG.normal(size=(3,))
B = RNG.normal(size=(2, 3))
V_OUT = RNG.normal(size=(2,))


def _f_single(x):
    return (x.exp() * x.sin()).sum()


def _f_vector(x, w):
    return (w @ x).tanh()


def _f_pair(x, w):
    return (w @ x).sin(), (x * x).sum()


def _both(fn_name, func, arrays, tuple_inputs, **kwargs):
    results = []
    for lib in (gradlab, torch):
        inputs = tuple(lib.tensor(a) for a in arrays)
        fn = getattr(lib.autograd.functional, fn_name)
        extra = {
            k: (tuple(lib.tensor(x) for x in v) if isinstance(v, tuple) else lib.tensor(v))
            for k, v in kwargs.items()
        }
        results.append(fn(func, inputs if tuple_inputs else inputs[0], **extra))
    return results


def _compare(ours, theirs):
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            _compare(o, t)
        return
    assert isinstance(ours, gradlab.Tensor)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "fn_name, func, arrays, tuple_inputs, kwargs",
    [
        ("jacobian", _f_single, [A], False, {}),
        ("jacobian", _f_vector, [A, B], True, {}),
        ("jacobian", _f_pair, [A, B], True, {}),
        ("jacobian", lambda x: x.sin() * x[0], [A], False, {}),
        ("hessian", _f_single, [A], False, {}),
        ("hessian", lambda x, w: (w @ x).exp().sum(), [A, B], True, {}),
        ("vjp", _f_vector, [A, B], True, {"v": V_OUT}),
        ("vjp", _f_single, [A], False, {}),
        ("jvp", _f_vector, [A, B], True, {"v": (A * 2, B)}),
        ("jvp", lambda x: x.sin() * x[1], [A], False, {"v": A + 1}),
        ("vhp", _f_single, [A], False, {"v": A + 1}),
        ("hvp", lambda x, w: (w @ x).exp().sum(), [A, B], True, {"v": (A, B * 2)}),
    ],
)
def test_functional_matches_torch(fn_name, func, arrays, tuple_inputs, kwargs):
    ours, theirs = _both(fn_name, func, arrays, tuple_inputs, **kwargs)
    _compare(ours, theirs)


def test_results_are_detached_unless_create_graph():
    x = gradlab.tensor(A, requires_grad=True)
    h = hessian(_f_single, x)
    assert not h.requires_grad
    h = hessian(_f_single, x, create_graph=True)
    assert h.requires_grad
    (g,) = gradlab.autograd.grad(h.sum(), x)  # a third derivative, through hessian
    xt = torch.tensor(A, requires_grad=True)
    ht = torch.autograd.functional.hessian(_f_single, xt, create_graph=True)
    (gt,) = torch.autograd.grad(ht.sum(), xt)
    np.testing.assert_allclose(g.numpy(), gt.numpy(), rtol=1e-10)


def test_unused_inputs_give_zeros_or_raise_in_strict_mode():
    for lib in (gradlab, torch):
        x, y = lib.tensor(A), lib.tensor(A)
        jx, jy = lib.autograd.functional.jacobian(lambda a, b: a * 2, (x, y))
        assert not np.any(jy.numpy())
        with pytest.raises(RuntimeError, match="independent of input 1"):
            lib.autograd.functional.jacobian(lambda a, b: a * 2, (x, y), strict=True)


def test_bad_arguments_raise_as_torch():
    for lib in (gradlab, torch):
        x = lib.tensor(A)
        with pytest.raises(TypeError, match="must be either a Tensor or a tuple of Tensors"):
            lib.autograd.functional.jacobian(lambda a: a, [1.0])
        with pytest.raises(RuntimeError, match="single element"):
            lib.autograd.functional.hessian(lambda a: a * 2, x)
        with pytest.raises(RuntimeError, match="can only be None"):
            lib.autograd.functional.vjp(lambda a: a * 2, x)
