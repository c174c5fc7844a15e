"""The compiled LSTM step kernels (numba) against the NumPy reference loop: each step, and
the whole layer's values and every gradient.

Skipped unless numba is installed; each test asserts that the compiled path really ran.
"""

import numpy as np
import pytest

import gradlab
from gradlab import nn
from gradlab._fast import compiled

pytest.importorskip("numba")
from gradlab._fast import recurrent_kernels  # noqa: E402


def test_tanh_approximation_is_float32_accurate():
    import numba

    x = np.linspace(-12, 12, 200_001).astype(np.float32)
    out = np.empty_like(x)

    @numba.njit
    def run(x, out):
        for k in range(x.size):
            out[k] = recurrent_kernels._tanh(x[k])

    run(x, out)
    exact = np.tanh(x.astype(np.float64))
    assert np.abs(out - exact).max() < 4e-7
    assert np.abs(out).max() <= 1


def _step_inputs(H=5, N=3, seed=0):
    rng = np.random.default_rng(seed)
    f32 = np.float32
    return {
        "a": rng.standard_normal((N, 4 * H)).astype(f32),
        "hw": rng.standard_normal((N, 4 * H)).astype(f32),
        "bias": rng.standard_normal(4 * H).astype(f32),
        "c_prev": rng.standard_normal((H, N)).astype(f32).T,  # a transposed initial state
        "grad_t": rng.standard_normal((N, H)).astype(f32),
        "dh_next": rng.standard_normal((N, H)).astype(f32),
        "dc_next": rng.standard_normal((N, H)).astype(f32),
    }


def test_forward_step_matches_the_reference_passes():
    v = _step_inputs()
    N, H = v["c_prev"].shape
    a_ref = v["a"] + v["hw"] + v["bias"]
    np.tanh(a_ref, out=a_ref)
    a_ref[:, : 3 * H] = a_ref[:, : 3 * H] * 0.5 + 0.5
    i, f, o, g = (a_ref[:, k * H : (k + 1) * H] for k in range(4))
    c_ref = i * g + f * v["c_prev"]
    h_ref = o * np.tanh(c_ref)
    gates = np.stack([np.zeros_like(v["a"]), v["a"]])  # step 1, after step 0
    cells = np.stack([v["c_prev"], np.zeros((N, H), np.float32)])
    y = np.zeros((3, N, H), np.float32)
    c0 = np.zeros((N, H), np.float32)
    step = recurrent_kernels.lstm_forward_stepper(gates, v["hw"], v["bias"], c0, cells, y)
    before = compiled.CALLS["lstm_forward_step"]
    step(1, 0)
    assert compiled.CALLS["lstm_forward_step"] == before + 1
    for got, want in ((gates[1], a_ref), (cells[1], c_ref), (y[1], h_ref)):
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-6)
    assert not y[0].any() and not y[2].any()  # only step 1's rows written
    args = (v["hw"], v["bias"], c0, cells, y)
    assert recurrent_kernels.lstm_forward_stepper(gates.astype(np.float64), *args) is None
    strided = np.empty((2, N, 8 * H), np.float32)[:, :, ::2]
    assert recurrent_kernels.lstm_forward_stepper(strided, *args) is None


def _lstm_run(compiled_on, dtype=np.float32, reverse=False, bidirectional=False, states=False):
    old = compiled.set_enabled(compiled_on)
    try:
        gradlab.manual_seed(3)
        lstm = nn.LSTM(4, 6, num_layers=2, bidirectional=bidirectional, dtype=dtype)
        rng = np.random.default_rng(4)
        x = gradlab.tensor(rng.standard_normal((7, 3, 4)).astype(dtype), requires_grad=True)
        hx = None
        if states:
            d = 4 if bidirectional else 2
            h0 = gradlab.tensor(rng.standard_normal((d, 3, 6)).astype(dtype), requires_grad=True)
            c0 = gradlab.tensor(rng.standard_normal((d, 3, 6)).astype(dtype), requires_grad=True)
            hx = (h0, c0)
        out, (hn, cn) = lstm(x, hx)
        proj = gradlab.tensor(rng.standard_normal(out.shape).astype(dtype))
        ((out * proj).sum() + hn.square().sum() + cn.sum()).backward()
        grads = [x.grad.numpy()] + [p.grad.numpy() for p in lstm.parameters()]
        if states:
            grads += [hx[0].grad.numpy(), hx[1].grad.numpy()]
        return [out.numpy(), hn.numpy(), cn.numpy()], grads
    finally:
        compiled.set_enabled(old)


@pytest.mark.parametrize("bidirectional,states", [(False, False), (True, True), (False, True)])
def test_layer_values_and_every_gradient_match_the_reference(bidirectional, states):
    before = (compiled.CALLS["lstm_forward_step"], compiled.CALLS["lstm_backward_step"])
    values, grads = _lstm_run(True, bidirectional=bidirectional, states=states)
    after = (compiled.CALLS["lstm_forward_step"], compiled.CALLS["lstm_backward_step"])
    steps = 7 * 2 * (2 if bidirectional else 1)  # T steps, 2 layers, directions
    assert after[0] - before[0] == steps and after[1] - before[1] == steps
    ref_values, ref_grads = _lstm_run(False, bidirectional=bidirectional, states=states)
    for got, want in zip(values + grads, ref_values + ref_grads):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-6)


def test_float64_runs_the_reference():
    before = compiled.CALLS["lstm_forward_step"]
    _lstm_run(True, dtype=np.float64)
    assert compiled.CALLS["lstm_forward_step"] == before


def test_backward_step_matches_the_reference_passes():
    from gradlab.ops.lstm import _backward_step

    v = _step_inputs(seed=1)
    N, H = v["c_prev"].shape
    a = np.random.default_rng(2).uniform(0.05, 0.95, (N, 4 * H)).astype(np.float32)
    c_t = np.random.default_rng(3).standard_normal((N, H)).astype(np.float32)
    c0 = np.ascontiguousarray(v["c_prev"])
    for has_next in (False, True):
        want, want_dc = np.empty((N, 4 * H), np.float32), v["dc_next"].copy()
        scratch = [np.empty((N, H), np.float32) for _ in range(3)]
        scratch.append(np.empty((N, 4 * H), np.float32))
        dh_next = v["dh_next"] if has_next else None
        _backward_step(a, v["grad_t"], dh_next, c_t, v["c_prev"], want_dc, want, scratch)
        grad = np.stack([v["grad_t"], np.zeros((N, H), np.float32)])  # (T + 1, N, H), T = 1
        d_all, dc = np.zeros((1, N, 4 * H), np.float32), v["dc_next"].copy()
        step = recurrent_kernels.lstm_backward_stepper(
            a[None], grad, v["dh_next"].copy(), c_t[None], c0, dc, d_all
        )
        before = compiled.CALLS["lstm_backward_step"]
        step(0, -1, has_next)  # the first step: its previous cell state is c0
        assert compiled.CALLS["lstm_backward_step"] == before + 1
        # the kernel's tanh(c) is float32's approximation, the rest the reference's formulas
        np.testing.assert_allclose(d_all[0], want, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(dc, want_dc, rtol=1e-5, atol=1e-7)
