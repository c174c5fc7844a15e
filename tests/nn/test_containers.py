"""Sequential, ModuleList, ModuleDict and Residual: order, names, indexing, registration, and
Sequential against torch.nn.Sequential with the same weights."""

from collections import OrderedDict

import numpy as np
import pytest

import gradlab
from gradlab import nn
from gradlab.autograd import gradcheck


def test_sequential_matches_torch_outputs_and_grads():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    t = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.LayerNorm(4), torch.nn.Linear(4, 3))
    g = nn.Sequential(nn.Linear(5, 4), nn.LayerNorm(4), nn.Linear(4, 3))
    g.load_state_dict(t.state_dict())
    x = np.random.default_rng(0).standard_normal((6, 5)).astype(np.float32)
    gx, tx = gradlab.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    gy, ty = g(gx), t(tx)
    np.testing.assert_allclose(gy.numpy(), ty.detach().numpy(), atol=1e-5, rtol=1e-4)
    gy.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(gx.grad, tx.grad.numpy(), atol=1e-5, rtol=1e-4)
    for name, tp in t.named_parameters():
        gp = dict(g.named_parameters())[name]
        np.testing.assert_allclose(gp.grad, tp.grad.numpy(), atol=1e-5, rtol=1e-4)


def test_sequential_indexing_slicing_and_names():
    a, b, c = nn.Linear(2, 3), nn.Identity(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and list(seq) == [a, b, c]
    assert seq[0] is a and seq[-1] is c
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c]
    assert [n for n, _ in sub.named_children()] == ["1", "2"]
    with pytest.raises(IndexError, match="index 5 is out of range for 3 modules"):
        seq[5]
    named = nn.Sequential(OrderedDict([("fc", a), ("out", c)]))
    assert named.fc is a and [n for n, _ in named.named_parameters()][0] == "fc.weight"
    seq.append(nn.Identity())
    assert len(seq) == 4 and [n for n, _ in seq.named_children()][-1] == "3"
    with pytest.raises(TypeError, match="Sequential: argument 1 is a int, expected a Module"):
        nn.Sequential(a, 3)


def test_sequential_setitem_delitem_insert_extend():
    a, b, c = nn.Identity(), nn.Linear(1, 1), nn.Linear(1, 2)
    seq = nn.Sequential(a, b)
    seq[1] = c
    assert seq[1] is c and len(list(seq.parameters())) == 2
    del seq[0]
    assert list(seq) == [c] and [n for n, _ in seq.named_children()] == ["0"]
    seq.insert(0, a)
    seq.extend([b])
    assert list(seq) == [a, c, b]
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2"]


def test_module_list():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    assert [n for n, _ in layers.named_parameters()][:2] == ["0.weight", "0.bias"]
    extra = nn.Linear(2, 1)
    layers.insert(1, extra)
    assert layers[1] is extra and len(layers) == 4
    assert [n for n, _ in layers.named_children()] == ["0", "1", "2", "3"]
    layers.extend([nn.Identity()])
    assert isinstance(layers[-1], nn.Identity)
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    replacement = nn.Identity()
    layers[0] = replacement
    assert layers[0] is replacement
    del layers[0]
    assert layers[0] is extra and [n for n, _ in layers.named_children()][0] == "0"
    with pytest.raises(IndexError, match="ModuleList: index 9 is out of range for 4 modules"):
        layers[9]


def test_module_dict():
    d = nn.ModuleDict({"enc": nn.Linear(3, 2), "dec": nn.Linear(2, 3)})
    assert list(d) == ["enc", "dec"] and "enc" in d and len(d) == 2
    assert [n for n, _ in d.named_parameters()] == [
        "enc.weight",
        "enc.bias",
        "dec.weight",
        "dec.bias",
    ]
    d["extra"] = nn.Identity()
    assert list(d.keys())[-1] == "extra"
    d.update({"more": nn.Identity()})
    assert isinstance(d.pop("more"), nn.Identity) and "more" not in d
    del d["extra"]
    assert list(d.keys()) == ["enc", "dec"]
    assert [type(m).__name__ for m in d.values()] == ["Linear", "Linear"]
    with pytest.raises(KeyError, match="ModuleDict: no module named 'nope'"):
        d["nope"]


def test_residual_adds_skip_and_gradient():
    block = nn.Linear(3, 3, dtype=np.float64)
    res = nn.Residual(block)
    x = gradlab.tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
    y = res(x)
    np.testing.assert_allclose(y.numpy(), x.numpy() + block(x).numpy())
    assert gradcheck(res, (x,))
    with_shortcut = nn.Residual(nn.Linear(3, 2), shortcut=nn.Linear(3, 2))
    assert with_shortcut(gradlab.ones(1, 3)).shape == (1, 2)
    with pytest.raises(
        ValueError,
        match=r"Residual: block output has shape \(1, 2\) but the "
        r"input has shape \(1, 3\)",
    ):
        nn.Residual(nn.Linear(3, 2))(gradlab.ones(1, 3))


def test_container_modes_propagate():
    seq = nn.Sequential(nn.Dropout(0.5), nn.ModuleList([nn.BatchNorm1d(2)]))
    seq.eval()
    assert not seq[0].training and not seq[1][0].training
