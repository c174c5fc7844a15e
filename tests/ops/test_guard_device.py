"""The op suite on the guard device (arrays that refuse implicit conversion to NumPy, as
CuPy's do): every op that leaks to the host, or makes a host array beside a device one,
fails here. Values and gradients must equal the CPU's."""

import sys
from pathlib import Path

import numpy as np
import pytest
from opcheck import _as_tuple, case_ids, draw
from test_elementwise import CASES as ELEMENTWISE
from test_linalg import CASES as LINALG
from test_movement import CASES as MOVEMENT
from test_reduce import CASES as REDUCE

import gradlab
from gradlab import Tensor

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import guard_device  # noqa: E402

CASES = ELEMENTWISE + REDUCE + MOVEMENT + LINALG


@pytest.fixture(scope="module", autouse=True)
def guard():
    guard_device.install()
    yield
    guard_device.uninstall()


def _run(fn, arrays, on_guard):
    leaves = [
        Tensor(guard_device.from_host(a) if on_guard else a.copy(), requires_grad=True)
        for a in arrays
    ]
    outs = [o for o in _as_tuple(fn(gradlab, *leaves)) if o.dtype.kind == "f"]
    total = None
    for k, o in enumerate(outs):  # a weighted sum, so that every output element matters
        weights = np.linspace(0.5, 1.5, o.numel()).reshape(o.shape) * (k + 1)
        w = Tensor(guard_device.from_host(weights) if on_guard else weights)
        term = (o * w).sum()
        total = term if total is None else total + term
    if total is not None and total.requires_grad:
        total.backward()
    host = guard_device.to_host
    values = [host(o._data) for o in outs]
    grads = [None if t.grad is None else host(t.grad._data) for t in leaves]
    return values, grads


@pytest.mark.parametrize("name, fn, shapes, domain", CASES, ids=case_ids(CASES))
def test_op_runs_on_guard_device_as_on_cpu(name, fn, shapes, domain):
    arrays = draw(shapes, domain)
    cpu_values, cpu_grads = _run(fn, arrays, on_guard=False)
    values, grads = _run(fn, arrays, on_guard=True)
    for got, want in zip(values, cpu_values):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    for got, want in zip(grads, cpu_grads):
        if want is None:
            assert got is None
        else:
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_guard_device_refuses_implicit_conversion():
    t = Tensor(guard_device.from_host(np.ones(3)))
    assert t.device == "guard" and t.device.type == "guard"
    with pytest.raises(guard_device.LeakError):
        np.asarray(t._data)
    with pytest.raises(TypeError, match="can't convert guard device type tensor to numpy"):
        t.numpy()
    with pytest.raises(guard_device.LeakError):
        t._data + np.ones(3)
    assert t.cpu().device == "cpu" and t.cpu().tolist() == [1.0, 1.0, 1.0]
    assert gradlab.zeros(2, device="guard").device == "guard"
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    y = x.to("guard")
    (y * y).sum().backward()
    assert x.grad.device == "cpu" and x.grad.tolist() == [2.0, 4.0]
