"""The device model: gradlab.device, Tensor.device/.to/.cpu/.cuda, device= on factories,
Module.to, gradlab.cuda and gradlab.accelerator, against PyTorch where it answers the same."""

import numpy as np
import pytest

import gradlab
from gradlab import nn

FACTORIES = {
    "tensor": lambda **kw: gradlab.tensor([1.0, 2.0], **kw),
    "as_tensor": lambda **kw: gradlab.as_tensor(np.ones(2), **kw),
    "zeros": lambda **kw: gradlab.zeros(2, 3, **kw),
    "ones": lambda **kw: gradlab.ones(2, **kw),
    "empty": lambda **kw: gradlab.empty(2, **kw),
    "full": lambda **kw: gradlab.full((2,), 1.5, **kw),
    "zeros_like": lambda **kw: gradlab.zeros_like(gradlab.ones(2), **kw),
    "ones_like": lambda **kw: gradlab.ones_like(gradlab.ones(2), **kw),
    "empty_like": lambda **kw: gradlab.empty_like(gradlab.ones(2), **kw),
    "full_like": lambda **kw: gradlab.full_like(gradlab.ones(2), 3.0, **kw),
    "arange": lambda **kw: gradlab.arange(5, **kw),
    "linspace": lambda **kw: gradlab.linspace(0, 1, 5, **kw),
    "eye": lambda **kw: gradlab.eye(3, **kw),
    "rand": lambda **kw: gradlab.rand(2, **kw),
    "randn": lambda **kw: gradlab.randn(2, **kw),
    "randint": lambda **kw: gradlab.randint(0, 5, (3,), **kw),
    "randperm": lambda **kw: gradlab.randperm(4, **kw),
}


def test_device_objects_as_torch():
    torch = pytest.importorskip("torch")
    for spec in ("cpu", "cuda", "cuda:1", "mps"):
        ours, theirs = gradlab.device(spec), torch.device(spec)
        assert (ours.type, ours.index) == (theirs.type, theirs.index)
        assert str(ours) == str(theirs) and repr(ours) == repr(theirs)
    assert gradlab.device("cuda", 0) == gradlab.device("cuda:0")
    assert gradlab.device(gradlab.device("cpu")) == gradlab.device("cpu")
    assert gradlab.device("cpu") != gradlab.device("cuda")
    assert len({gradlab.device("cpu"), gradlab.device("cpu")}) == 1
    with pytest.raises(RuntimeError, match="Expected one of cpu"):
        gradlab.device("gpu")
    with pytest.raises(TypeError, match="expected a string"):
        gradlab.device(1.5)


def test_tensor_device_is_cpu_and_compares_to_its_string():
    t = gradlab.ones(2)
    assert t.device == gradlab.device("cpu") and t.device.type == "cpu"
    assert t.device != "cpu"  # as torch.device: a device never equals a string
    assert t.device.type == "cpu" and t.device.index is None
    assert not t.is_cuda and t.is_cpu


@pytest.mark.parametrize("name", FACTORIES)
def test_every_factory_takes_device(name):
    for where in (None, "cpu", gradlab.device("cpu")):
        assert FACTORIES[name](device=where).device.type == "cpu"
    with pytest.raises(RuntimeError, match=f"{name}: cannot use device 'cuda'"):
        FACTORIES[name](device="cuda")


def test_to_forms_as_torch():
    torch = pytest.importorskip("torch")
    for lib in (gradlab, torch):
        t = lib.tensor([1.0, 2.0])
        assert t.to("cpu") is t and t.to(lib.device("cpu")) is t and t.cpu() is t
        assert t.to(lib.float32) is t
        assert t.to(lib.float64).dtype == t.to("cpu", lib.float64).dtype
        assert t.to(device="cpu", dtype=lib.float64).dtype == t.to(lib.float64).dtype
        assert t.to(lib.zeros(1, dtype=lib.float64)).dtype == t.to(lib.float64).dtype
        assert t.to("cpu", non_blocking=True) is t
        copied = t.to("cpu", copy=True)
        assert copied is not t
        copied.add_(1)
        assert t.tolist() == [1.0, 2.0]
    assert gradlab.tensor([1.0]).to(gradlab.int64).dtype == np.int64


def test_to_is_differentiable():
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    y = x.to("cpu", gradlab.float64)
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_cuda_requests_raise_saying_what_is_missing():
    t = gradlab.ones(2)
    for attempt in (lambda: t.to("cuda"), t.cuda, lambda: t.to(gradlab.device("cuda", 0))):
        with pytest.raises(RuntimeError, match="cannot use device 'cuda.*no accelerator backend"):
            attempt()
    with pytest.raises(RuntimeError, match="CuPy"):
        t.to("cuda")
    assert t.to("cpu") is t  # still usable


def test_module_to_device_and_dtype():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    params = list(model.parameters())
    assert model.to("cpu") is model and model.cpu() is model
    assert model.to(gradlab.device("cpu"), gradlab.float64) is model
    assert list(model.parameters()) == params
    assert all(p.dtype == np.float64 and p.device.type == "cpu" for p in model.parameters())
    assert model.to(gradlab.zeros(1, dtype=gradlab.float32)) is model
    assert all(p.dtype == np.float32 for p in model.parameters())
    with pytest.raises(RuntimeError, match="Module.to\\(\\): cannot use device 'cuda'"):
        model.to("cuda")
    with pytest.raises(RuntimeError, match="cannot use device 'cuda'"):
        model.cuda()


def test_cuda_and_accelerator_queries_as_torch_on_a_cpu_machine():
    assert gradlab.cuda.is_available() is False
    assert gradlab.cuda.device_count() == 0
    gradlab.cuda.manual_seed_all(0)
    assert gradlab.accelerator.is_available() is False
    assert gradlab.accelerator.device_count() == 0
    assert gradlab.accelerator.current_accelerator() is None
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        assert torch.accelerator.current_accelerator() is None


def test_common_device_idiom_of_public_programs_runs():
    device = gradlab.device("cuda" if gradlab.cuda.is_available() else "cpu")
    model = nn.Linear(2, 1).to(device)
    x = gradlab.randn(4, 2, device=device)
    loss = model(x.to(device)).sum()
    loss.backward()
    assert model.weight.grad.device == device
