"""The compiled 2x2 max pooling (numba) against the NumPy reference: values, masks, gradients.

Skipped unless numba is installed; each test asserts that the compiled path really ran.
"""

import numpy as np
import pytest

import gradlab
from gradlab import nn
from gradlab._fast import compiled
from gradlab.ops import pool

pytest.importorskip("numba")


def _reference(fn, *args, **kwargs):
    old = compiled.set_enabled(False)
    try:
        return fn(*args, **kwargs)
    finally:
        compiled.set_enabled(old)


def _input(shape, dtype, transposed):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    x[0, :2, :2, 0] = 1.5  # a tie in a window: the first corner wins
    x[0, 2:4, :2, 0] = [[0, 0], [0, 0]]  # relu'(0) = 0
    x[-1, -1, 0, -1] = np.nan
    if transposed:  # a conv's output: a channels-last view of other strides
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2)).transpose(0, 2, 3, 1)
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("shape", [(2, 6, 8, 3), (3, 7, 5, 4)])
@pytest.mark.parametrize("transposed", [False, True])
def test_kernel_matches_reference(shape, relu, dtype, transposed):
    x = _input(shape, dtype, transposed)
    ho, wo = shape[1] // 2, shape[2] // 2
    before = dict(compiled.CALLS)
    out, masks = pool.max_pool_2x2(x, ho, wo, relu)
    ref_out, ref_masks = _reference(pool.max_pool_2x2, x, ho, wo, relu)
    np.testing.assert_array_equal(out, ref_out)
    for m, r in zip(masks, ref_masks):
        np.testing.assert_array_equal(m, r)
    g = np.random.default_rng(1).standard_normal(out.shape).astype(dtype)
    g[0, 0, 0, 0] = np.inf
    with np.errstate(invalid="ignore"):
        dx = pool.max_pool_2x2_backward(g, masks, x.shape, ho, wo)
        ref_dx = _reference(pool.max_pool_2x2_backward, g, ref_masks, x.shape, ho, wo)
    np.testing.assert_array_equal(dx, ref_dx)
    assert compiled.CALLS["max_pool_2x2"] == before.get("max_pool_2x2", 0) + 1
    assert compiled.CALLS["max_pool_2x2_backward"] == before.get("max_pool_2x2_backward", 0) + 1


def test_layers_give_the_same_values_and_gradients_both_ways():
    gradlab.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.MaxPool2d(2))
    x = np.random.default_rng(2).standard_normal((2, 3, 11, 10)).astype(np.float32)

    def run():
        xt = gradlab.tensor(x, requires_grad=True)
        out = model(xt)
        (out * out).sum().backward()
        grads = [p.grad.numpy().copy() for p in model.parameters()]
        model.zero_grad()
        return out.numpy(), xt.grad.numpy(), grads

    before = compiled.CALLS["max_pool_2x2"]
    fast = run()
    assert compiled.CALLS["max_pool_2x2"] > before
    reference = _reference(run)
    np.testing.assert_array_equal(fast[0], reference[0])
    np.testing.assert_array_equal(fast[1], reference[1])
    for a, b in zip(fast[2], reference[2]):
        np.testing.assert_array_equal(a, b)


def test_what_the_kernel_does_not_take_runs_the_reference():
    x = np.arange(2 * 4 * 4 * 1, dtype=np.int64).reshape(2, 4, 4, 1)
    before = compiled.CALLS["max_pool_2x2"]
    out, _ = pool.max_pool_2x2(x, 2, 2, relu=False)
    assert compiled.CALLS["max_pool_2x2"] == before
    np.testing.assert_array_equal(out[0, :, :, 0], [[5, 7], [13, 15]])
