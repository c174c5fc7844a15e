"""Module and Parameter: registration, traversal, modes, grads, dtype casts, state dicts
(NumPy, gradlab and torch tensors in; one error listing every problem), apply, hooks."""

import numpy as np
import pytest

import gradlab
from gradlab import nn
from gradlab.nn import Module, Parameter


class Block(Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.scale = Parameter(np.ones(4, np.float32))
        self.register_buffer("count", np.zeros((), np.int64))
        self.register_buffer("cache", np.zeros(2, np.float32), persistent=False)

    def forward(self, x):
        return self.fc(x) * self.scale


class Net(Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = nn.Linear(4, 2)
        self.plain = 5  # not registered

    def forward(self, x):
        return self.head(self.block(x))


def test_registration_and_names():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "block.scale",
        "block.fc.weight",
        "block.fc.bias",
        "head.weight",
        "head.bias",
    ]
    assert [n for n, _ in net.named_buffers()] == ["block.count", "block.cache"]
    assert [n for n, _ in net.named_children()] == ["block", "head"]
    assert [n for n, _ in net.named_modules()] == ["", "block", "block.fc", "head"]
    assert list(net.children()) == [net.block, net.head]
    assert len(list(net.modules())) == 4
    assert [n for n, _ in net.block.named_parameters(recurse=False)] == ["scale"]
    assert [n for n, _ in net.named_parameters(prefix="model")][0] == "model.block.scale"
    assert net.plain == 5


def test_reassign_and_delete():
    net = Net()
    net.head = nn.Linear(4, 3)
    assert net.head.out_features == 3 and "head.weight" in net.state_dict()
    net.block.scale = None
    assert "block.scale" not in dict(net.named_parameters())
    del net.head
    assert "head.weight" not in net.state_dict()
    net.block.count = np.array(7)  # assigning an array to a buffer keeps it a buffer
    assert isinstance(net.block.count, gradlab.Tensor) and net.state_dict()["block.count"] == 7


def test_assignment_errors():
    net = Net()
    with pytest.raises(TypeError, match=r"Linear.weight: cannot assign ndarray to a parameter"):
        net.head.weight = np.zeros((2, 4))
    with pytest.raises(TypeError, match=r"Net.head: cannot assign int to a child module"):
        net.head = 3

    class Early(Module):
        def __init__(self):
            self.x = 1

    with pytest.raises(RuntimeError, match=r"call super\(\).__init__\(\)"):
        Early()


def test_shared_parameters_and_modules_are_deduplicated():
    shared = nn.Linear(2, 2)
    seq = nn.Sequential(shared, shared)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.modules())) == 2
    tied = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    tied[1].weight = tied[0].weight
    assert len(list(tied.parameters())) == 3
    # state_dict lists a shared tensor under every name, as PyTorch does
    assert list(tied.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert len(list(seq.named_modules(remove_duplicate=False))) == 3


def test_train_eval_reach_every_module():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="mode is expected to be a bool"):
        net.train("no")


def test_zero_grad_and_requires_grad():
    net = Net()
    net(gradlab.ones(2, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(np.all(p.grad == 0) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_to_double_float_and_cpu():
    net = Net()
    assert net.double() is net
    assert all(p.dtype == np.float64 for p in net.parameters())
    assert net.block.count.dtype == np.int64  # integer buffers keep their dtype
    net.to("cpu")
    net.to("cpu", np.float32)
    assert all(p.dtype == np.float32 for p in net.parameters())
    with pytest.raises(RuntimeError, match="cannot use device 'cuda'"):
        net.to("cuda")


def test_state_dict_copies_and_skips_non_persistent():
    net = Net()
    state = net.state_dict()
    assert "block.cache" not in state and "block.count" in state
    assert isinstance(state["head.weight"], np.ndarray)
    state["head.weight"][...] = 123.0
    assert not np.any(net.head.weight.numpy() == 123.0)
    kept = net.state_dict(keep_vars=True)
    assert kept["head.weight"] is net.head.weight


def test_load_state_dict_numpy_gradlab_and_roundtrip():
    a, b = Net(), Net()
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (na, pa), (nb, pb) in zip(a.named_parameters(), b.named_parameters()):
        assert na == nb
        np.testing.assert_array_equal(pa.numpy(), pb.numpy())
    as_tensors = {k: gradlab.tensor(v) for k, v in a.state_dict().items()}
    c = Net()
    data_before = c.head.weight.numpy()
    c.load_state_dict(as_tensors)
    assert c.head.weight.numpy() is data_before  # copied into the existing array
    np.testing.assert_array_equal(c.head.weight.numpy(), a.head.weight.numpy())


def test_load_state_dict_casts_into_existing_dtype():
    net = nn.Linear(3, 2)
    net.load_state_dict({"weight": np.ones((2, 3), np.float64), "bias": [1, 2]})
    assert net.weight.dtype == np.float32 and net.bias.dtype == np.float32
    np.testing.assert_array_equal(net.bias.numpy(), [1.0, 2.0])


def test_load_state_dict_reports_every_problem_at_once():
    net = Net()
    state = net.state_dict()
    del state["head.bias"], state["block.scale"]
    state["extra.weight"] = np.zeros(1)
    state["head.weight"] = np.zeros((5, 5))
    state["block.fc.bias"] = "not an array"
    before = net.block.fc.weight.numpy().copy()
    state["block.fc.weight"] = before + 1
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(state)
    message = str(info.value)
    assert message.startswith("Error(s) in loading state_dict for Net:")
    assert 'Unexpected key(s) in state_dict: "extra.weight"' in message
    assert 'Missing key(s) in state_dict: "block.scale", "head.bias"' in message
    assert "size mismatch for head.weight: copying a param with shape (5, 5)" in message
    assert "(2, 4)" in message
    assert "block.fc.bias: expected an array or Tensor, got str" in message
    np.testing.assert_array_equal(net.block.fc.weight.numpy(), before)  # nothing copied


def test_load_state_dict_not_strict_returns_keys():
    net = Net()
    state = net.state_dict()
    del state["head.bias"]
    state["extra"] = np.zeros(1)
    result = net.load_state_dict(state, strict=False)
    assert result.missing_keys == ["head.bias"] and result.unexpected_keys == ["extra"]
    state["head.weight"] = np.zeros((1, 1))
    with pytest.raises(RuntimeError, match="size mismatch for head.weight"):
        net.load_state_dict(state, strict=False)


def test_load_torch_state_dict_directly_and_as_numpy():
    torch = pytest.importorskip("torch")
    t = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))
    g = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    with torch.no_grad():
        t[1].running_mean.uniform_()
    t[1].num_batches_tracked += 3
    g.load_state_dict(t.state_dict())  # torch tensors, as they come
    assert list(g.state_dict()) == list(t.state_dict())
    for key, value in t.state_dict().items():
        np.testing.assert_array_equal(g.state_dict()[key], value.numpy())
    g2 = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    g2.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    t.eval()
    g2.eval()
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(
        g2(gradlab.tensor(x)).data, t(torch.tensor(x)).detach().numpy(), atol=1e-5, rtol=1e-4
    )
    # and back: gradlab's state dict loads into torch
    t2 = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))
    t2.load_state_dict({k: torch.from_numpy(v) for k, v in g2.state_dict().items()})


def test_apply_visits_children_first_then_self():
    net = Net()
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "Block", "Linear", "Net"]
    net.apply(lambda m: nn.init.zeros_(m.weight) if isinstance(m, nn.Linear) else None)
    assert not net.head.weight.numpy().any() and not net.block.fc.weight.numpy().any()


def test_forward_hook_and_removal():
    lin = nn.Linear(2, 2)
    calls = []
    handle = lin.register_forward_hook(lambda m, inputs, out: calls.append(out.shape))
    lin(gradlab.ones(3, 2))
    handle.remove()
    lin(gradlab.ones(3, 2))
    assert calls == [(3, 2)]
    lin.register_forward_hook(lambda m, inputs, out: out * 0)
    assert not lin(gradlab.ones(1, 2)).numpy().any()


def test_forward_not_defined_and_parameter_basics():
    with pytest.raises(NotImplementedError, match="Module does not define forward"):
        Module()(1)
    p = Parameter(np.ones(3, np.float32))
    assert p.requires_grad and p.is_leaf and isinstance(p, gradlab.Tensor)
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert not Parameter(np.ones(2, np.float32), requires_grad=False).requires_grad
    with pytest.raises(TypeError, match="expected a Parameter or None"):
        Module().register_parameter("w", gradlab.ones(2))


def test_repr_nests():
    text = repr(Net())
    assert text.startswith("Net(\n  (block): Block(\n    (fc): Linear(in_features=3")
    assert text.endswith("  (head): Linear(in_features=4, out_features=2, bias=True)\n)")
