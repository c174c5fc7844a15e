""".grad and .data are Tensors, as in PyTorch; numpy()/np.asarray give the array without copy."""

import numpy as np
import pytest

import gradlab
from gradlab import Tensor, nn, optim

torch = pytest.importorskip("torch")


def _both(values, requires_grad=True):
    return (
        gradlab.tensor(values, requires_grad=requires_grad),
        torch.tensor(values, requires_grad=requires_grad),
    )


def test_grad_is_a_tensor_with_tensor_methods():
    for x in _both([1.0, -2.0, 3.0]):
        (x * x).sum().backward()
        g = x.grad
        assert type(g).__name__ == "Tensor" and not g.requires_grad and g.grad_fn is None
        assert g.shape == x.shape and g.dtype == x.dtype
        assert abs(float(g.norm()) - float(np.sqrt(4 + 16 + 36))) < 1e-5
        g.add_(1)
        assert g.tolist() == [3.0, -3.0, 7.0]
        g.mul_(2).zero_()
        assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_gradients_accumulate_into_the_same_grad_tensor():
    for x in _both([1.0, 2.0]):
        (x * 3).sum().backward()
        first = x.grad
        (x * 3).sum().backward()
        assert x.grad is first  # accumulated in place, as PyTorch's AccumulateGrad
        assert x.grad.tolist() == [6.0, 6.0]


def test_grad_assignment_checks_shape_and_dtype():
    x = gradlab.zeros(2, requires_grad=True)
    x.grad = gradlab.ones(2)
    assert x.grad.tolist() == [1.0, 1.0]
    x.grad = None
    assert x.grad is None
    with pytest.raises(RuntimeError, match="assigned grad has data of a different size"):
        x.grad = gradlab.ones(3)
    with pytest.raises(RuntimeError, match="assigned grad has data of a different type"):
        x.grad = gradlab.ones(2, dtype=gradlab.float64)


def test_data_is_a_detached_tensor_sharing_storage():
    for lib in (gradlab, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        d = x.data
        assert not d.requires_grad and d.grad_fn is None and d.is_leaf
        d[0] = 5.0  # no error: .data is outside autograd
        assert x.tolist()[0] == 5.0
        assert x._version == 0  # .data has its own version counter
        d.add_(1)
        assert x.tolist() == [6.0, 3.0]


def test_data_assignment_replaces_storage():
    for lib in (gradlab, torch):
        p = lib.zeros(3, requires_grad=True)
        p.data = lib.ones(3)
        assert p.tolist() == [1.0, 1.0, 1.0] and p.requires_grad and p.is_leaf


def test_numpy_and_asarray_give_the_array_without_copy():
    x = gradlab.tensor([1.0, 2.0])
    assert x.numpy() is x.numpy()
    assert np.shares_memory(np.asarray(x), x.numpy())
    x.numpy()[0] = 7.0
    assert x.tolist() == [7.0, 2.0]
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    assert x.detach().numpy() is x.numpy()
    assert gradlab.tensor(2.5).item() == 2.5 and isinstance(gradlab.tensor(2).item(), int)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"unbiased": False}, {"unbiased": True}, {"correction": 0}, {"correction": 2},
     {"dim": 1}, {"dim": 0, "keepdim": True}, {"dim": 1, "unbiased": False}],
)  # fmt: skip
def test_std_and_var_are_unbiased_by_default_as_torch(kwargs):
    values = np.random.default_rng(0).standard_normal((4, 5))
    ours, theirs = gradlab.tensor(values), torch.tensor(values)
    for name in ("std", "var"):
        np.testing.assert_allclose(
            getattr(ours, name)(**kwargs).numpy(),
            getattr(theirs, name)(**kwargs).numpy(),
            rtol=1e-12,
        )
    model = nn.Linear(30, 40)
    # .data.std() on a parameter is the Tensor's (unbiased), not NumPy's population std
    assert float(model.weight.data.std()) == pytest.approx(
        float(np.std(model.weight.numpy(), ddof=1)), rel=1e-5
    )


def test_optimizers_and_clipping_work_on_tensor_grads():
    gradlab.manual_seed(0)
    model = nn.Linear(3, 2)
    x = gradlab.randn(5, 3)
    for opt in (optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                optim.Adam(model.parameters(), lr=0.01)):  # fmt: skip
        before = model.weight.numpy().copy()
        opt.zero_grad()
        model(x).pow(2).sum().backward()
        total = nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        assert isinstance(total, Tensor)
        norm = np.sqrt(sum(float((p.grad * p.grad).sum()) for p in model.parameters()))
        assert norm <= 0.5 + 1e-5
        opt.step()
        assert not np.allclose(model.weight.numpy(), before)
    opt.zero_grad(set_to_none=False)
    assert all(isinstance(p.grad, Tensor) and not p.grad.numpy().any() for p in model.parameters())


def test_leaf_used_several_times_gets_the_sum_of_its_gradients():
    """x + y hands both inputs the same gradient array: accumulating into a leaf's .grad in
    place must not change that array while it still flows to other nodes."""
    a = gradlab.tensor([1.0, 2.0, 3.0], requires_grad=True)
    ((a + a * 2) + a).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [4.0, 4.0, 4.0])
    b = gradlab.tensor([1.0, 2.0], requires_grad=True)
    (b + b + b * b).sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), [4.0, 6.0])


def test_zero_dim_leaf_used_twice_keeps_an_array_gradient():
    a = gradlab.tensor(1.0, requires_grad=True)
    (a + a * 3).backward()
    assert type(a.grad.numpy()) is np.ndarray and a.grad.item() == 4.0
