"""The op suite on the guard device (arrays that refuse implicit conversion to NumPy, as
CuPy's do): every op that leaks to the host, or makes a host array beside a device one,
fails here. Values and gradients must equal the CPU's."""

import importlib.util
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


def _activation_cases():
    """tests/nn/test_activations.py's table (functions and modules), one input each."""
    path = Path(__file__).resolve().parent.parent / "nn" / "test_activations.py"
    spec = importlib.util.spec_from_file_location("_guard_activation_cases", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [(name, ours) for name, (ours, _) in module.CASES.items()]


ACTIVATIONS = _activation_cases()


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


@pytest.mark.parametrize("name, op", ACTIVATIONS, ids=[n for n, _ in ACTIVATIONS])
def test_activation_runs_on_guard_device_as_on_cpu(name, op):
    arrays = draw([(3, 5)], "nz")
    cpu_values, cpu_grads = _run(lambda L, x: op(x), arrays, on_guard=False)
    values, grads = _run(lambda L, x: op(x), arrays, on_guard=True)
    np.testing.assert_allclose(values[0], cpu_values[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grads[0], cpu_grads[0], rtol=1e-12, atol=1e-12)


def test_guard_device_refuses_implicit_conversion():
    t = Tensor(guard_device.from_host(np.ones(3)))
    assert t.device.type == "guard" and t.device.type == "guard"
    with pytest.raises(guard_device.LeakError):
        np.asarray(t._data)
    with pytest.raises(TypeError, match="can't convert guard device type tensor to numpy"):
        t.numpy()
    with pytest.raises(guard_device.LeakError):
        t._data + np.ones(3)
    assert t.cpu().device.type == "cpu" and t.cpu().tolist() == [1.0, 1.0, 1.0]
    assert gradlab.zeros(2, device="guard").device.type == "guard"
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    y = x.to("guard")
    (y * y).sum().backward()
    assert x.grad.device.type == "cpu" and x.grad.tolist() == [2.0, 4.0]


def _guard_leaf(array, requires_grad=True):
    return Tensor(guard_device.from_host(array), requires_grad=requires_grad)


_RNG = np.random.default_rng(0)


class _FirstOutput(gradlab.nn.Module):
    """A recurrent layer's output sequence (it returns (output, state))."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x)[0]


LAYERS = {
    "Linear": (lambda: gradlab.nn.Linear(4, 3), (2, 4)),
    "BatchNorm1d": (lambda: gradlab.nn.BatchNorm1d(3), (4, 3)),
    "LayerNorm": (lambda: gradlab.nn.LayerNorm(3), (4, 3)),
    "MSELoss": (lambda: lambda x: gradlab.nn.MSELoss()(x, x.detach() * 0.5), (2, 3)),
    "BCEWithLogitsLoss": (
        lambda: lambda x: gradlab.nn.BCEWithLogitsLoss()(x, x.detach().sigmoid()),
        (4,),
    ),
}
# Known host leaks, each an xfail until its op asks the tensor's device for its arrays:
# im2col/BLAS pointers (conv), pooling's host index/zero arrays, dropout's host mask,
# cross-entropy's target handling, embedding's host scatter, the recurrent workspace buffers.
LEAKING = {
    "Conv2d": (lambda: gradlab.nn.Conv2d(2, 3, 3), (1, 2, 5, 5)),
    "MaxPool2d": (lambda: gradlab.nn.MaxPool2d(2), (1, 2, 4, 4)),
    "AvgPool2d": (lambda: gradlab.nn.AvgPool2d(2), (1, 2, 4, 4)),
    "Dropout": (lambda: gradlab.nn.Dropout(0.5), (4, 3)),
    "CrossEntropyLoss": (
        lambda: lambda x: gradlab.nn.CrossEntropyLoss()(x, (x.detach() > 0).long()[:, 0]),
        (4, 3),
    ),
    "LSTM": (lambda: _FirstOutput(gradlab.nn.LSTM(3, 4, batch_first=True)), (2, 5, 3)),
    "GRU": (lambda: _FirstOutput(gradlab.nn.GRU(3, 4, batch_first=True)), (2, 5, 3)),
}


def _layer_step(make, shape, optimizer):
    gradlab.manual_seed(0)
    layer = make()
    if isinstance(layer, gradlab.nn.Module):
        layer.to("guard")
    x = _guard_leaf(_RNG.standard_normal(shape))
    layer(x).sum().backward()
    if optimizer and isinstance(layer, gradlab.nn.Module):
        optimizer(layer.parameters(), lr=0.1).step()
    return x


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("optimizer", [gradlab.optim.SGD, gradlab.optim.Adam])
def test_layer_and_optimizer_run_on_guard_device(name, optimizer):
    x = _layer_step(*LAYERS[name], optimizer)
    assert x.grad.device.type == "guard"


@pytest.mark.parametrize("name", LEAKING)
@pytest.mark.xfail(raises=guard_device.LeakError, strict=True, reason="known host leak")
def test_known_host_leaks(name):
    _layer_step(*LEAKING[name], None)
