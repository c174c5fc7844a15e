"""The compiled one-pass optimizer updates (numba) against the NumPy references, bit for bit.

Skipped unless numba is installed; each test asserts that the compiled path really ran.
"""

import numpy as np
import pytest

import gradlab
from gradlab import optim
from gradlab._fast import compiled

pytest.importorskip("numba")

SETTINGS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.01, "maximize": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "maximize": True}),
    ("Adam", {"lr": 1e-3}),
    ("Adam", {"lr": 1e-2, "betas": (0.8, 0.99), "amsgrad": True, "weight_decay": 0.05}),
    ("Adam", {"lr": 1e-2, "maximize": True, "eps": 1e-4}),
    ("AdamW", {"lr": 1e-2, "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {"lr": 1e-2, "betas": (0.0, 0.9)}),
]
KERNEL = {"SGD": "sgd", "Adam": "adam", "AdamW": "adam"}


def _trajectory(name, kwargs, dtype, compiled_on, sizes):
    old = compiled.set_enabled(compiled_on)
    try:
        rng = np.random.default_rng(7)
        params = [gradlab.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True)
                  for s in sizes]  # fmt: skip
        opt = getattr(optim, name)(params, **kwargs)
        for step in range(4):  # step 2 has inf and NaN gradients: both paths give NaN alike
            for p in params:
                g = rng.standard_normal(p.shape).astype(dtype)
                if step == 2:
                    g[..., :3] = [np.inf, -np.inf, np.nan][: g.shape[-1]]  # NaN rules too
                p.grad = gradlab.tensor(g)
            with np.errstate(all="ignore"):
                opt.step()
        return [p.numpy().copy() for p in params], opt
    finally:
        compiled.set_enabled(old)


@pytest.mark.parametrize("split", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,kwargs", SETTINGS)
def test_kernel_is_bit_identical_to_the_reference(name, kwargs, dtype, split, monkeypatch):
    """``split``: each step's updates are shared by two threads, half the elements each (the
    (40, 101) parameter is cut in two)."""
    from gradlab._fast import optim_kernels, two_threads

    halves = []
    real_run_halves = two_threads.run_halves

    def counted(first, second):
        halves.append([sum(args[0].size for _, args in calls) for calls in (first, second)])
        real_run_halves(first, second)

    monkeypatch.setattr(optim_kernels, "run_halves", counted)
    monkeypatch.setattr(optim_kernels, "SPLIT_SIZE", 4000 if split else 1 << 30)
    sizes = [(40, 101), (7,), (3, 5)]
    before = compiled.CALLS[KERNEL[name]]
    fast, fast_opt = _trajectory(name, kwargs, dtype, True, sizes)
    assert compiled.CALLS[KERNEL[name]] - before == 4 * len(sizes)  # every update compiled
    assert halves == ([[2031, 2031]] * 4 if split else [])
    reference, ref_opt = _trajectory(name, kwargs, dtype, False, sizes)
    assert compiled.CALLS[KERNEL[name]] - before == 4 * len(sizes)
    for a, b in zip(fast, reference):
        np.testing.assert_array_equal(a, b)
    for p_fast, p_ref in zip(fast_opt.state.values(), ref_opt.state.values()):
        for key, value in p_fast.items():
            np.testing.assert_array_equal(value, p_ref[key])


def test_arrays_the_kernel_does_not_take_run_the_reference():
    rng = np.random.default_rng(0)
    w = gradlab.tensor(rng.standard_normal((6, 4)).astype(np.float32), requires_grad=True)
    w.grad = gradlab.tensor(np.asfortranarray(rng.standard_normal((6, 4)).astype(np.float32)))
    half = gradlab.tensor(rng.standard_normal(5).astype(np.float16), requires_grad=True)
    half.grad = gradlab.tensor(rng.standard_normal(5).astype(np.float16))
    expected = [
        w.numpy() - 0.1 * w.grad.numpy(),
        half.numpy() - np.float16(0.1) * half.grad.numpy(),
    ]
    before = compiled.CALLS["sgd"]
    optim.SGD([w, half], lr=0.1).step()
    assert compiled.CALLS["sgd"] == before  # a Fortran-ordered gradient, float16: reference
    np.testing.assert_allclose(w.numpy(), expected[0], rtol=1e-6)
    np.testing.assert_allclose(half.numpy(), expected[1], rtol=1e-3)


def test_switch_off_runs_the_references():
    p = gradlab.tensor(np.ones(4, np.float32), requires_grad=True)
    p.grad = gradlab.tensor(np.ones(4, np.float32))
    old = compiled.set_enabled(False)
    try:
        assert compiled.kernels("optim") is None
        before = compiled.CALLS["sgd"]
        optim.SGD([p], lr=0.5).step()
        assert compiled.CALLS["sgd"] == before
    finally:
        compiled.set_enabled(old)
    np.testing.assert_array_equal(p.numpy(), np.full(4, 0.5, np.float32))


def test_reference_switch_holds_the_compiled_updates_off():
    """Under gradlab.reference_kernels() every update runs its NumPy reference."""
    old = compiled.set_enabled(True)
    try:
        p = gradlab.tensor(np.ones(1000, np.float32), requires_grad=True)
        opt = optim.SGD([p], lr=0.1, momentum=0.9)
        p.grad = gradlab.tensor(np.ones(1000, np.float32))
        before = compiled.CALLS["sgd"]
        with gradlab.reference_kernels():
            assert not compiled.enabled()
            opt.step()
        assert compiled.CALLS["sgd"] == before
        opt.step()
        assert compiled.CALLS["sgd"] == before + 1  # back on after the block
    finally:
        compiled.set_enabled(old)


def test_a_parameter_listed_twice_is_updated_twice_in_order(monkeypatch):
    """The same array queued twice is never shared between the two threads: both updates run
    on the caller's thread, one after the other, as the reference does."""
    from gradlab._fast import optim_kernels

    monkeypatch.setattr(optim_kernels, "SPLIT_SIZE", 16)
    monkeypatch.setattr(optim_kernels, "run_halves", lambda *a: pytest.fail("split"))
    results = []
    for on in (True, False):
        old = compiled.set_enabled(on)
        try:
            p = gradlab.tensor(np.ones(64, np.float32), requires_grad=True)
            p.grad = gradlab.tensor(np.full(64, 0.5, np.float32))
            optim.SGD([{"params": [p]}], lr=0.1)._step_group({"params": [p, p], "lr": 0.1,
                "momentum": 0, "dampening": 0, "weight_decay": 0, "nesterov": False,
                "maximize": False})  # fmt: skip
            results.append(p.numpy().copy())
        finally:
            compiled.set_enabled(old)
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], np.float32(1) - np.float32(0.05) - np.float32(0.05))
