"""Gradient clipping against torch.nn.utils."""

import math

import numpy as np
import pytest

import gradlab
from gradlab.optim import clip_grad_norm_, clip_grad_value_

torch = pytest.importorskip("torch")


def _params(scale=1.0, dtype=np.float32):
    rng = np.random.default_rng(1)
    grads = [rng.standard_normal(s).astype(dtype) * scale for s in [(3, 4), (4,), (2, 2, 2)]]
    gl = []
    th = []
    for g in grads:
        p = gradlab.Tensor(np.zeros(g.shape, dtype=dtype), requires_grad=True)
        p.grad = g.copy()
        gl.append(p)
        t = torch.zeros(g.shape, dtype=torch.from_numpy(g).dtype, requires_grad=True)
        t.grad = torch.from_numpy(g.copy())
        th.append(t)
    return gl, th


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf"), "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    gl, th = _params()
    total = clip_grad_norm_(gl, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(th, max_norm, norm_type=float(norm_type))
    assert isinstance(total, gradlab.Tensor) and total.shape == ()
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-5)
    for a, b in zip(gl, th):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_clip_grad_norm_float64_single_tensor_and_no_grads():
    gl, th = _params(dtype=np.float64)
    total = clip_grad_norm_(gl[0], 1.0)
    expected = torch.nn.utils.clip_grad_norm_(th[0], 1.0)
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-12)
    np.testing.assert_allclose(gl[0].grad, th[0].grad.numpy(), rtol=1e-12)
    assert np.linalg.norm(gl[0].grad) == pytest.approx(1.0, rel=1e-5)
    empty = gradlab.Tensor(np.zeros(2), requires_grad=True)
    assert clip_grad_norm_([empty], 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite():
    gl, _ = _params()
    gl[1].grad[0] = np.inf
    with pytest.raises(RuntimeError, match="non-finite|cannot be clipped"):
        clip_grad_norm_(gl, 1.0, error_if_nonfinite=True)
    total = clip_grad_norm_(gl, 1.0)
    assert math.isinf(total.item())
    with pytest.raises(ValueError, match="norm_type must be > 0 or inf, got -1"):
        clip_grad_norm_(gl, 1.0, norm_type=-1)


def test_clip_grad_value_matches_torch():
    gl, th = _params(scale=3.0)
    assert clip_grad_value_(gl, 1.5) is None
    torch.nn.utils.clip_grad_value_(th, 1.5)
    for a, b in zip(gl, th):
        np.testing.assert_array_equal(a.grad, b.grad.numpy())
    assert max(np.abs(p.grad).max() for p in gl) == pytest.approx(1.5)
