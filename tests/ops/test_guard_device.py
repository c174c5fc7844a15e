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


class _FirstOutput(gradlab.nn.Module):
    """A recurrent layer's output sequence (it returns (output, state))."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x)[0]


class _BothStates(gradlab.nn.Module):
    """h' + c' of an LSTM cell (it returns the pair)."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        h, c = self.inner(x)
        return h + c


class _ClassLoss(gradlab.nn.Module):
    """A class-index loss module on targets made from the input (its buffers move with it)."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x, (x.detach() > 0).long()[:, 0])


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
# Layers whose fast path is host NumPy code (im2col with pooled buffers, pooling masks, the
# fused recurrent ops, the fused cross-entropy): off the CPU they run their readable references
# (gradlab.nn.reference), and dropout moves its host-drawn mask to the device. Values and
# gradients must equal the CPU's fast path's.
ON_REFERENCE = {
    "Conv2d": (lambda: gradlab.nn.Conv2d(2, 3, 3), (1, 2, 5, 5)),
    "Conv2d strided": (
        lambda: gradlab.nn.Conv2d(2, 3, (3, 2), stride=2, padding=1, dilation=(1, 2)),
        (2, 2, 6, 7),
    ),
    "Conv2d grouped": (lambda: gradlab.nn.Conv2d(4, 6, 3, groups=2), (1, 4, 5, 5)),
    "Conv1d": (lambda: gradlab.nn.Conv1d(2, 3, 3, padding=1), (2, 2, 6)),
    "MaxPool2d": (lambda: gradlab.nn.MaxPool2d(2), (1, 2, 4, 4)),
    "MaxPool2d ceil": (lambda: gradlab.nn.MaxPool2d(3, 2, padding=1, ceil_mode=True), (2, 2, 6, 6)),
    "AvgPool2d": (lambda: gradlab.nn.AvgPool2d(2), (1, 2, 4, 4)),
    "AvgPool2d padded": (
        lambda: gradlab.nn.AvgPool2d(3, 2, padding=1, count_include_pad=False),
        (1, 2, 5, 5),
    ),
    "AdaptiveAvgPool2d": (lambda: gradlab.nn.AdaptiveAvgPool2d((2, 3)), (1, 2, 5, 7)),
    "Dropout": (lambda: gradlab.nn.Dropout(0.5), (4, 3)),
    "CrossEntropyLoss": (
        lambda: lambda x: gradlab.nn.CrossEntropyLoss()(x, (x.detach() > 0).long()[:, 0]),
        (4, 3),
    ),
    "CrossEntropyLoss smoothed": (
        lambda: (
            lambda x: gradlab.nn.CrossEntropyLoss(ignore_index=1, label_smoothing=0.1)(
                x, (x.detach() > 0).long()[:, 0]
            )
        ),
        (4, 3),
    ),
    "CrossEntropyLoss weighted": (
        lambda: _ClassLoss(gradlab.nn.CrossEntropyLoss(weight=gradlab.tensor([1.0, 2.0, 0.5]))),
        (4, 3),
    ),
    "NLLLoss": (
        lambda: lambda x: gradlab.nn.NLLLoss()(x.log_softmax(1), (x.detach() > 0).long()[:, 0]),
        (4, 3),
    ),
    "LSTM": (lambda: _FirstOutput(gradlab.nn.LSTM(3, 4, batch_first=True)), (2, 5, 3)),
    "GRU": (lambda: _FirstOutput(gradlab.nn.GRU(3, 4, batch_first=True)), (2, 5, 3)),
    "RNN 2 layers bidirectional": (
        lambda: _FirstOutput(gradlab.nn.RNN(3, 4, num_layers=2, bidirectional=True)),
        (5, 2, 3),
    ),
    "LSTMCell": (lambda: _BothStates(gradlab.nn.LSTMCell(3, 4)), (2, 3)),
    "GRUCell": (lambda: gradlab.nn.GRUCell(3, 4), (2, 3)),
}


def _layer_step(make, shape, optimizer, on_guard=True):
    gradlab.manual_seed(0)
    layer = make()
    if isinstance(layer, gradlab.nn.Module):
        layer.to(gradlab.float64)
        if on_guard:
            layer.to("guard")
    array = np.random.default_rng(1).standard_normal(shape)
    x = _guard_leaf(array) if on_guard else Tensor(array, requires_grad=True)
    out = layer(x)
    out.sum().backward()
    if optimizer and isinstance(layer, gradlab.nn.Module):
        optimizer(layer.parameters(), lr=0.1).step()
    return x, layer, out


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("optimizer", [gradlab.optim.SGD, gradlab.optim.Adam])
def test_layer_and_optimizer_run_on_guard_device(name, optimizer):
    x, _, _ = _layer_step(*LAYERS[name], optimizer)
    assert x.grad.device.type == "guard"


@pytest.mark.parametrize("name", ON_REFERENCE)
def test_layer_runs_its_reference_on_guard_device_as_on_cpu(name):
    x, layer, out = _layer_step(*ON_REFERENCE[name], None)
    x_cpu, layer_cpu, out_cpu = _layer_step(*ON_REFERENCE[name], None, on_guard=False)
    assert x.grad.device.type == "guard"
    host = guard_device.to_host
    np.testing.assert_allclose(host(out._data), out_cpu.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(host(x.grad._data), x_cpu.grad.numpy(), rtol=1e-10, atol=1e-12)
    if isinstance(layer, gradlab.nn.Module):
        for p, p_cpu in zip(layer.parameters(), layer_cpu.parameters(), strict=True):
            np.testing.assert_allclose(
                host(p.grad._data), p_cpu.grad.numpy(), rtol=1e-10, atol=1e-12
            )


def test_max_pool_indices_on_guard_device_as_on_cpu():
    pool = gradlab.nn.MaxPool2d(3, 2, padding=1, ceil_mode=True, return_indices=True)
    array = np.random.default_rng(2).integers(-2, 3, (2, 3, 7, 6)).astype(np.float64)
    _, indices = pool(Tensor(guard_device.from_host(array)))
    _, cpu = pool(Tensor(array))
    assert indices.device.type == "guard" and indices.dtype == cpu.dtype
    np.testing.assert_array_equal(guard_device.to_host(indices._data), cpu.numpy())
