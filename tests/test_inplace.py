"""In-place ops, version counters and the saved-tensor check, against PyTorch."""

import numpy as np
import pytest

import gradlab
from gradlab import nn

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
X = RNG.uniform(0.5, 2.0, (3, 4))
OTHER = RNG.uniform(0.5, 2.0, (3, 4))
ROW = RNG.uniform(0.5, 2.0, (4,))
WEIGHTS = RNG.standard_normal((3, 4))

# name -> (call on (tensor, library), other operands built from OTHER/ROW or None)
CASES = {
    "add_": lambda t, o, L: t.add_(o),
    "add_alpha": lambda t, o, L: t.add_(o, alpha=0.5),
    "sub_": lambda t, o, L: t.sub_(o),
    "sub_alpha": lambda t, o, L: t.sub_(o, alpha=2.0),
    "mul_": lambda t, o, L: t.mul_(o),
    "div_": lambda t, o, L: t.div_(o),
    "pow_": lambda t, o, L: t.pow_(o),
    "pow_scalar": lambda t, o, L: t.pow_(2.5),
    "mul_scalar": lambda t, o, L: t.mul_(3.0),
    "iadd": lambda t, o, L: t.__iadd__(o),
    "isub": lambda t, o, L: t.__isub__(o),
    "imul": lambda t, o, L: t.__imul__(o),
    "itruediv": lambda t, o, L: t.__itruediv__(o),
    "neg_": lambda t, o, L: t.neg_(),
    "exp_": lambda t, o, L: t.exp_(),
    "log_": lambda t, o, L: t.log_(),
    "sqrt_": lambda t, o, L: t.sqrt_(),
    "abs_": lambda t, o, L: t.sub_(1.2).abs_(),
    "square_": lambda t, o, L: t.square_(),
    "sigmoid_": lambda t, o, L: t.sigmoid_(),
    "tanh_": lambda t, o, L: t.tanh_(),
    "relu_": lambda t, o, L: t.sub_(1.2).relu_(),
    "clamp_": lambda t, o, L: t.clamp_(0.8, 1.5),
    "clamp_min_": lambda t, o, L: t.clamp_min_(1.0),
    "clamp_max_": lambda t, o, L: t.clamp_max_(1.0),
    "clip_": lambda t, o, L: t.clip_(max=1.2),
    "zero_": lambda t, o, L: t.zero_(),
    "fill_": lambda t, o, L: t.fill_(2.5),
    "copy_": lambda t, o, L: t.copy_(o),
    "copy_broadcast": lambda t, o, L: t.copy_(o[0]),
    "masked_fill_": lambda t, o, L: t.masked_fill_(o > 1.0, -1.0),
    "addcmul_": lambda t, o, L: t.addcmul_(o, o, value=0.5),
    "addcdiv_": lambda t, o, L: t.addcdiv_(o, o + 1, value=2.0),
    "lerp_": lambda t, o, L: t.lerp_(o, 0.25),
    "setitem_slice": lambda t, o, L: t.__setitem__((slice(0, 2), 1), o[0, :2]),
    "setitem_number": lambda t, o, L: t.__setitem__(0, 7.0),
    "setitem_mask": lambda t, o, L: t.__setitem__(o > 1.0, o[o > 1.0] * 2),
    "setitem_int_array": lambda t, o, L: t.__setitem__(L.tensor([0, 2]), o[1]),
    "view_mul_": lambda t, o, L: t[1:].mul_(o[1:]),
    "view_t_add_": lambda t, o, L: t.t().add_(o.t()),
    "row_view_exp_": lambda t, o, L: t[0].exp_(),
}


def _run(library, name, requires_grad):
    x = library.tensor(X, requires_grad=requires_grad)
    other = library.tensor(OTHER, requires_grad=requires_grad)
    y = x * 1.0  # a non-leaf to change in place
    result = CASES[name](y, other, library)
    out = y if result is None else result
    if not requires_grad:
        return out.detach().numpy().copy(), None, None
    (y * library.tensor(WEIGHTS)).sum().backward()
    grad_other = None if other.grad is None else np.asarray(other.grad).copy()
    return y.detach().numpy().copy(), np.asarray(x.grad).copy(), grad_other


@pytest.mark.parametrize("name", CASES)
def test_inplace_values_and_gradients_match_torch(name):
    for requires_grad in (False, True):
        ours = _run(gradlab, name, requires_grad)
        theirs = _run(torch, name, requires_grad)
        for a, b in zip(ours, theirs):
            if b is None:
                assert a is None or not np.any(a), name
            else:
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("name", ["add_", "mul_", "exp_", "zero_", "fill_", "copy_", "relu_"])
def test_inplace_returns_self_and_bumps_version(name):
    t = gradlab.tensor(X.copy())
    assert t._version == 0
    out = CASES[name](t, gradlab.tensor(OTHER), gradlab)
    assert out is t
    assert t._version >= 1


def test_modified_saved_output_raises_torch_error():
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    s = y.sum()
    y.zero_()
    with pytest.raises(RuntimeError) as info:
        s.backward()
    message = str(info.value)
    assert "modified by an inplace operation" in message
    assert (
        "[gradlab.FloatTensor [2]], which is output 0 of ExpBackward0, is at version 1" in message
    )
    assert "expected version 0 instead" in message


@pytest.mark.parametrize(
    "change",
    [
        lambda y: y.fill_(1.0),
        lambda y: y.copy_(gradlab.tensor([3.0, 4.0])),
        lambda y: y.__setitem__(0, 5.0),
        lambda y: y[1:].mul_(2),
        lambda y: y.view(2, 1).add_(1),
        lambda y: y.detach().add_(1),
    ],
)
def test_modified_saved_input_raises(change):
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1.0
    z = (y * y).sum()
    change(y)
    with pytest.raises(
        RuntimeError, match="output 0 of MulBackward0, is at version 1; expected version 0"
    ):
        z.backward()


def test_modified_saved_leaf_raises_inside_no_grad_change():
    w = gradlab.tensor([1.0, 2.0], requires_grad=True)
    x = gradlab.tensor([3.0, 4.0])
    loss = (x * w).sum()
    x.add_(1)  # x is saved by Mul for w's gradient
    with pytest.raises(RuntimeError, match=r"\[gradlab.FloatTensor \[2\]\] is at version 1"):
        loss.backward()


def test_unsaved_tensor_may_change():
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y = h + 1  # Add saves nothing
    h.add_(1)
    y.sum().backward()
    np.testing.assert_array_equal(np.asarray(x.grad), [2.0, 2.0])


def test_leaf_requiring_grad_raises_outside_no_grad():
    w = gradlab.tensor([1.0, 2.0], requires_grad=True)
    for change in (
        lambda: w.add_(1),
        lambda: w.zero_(),
        lambda: w.mul_(2),
        lambda: w.__iadd__(1),
        lambda: w.copy_(gradlab.tensor([0.0, 0.0])),
    ):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used"):
            change()
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        w[0] = 1.0
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        w[:1].mul_(2)
    assert w.tolist() == [1.0, 2.0] and w._version == 0
    with gradlab.no_grad():
        w.add_(1)
        w -= gradlab.tensor([0.5, 0.5])
        w[0] = 9.0
    assert w.tolist() == [9.0, 2.5] and w.is_leaf and w.requires_grad
    assert w._version == 3


def test_augmented_operators_update_the_tensor_itself():
    p = gradlab.tensor([1.0, 2.0], requires_grad=True)
    alias = p
    with gradlab.no_grad():
        p -= 0.5 * gradlab.tensor([2.0, 2.0])
        p *= 2
        p /= 4
        p += 1
    assert p is alias
    np.testing.assert_allclose(alias.numpy(), [1.0, 1.5])


def test_views_share_the_version_counter():
    base = gradlab.zeros(2, 3)
    views = [
        base.view(6),
        base.reshape(3, 2),
        base[0],
        base[:, 1:],
        base.t(),
        base.transpose(0, 1),
        base.unsqueeze(0),
        base.flatten(),
        base.detach(),
        base.split(1)[0],
    ]
    for v in views:
        before = base._version
        v.add_(1)
        assert base._version == before + 1
        assert all(w._version == base._version for w in views)
    assert base.sum().item() == 6 * 7 + 3 + 4 + 3  # each view added 1 to what it covers
    copy = base[gradlab.tensor([0, 1])]  # advanced indexing copies
    copy.add_(1)
    assert base._version == len(views)


def test_inplace_dtype_and_shape_errors_match_torch():
    ints = gradlab.zeros(3, dtype=gradlab.int64)
    with pytest.raises(RuntimeError, match="result type float64 can't be cast to the desired"):
        ints += 1.5
    small = gradlab.zeros(3)
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast"):
        small += gradlab.ones(2, 3)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        gradlab.zeros(1).expand(3).add_(1)


def test_rebase_on_non_leaf_gives_torch_gradients():
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.mul_(3)
    assert y.grad_fn.name() == "MulBackward0" and not y.is_leaf
    y.sum().backward()
    np.testing.assert_array_equal(np.asarray(x.grad), [6.0, 6.0])


def test_inplace_from_a_value_that_requires_grad_joins_the_graph():
    w = gradlab.tensor([1.0, 2.0], requires_grad=True)
    buffer = gradlab.zeros(4)
    buffer[1:3] = w * 3
    assert buffer.requires_grad and buffer.grad_fn is not None
    (buffer * gradlab.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(np.asarray(w.grad), [6.0, 9.0])


def test_second_backward_after_inplace_still_raises_freed_error():
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.add_(1)
    loss = y.sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.fc2 = nn.Linear(8, 1)

    def forward(self, x):
        return self.fc2(self.fc1(x).tanh())


def test_manual_sgd_loop_of_torch_tutorial_updates_model_in_place():
    """PyTorch's "Learning PyTorch with Examples" loop: ``param -= lr * param.grad``."""
    gradlab.manual_seed(0)
    ours = _Net()
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    with torch.no_grad():
        for (_, p), q in zip(ours.named_parameters(), theirs.parameters()):
            q.copy_(torch.from_numpy(np.asarray(p.numpy()).copy()))
    x = RNG.standard_normal((16, 4)).astype(np.float32)
    target = RNG.standard_normal((16, 1)).astype(np.float32)
    before = [p.numpy().copy() for p in ours.parameters()]
    ids = [id(p) for p in ours.parameters()]
    lr = 0.05
    for _ in range(5):
        for model, lib in ((ours, gradlab), (theirs, torch)):
            loss = ((model(lib.tensor(x)) - lib.tensor(target)) ** 2).mean()
            model.zero_grad()
            loss.backward()
            with lib.no_grad():
                for param in model.parameters():
                    param -= lr * param.grad
    assert [id(p) for p in ours.parameters()] == ids
    for p, b, q in zip(ours.parameters(), before, theirs.parameters()):
        assert not np.allclose(p.numpy(), b)
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6)
