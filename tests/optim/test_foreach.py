"""The optimizers' fast paths (one-pass BLAS axpby, the two-thread split) give the same
trajectories as PyTorch and bit-identical results to the plain single-thread ufunc path."""

import numpy as np
import pytest
from test_optimizers import CASES, _float64_torch, _run  # noqa: F401  (fixture used by _run)
from threadpoolctl import threadpool_limits

import gradlab
from gradlab import optim
from gradlab.optim import adagrad, adam, foreach, nadam, rmsprop, sgd

torch = pytest.importorskip("torch")
OPTIMIZER_MODULES = (sgd, adam, adagrad, rmsprop, nadam)


def _force_fast_paths(monkeypatch, blas_min: int, parallel_min: int) -> None:
    monkeypatch.setattr(foreach, "BLAS_MIN_NUMEL", blas_min)
    for module in OPTIMIZER_MODULES:
        monkeypatch.setattr(module, "PARALLEL_MIN_NUMEL", parallel_min)


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_trajectory_matches_torch_with_blas_and_threads_forced(name, kwargs, monkeypatch):
    _force_fast_paths(monkeypatch, blas_min=1, parallel_min=2)
    _run(getattr(optim, name), getattr(torch.optim, name), kwargs)


def _trajectory(name, kwargs, dtype):
    rng = np.random.default_rng(7)
    params = [
        gradlab.tensor(rng.standard_normal((300, 701)).astype(dtype), requires_grad=True),
        gradlab.tensor(rng.standard_normal(100003).astype(dtype), requires_grad=True),
    ]
    optimizer = getattr(optim, name)(params, **kwargs)
    for step in range(4):
        for p in params:
            p.grad = rng.standard_normal(p.shape).astype(dtype)
            if step == 2:  # a transposed (non-contiguous) gradient takes the ufunc path
                p.grad = np.ascontiguousarray(p.grad.T).T if p.ndim == 2 else p.grad
        optimizer.step()
    return [p.numpy().copy() for p in params]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("SGD", {"lr": 0.01, "momentum": 0.9, "weight_decay": 1e-3}),
        ("SGD", {"lr": 0.01, "momentum": 0.9, "nesterov": True}),
        ("Adam", {"lr": 1e-3, "weight_decay": 1e-2}),
        ("AdamW", {"lr": 1e-3, "amsgrad": True}),
        ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}),
        ("RMSprop", {"lr": 1e-3, "momentum": 0.9, "centered": True}),
        ("NAdam", {"lr": 2e-3}),
    ],
)
def test_two_thread_split_is_bit_identical_to_one_thread(name, kwargs, dtype, monkeypatch):
    with threadpool_limits(limits=1, user_api="blas"):  # BLAS's own threads: the next test
        _force_fast_paths(monkeypatch, blas_min=1 << 14, parallel_min=1 << 60)
        one_thread = _trajectory(name, kwargs, dtype)
        _force_fast_paths(monkeypatch, blas_min=1 << 14, parallel_min=1000)
        two_threads = _trajectory(name, kwargs, dtype)
    for a, b in zip(one_thread, two_threads):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_trajectory_matches_torch_on_openblas_threads(name, kwargs, monkeypatch):
    """axpby as OpenBLAS's threaded ?scal + ?axpy (two BLAS threads, no Python split)."""
    _force_fast_paths(monkeypatch, blas_min=1, parallel_min=1 << 60)
    monkeypatch.setattr(foreach, "THREADED_MIN_NUMEL", 1)
    with threadpool_limits(limits=2, user_api="blas"):
        _run(getattr(optim, name), getattr(torch.optim, name), kwargs)


def test_axpby_on_openblas_threads_matches_the_formula(monkeypatch):
    monkeypatch.setattr(foreach, "THREADED_MIN_NUMEL", 1 << 15)
    rng = np.random.default_rng(1)
    with threadpool_limits(limits=2, user_api="blas"):
        for alpha, beta in ((0.3, -1.7), (-0.01, 1.0)):
            x = rng.standard_normal(1 << 16)
            y = rng.standard_normal(1 << 16)
            expected = alpha * x + beta * y
            foreach.axpby(alpha, x, beta, y, np.empty_like(x))
            np.testing.assert_allclose(y, expected, rtol=1e-14, atol=1e-15)


def test_axpby_matches_the_formula_on_both_paths():
    rng = np.random.default_rng(0)
    for size in (10, 1 << 15):
        x = rng.standard_normal(size).astype(np.float32)
        y = rng.standard_normal(size).astype(np.float32)
        expected = 0.3 * x + -1.7 * y
        foreach.axpby(0.3, x, -1.7, y, np.empty_like(x))
        np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-6)
