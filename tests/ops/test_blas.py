"""gradlab.ops.blas: the AVX-512 OpenBLAS copy's GEMM against numpy.matmul, its fallbacks,
the switch, the CPU/core detection, and the recurrent ops that use it."""

import os

import numpy as np
import pytest

import gradlab
from gradlab import nn
from gradlab.ops import blas


@pytest.fixture
def forced(monkeypatch):
    """As with GRADLAB_BLAS=avx512: the copy loads even under an explicit OPENBLAS_CORETYPE
    (the state of the module is restored after the test)."""
    monkeypatch.setattr(blas, "_force", True)
    monkeypatch.setattr(blas, "_state", None)


@pytest.fixture
def on(forced):
    """The copy enabled for the test (gemm falls back to NumPy where it cannot load)."""
    old = blas.set_enabled(True)
    yield blas.enabled()
    blas.set_enabled(old)


def _close(got, want):
    assert got.shape == want.shape and got.dtype == want.dtype
    scale = max(float(np.max(np.abs(want))), 1.0) if want.size else 1.0
    if want.dtype == np.float32:
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6 * scale)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13 * scale)


def _rand(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
def test_gemm_matches_matmul_every_transpose(on, dtype, trans_a, trans_b):
    rng = np.random.default_rng(0)
    m, k, n = 37, 129, 65
    a = _rand(rng, (k, m) if trans_a else (m, k), dtype)
    b = _rand(rng, (n, k) if trans_b else (k, n), dtype)
    want = (a.T if trans_a else a) @ (b.T if trans_b else b)
    _close(blas.gemm(a, b, trans_a=trans_a, trans_b=trans_b), want)
    # the same through transposed views passed as such
    _close(blas.gemm(a.T if trans_a else a, b.T if trans_b else b), want)
    out = np.full((m, n), np.nan, dtype)
    assert blas.gemm(a, b, out=out, trans_a=trans_a, trans_b=trans_b) is out
    _close(out, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gemm_beta_accumulates_into_out(on, dtype):
    rng = np.random.default_rng(1)
    a, b, c = _rand(rng, (20, 30), dtype), _rand(rng, (30, 7), dtype), _rand(rng, (20, 7), dtype)
    for beta in (1.0, 0.5):
        out = c.copy()
        blas.gemm(a, b, out=out, beta=beta)
        _close(out, a @ b + beta * c)
    assert blas.gemm(a, b, beta=1.0).shape == (20, 7)  # no out: beta has nothing to scale
    _close(blas.gemm(a, b, beta=1.0), a @ b)


def test_gemm_row_slices_and_strided_views(on):
    rng = np.random.default_rng(2)
    big = _rand(rng, (3, 40, 50), np.float32)
    rows = big[1, :, 3:33]  # a row slice: leading dimension 50 > 30 columns
    cols = big[2, 4:34, :20].T  # a transposed row slice (20, 30)
    b = _rand(rng, (30, 9), np.float32)
    _close(blas.gemm(rows, b), rows @ b)
    _close(blas.gemm(cols, b), cols @ b)
    _close(blas.gemm(b.T, rows.T), b.T @ rows.T)
    _close(blas.gemm(big[0, 7:8, :30], b), big[0, 7:8, :30] @ b)  # one row
    _close(blas.gemm(b.T, big[0, :30, 7:8]), b.T @ big[0, :30, 7:8])  # one column
    every_other = big[0, ::2, ::2]  # no unit stride: NumPy
    w = _rand(rng, (25, 6), np.float32)
    _close(blas.gemm(every_other, w), every_other @ w)


def test_gemm_falls_back_for_what_blas_cannot_take(on):
    rng = np.random.default_rng(3)
    a32, b64 = _rand(rng, (5, 6), np.float32), _rand(rng, (6, 4), np.float64)
    _close(blas.gemm(a32, b64), a32 @ b64)  # mixed dtypes: NumPy promotes
    ai, bi = np.arange(12).reshape(3, 4), np.arange(8).reshape(4, 2)
    np.testing.assert_array_equal(blas.gemm(ai, bi), ai @ bi)  # integers
    stacked, w = _rand(rng, (2, 5, 6), np.float32), _rand(rng, (6, 3), np.float32)
    _close(blas.gemm(stacked, w), stacked @ w)  # 3-D: NumPy broadcasts
    empty = np.zeros((0, 6), np.float32)
    _close(blas.gemm(empty, w), np.zeros((0, 3), np.float32))
    _close(blas.gemm(np.zeros((3, 0), np.float32), np.zeros((0, 2), np.float32)),
           np.zeros((3, 2), np.float32))  # fmt: skip
    a, b = _rand(rng, (4, 4), np.float32), _rand(rng, (4, 4), np.float32)
    want = a @ b
    blas.gemm(a, b, out=a)  # out overlaps an input: NumPy handles it
    _close(a, want)
    out = np.zeros((4, 8), np.float32)[:, ::2]  # a non-contiguous out
    blas.gemm(b, b, out=out)
    _close(out, b @ b)
    unaligned = np.zeros(4 * 16 + 1, np.uint8)[1:].view(np.float32).reshape(4, 4)
    unaligned[...] = b
    _close(blas.gemm(unaligned, b), b @ b)


def test_gemm_plan_matches_gemm(on):
    rng = np.random.default_rng(4)
    w = _rand(rng, (16, 9), np.float32)
    hs = _rand(rng, (3, 9, 5), np.float32)
    outs = _rand(rng, (3, 16, 5), np.float32)
    want = outs + np.matmul(w, hs)
    run = blas.gemm_plan(w.T.copy().T, hs[0], outs[0], beta=1.0)
    if not on:
        assert run is None
        return
    for t in range(3):
        run(hs.ctypes.data + t * hs.strides[0], outs.ctypes.data + t * outs.strides[0])
    _close(outs, want)
    assert blas.gemm_plan(w, hs[0], outs[0][:, ::2]) is None  # out not contiguous
    assert blas.gemm_plan(w.astype(np.float64), hs[0], outs[0]) is None  # mixed dtypes


def test_disabled_switch_uses_numpy(monkeypatch):
    calls = []
    real = blas.numpy_gemm
    monkeypatch.setattr(blas, "numpy_gemm", lambda *a, **k: calls.append(1) or real(*a, **k))
    old = blas.set_enabled(False)
    try:
        assert not blas.enabled()
        assert blas.helper() is None
        assert blas.gemm_plan(np.ones((2, 2)), np.ones((2, 2)), np.ones((2, 2))) is None
        a = np.ones((3, 3), np.float32)
        _close(blas.gemm(a, a), a @ a)
        assert calls
        assert blas.axpby(1.0, a, 1.0, a) is False  # nothing done
    finally:
        blas.set_enabled(old)


def test_axpby_through_the_copy(on):
    if not on:
        pytest.skip("no AVX-512 OpenBLAS copy on this machine")
    rng = np.random.default_rng(5)
    x, y = _rand(rng, (1000,), np.float32), _rand(rng, (1000,), np.float32)
    want = 0.5 * x + 0.9 * y
    assert blas.axpby(0.5, x, 0.9, y)
    _close(y, want)
    assert not blas.axpby(0.5, x[::2], 0.9, y[::2])  # strided: not taken
    assert not blas.axpby(0.5, x.astype(np.float64), 0.9, y)  # mixed dtypes: not taken
    assert blas.core_name() == "SkylakeX"


def test_cpu_flags_parse(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse avx2 avx512f avx512bw\nbugs\t: none\n")
    assert blas.cpu_flags(str(info)) == {"fpu", "sse", "avx2", "avx512f", "avx512bw"}
    assert blas.cpu_flags(str(tmp_path / "missing")) == frozenset()


@pytest.mark.parametrize(
    ("flags", "core", "want"),
    [
        ({"avx2", "avx512f", "avx512bw", "avx512dq", "avx512vl"}, "Haswell", True),
        ({"avx2", "avx512f", "avx512bw", "avx512dq", "avx512vl"}, "Zen", True),
        ({"avx2", "avx512f", "avx512bw", "avx512dq", "avx512vl"}, "SkylakeX", False),
        ({"avx2", "avx512f", "avx512bw", "avx512dq", "avx512vl"}, "SapphireRapids", False),
        ({"avx2", "avx512f", "avx512bw", "avx512dq", "avx512vl"}, "COOPERLAKE", False),
        ({"avx2", "avx512f", "avx512bw", "avx512dq"}, "Haswell", False),  # no avx512vl
        ({"avx2"}, "Haswell", False),
        (set(), "Haswell", False),
    ],
)
def test_needs_private_copy(flags, core, want):
    assert blas.needs_private_copy(frozenset(flags), core) is want


def test_load_declines_without_avx512(monkeypatch):
    monkeypatch.setattr(blas, "cpu_flags", lambda path="/proc/cpuinfo": frozenset({"avx2"}))
    assert blas._load() == {}


def test_auto_follows_an_explicit_openblas_coretype(monkeypatch):
    monkeypatch.setattr(blas, "_force", False)
    monkeypatch.setattr(blas, "_USER_CORETYPE", "Haswell")
    assert blas._load() == {}


def test_load_declines_when_numpy_has_no_openblas(monkeypatch):
    monkeypatch.setattr(blas, "numpy_openblas_path", lambda: None)
    assert blas._load() == {}


def test_environ_is_restored():
    os.environ.pop("GRADLAB_TEST_VAR", None)
    os.environ["GRADLAB_TEST_OTHER"] = "x"
    with blas._environ(GRADLAB_TEST_VAR="1", GRADLAB_TEST_OTHER="y"):
        assert os.environ["GRADLAB_TEST_VAR"] == "1" and os.environ["GRADLAB_TEST_OTHER"] == "y"
    assert "GRADLAB_TEST_VAR" not in os.environ and os.environ["GRADLAB_TEST_OTHER"] == "x"
    del os.environ["GRADLAB_TEST_OTHER"]


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_recurrent_layers_agree_with_and_without_the_copy(name, dtype, forced):
    """T = 23 > CHUNK: the helper thread's chunked gradients and projection are exercised."""
    gradlab.manual_seed(0)
    module = getattr(nn, name)(5, 7, num_layers=2, bidirectional=True, dtype=dtype)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((23, 4, 5)).astype(dtype)
    h0 = rng.standard_normal((4, 4, 7)).astype(dtype)
    state = (h0, h0 * 0.5) if name == "LSTM" else h0
    results = []
    old = blas.enabled()
    try:
        for flag in (False, True):
            blas.set_enabled(flag)
            module.zero_grad()
            xt = gradlab.tensor(x, requires_grad=True)
            if name == "LSTM":
                st = tuple(gradlab.tensor(s, requires_grad=True) for s in state)
            else:
                st = gradlab.tensor(state, requires_grad=True)
            out, _ = module(xt, st)
            (out * out).sum().backward()
            grads = [s.grad for s in (st if name == "LSTM" else (st,))]
            results.append([out.numpy(), xt.grad, *grads, *(p.grad for p in module.parameters())])
    finally:
        blas.set_enabled(old)
    for off, on in zip(*results):
        _close(on, off)
