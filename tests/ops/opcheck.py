"""The one helper every op test goes through (in the spirit of tinygrad's test_ops).

A case is ``(name, fn, shapes, domain)``: ``fn(lib, *tensors)`` is written once and run with
``lib`` = gradlab and ``lib`` = :data:`TORCH` (torch plus the ``torch.nn.functional`` names
gradlab keeps at top level), so the same expression is checked against finite differences in
float64 (:func:`check_gradcheck`) and against PyTorch in float32 (:func:`check_torch`).
``domain`` draws the inputs: "any" uniform on [-2, 2], "pos" on [0.5, 2], "nz" +-[0.5, 2];
a tuple gives one domain per input.
"""

from __future__ import annotations

import types

import numpy as np
import pytest

import gradlab
from gradlab.autograd import gradcheck

ATOL, RTOL = 1e-5, 1e-4


def _torch_namespace():
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:  # pragma: no cover - torch is optional
        return None
    names = {n: getattr(torch, n) for n in dir(torch) if not n.startswith("_")}
    for n in ("leaky_relu", "elu", "softplus", "pad"):
        names[n] = getattr(F, n)
    return types.SimpleNamespace(**names)


TORCH = _torch_namespace()


def draw(shapes, domain="any", seed=0) -> list:
    """float64 arrays of the given shapes, one domain per input."""
    rng = np.random.default_rng(seed)
    domains = domain if isinstance(domain, tuple) else (domain,) * len(shapes)
    arrays = []
    for shape, d in zip(shapes, domains):
        if d == "any":
            arrays.append(rng.uniform(-2, 2, shape))
        elif d == "pos":
            arrays.append(rng.uniform(0.5, 2, shape))
        elif d == "nz":
            arrays.append(rng.uniform(0.5, 2, shape) * rng.choice([-1.0, 1.0], shape))
        else:
            raise ValueError(f"unknown domain {d!r}")
    return arrays


def _as_tuple(out) -> tuple:
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def check_gradcheck(fn, shapes, domain="any", seed=0) -> None:
    """fn's gradients against central differences, every input float64 and requiring grad."""
    tensors = tuple(gradlab.tensor(a, requires_grad=True) for a in draw(shapes, domain, seed))
    assert gradcheck(lambda *ts: _differentiable(fn(gradlab, *ts)), tensors)


def _differentiable(out):
    """fn's floating outputs (max/min with dim return an index tensor beside the values)."""
    outs = tuple(o for o in _as_tuple(out) if o.dtype.kind == "f")
    return outs if len(outs) != 1 else outs[0]


def check_torch(fn, shapes, domain="any", seed=0, arrays=None) -> None:
    """Same float32 inputs through gradlab and torch: outputs and gradients must agree."""
    if TORCH is None:
        pytest.skip("torch is not installed")
    import torch

    arrays = [np.asarray(a, np.float32) for a in (arrays or draw(shapes, domain, seed))]
    ours = [gradlab.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out_ours, out_theirs = _as_tuple(fn(gradlab, *ours)), _as_tuple(fn(TORCH, *theirs))
    assert len(out_ours) == len(out_theirs)
    rng = np.random.default_rng(seed + 1)
    loss_ours, loss_theirs = 0, 0
    for o, t in zip(out_ours, out_theirs):
        expected = t.detach().numpy()
        assert o.shape == tuple(t.shape), f"shape {o.shape} != torch's {tuple(t.shape)}"
        assert o.dtype == expected.dtype, f"dtype {o.dtype} != torch's {expected.dtype}"
        np.testing.assert_allclose(o.numpy(), expected, atol=ATOL, rtol=RTOL)
        if o.requires_grad and t.requires_grad:
            upstream = rng.uniform(-1, 1, o.shape).astype(np.float32)
            loss_ours = loss_ours + (o * gradlab.tensor(upstream)).sum()
            loss_theirs = loss_theirs + (t * torch.tensor(upstream)).sum()
        else:
            assert not o.requires_grad and not t.requires_grad
    if isinstance(loss_ours, int):
        return
    loss_ours.backward()
    loss_theirs.backward()
    for i, (x, y) in enumerate(zip(ours, theirs)):
        expected = np.zeros(x.shape, np.float32) if y.grad is None else y.grad.numpy()
        got = np.zeros(x.shape, np.float32) if x.grad is None else x.grad
        assert got.dtype == np.float32, f"input {i}: grad dtype {got.dtype}"
        np.testing.assert_allclose(got, expected, atol=ATOL, rtol=RTOL, err_msg=f"input {i}")


def case_ids(cases) -> list:
    return [c[0] for c in cases]
