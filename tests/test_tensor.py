"""Tensor: creation and dtype rules (as PyTorch), attributes, conversion, repr."""

import numpy as np
import pytest

import gradlab
from gradlab import Tensor


@pytest.mark.parametrize(
    "data, dtype",
    [
        (1.5, np.float32),
        ([1.0, 2.0], np.float32),
        ([[1, 2.5]], np.float32),
        (3, np.int64),
        ([1, 2, 3], np.int64),
        (True, np.bool_),
        ([True, False], np.bool_),
        (np.arange(3, dtype=np.int32), np.int32),
        (np.ones(2, np.float64), np.float64),
        (np.ones(2, np.float16), np.float16),
        (np.float64(2.0), np.float64),
        (np.zeros((0, 3), np.float32), np.float32),
    ],
)
def test_tensor_dtype_rules(data, dtype):
    assert gradlab.tensor(data).dtype == dtype


@pytest.mark.parametrize("data", [1.5, [1.0, 2.0], 3, [1, 2, 3], True, [[1, 2.5]], [True, False]])
def test_python_data_dtypes_match_torch(data):
    torch = pytest.importorskip("torch")
    ours, theirs = gradlab.tensor(data), torch.tensor(data)
    assert ours.dtype == theirs.numpy().dtype
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_tensor_copies_and_explicit_dtype():
    array = np.array([1.0, 2.0])
    t = gradlab.tensor(array)
    array[0] = 9
    assert t.numpy()[0] == 1.0
    assert gradlab.tensor([1, 2], dtype=gradlab.float64).dtype == np.float64
    assert gradlab.tensor(array, dtype="float32").dtype == np.float32
    assert gradlab.tensor(gradlab.tensor([1.0])).dtype == np.float32


def test_from_numpy_and_as_tensor_share_memory():
    array = np.zeros(3, np.float64)
    assert gradlab.from_numpy(array).numpy() is array
    assert gradlab.as_tensor(array).numpy() is array
    with pytest.raises(TypeError, match="from_numpy: expected a numpy.ndarray, got list"):
        gradlab.from_numpy([1.0])


def test_default_dtype_can_be_float64():
    gradlab.set_default_dtype(gradlab.float64)
    try:
        assert gradlab.tensor([1.0]).dtype == np.float64
        assert gradlab.zeros(2).dtype == np.float64
    finally:
        gradlab.set_default_dtype(gradlab.float32)
    assert gradlab.tensor([1.0]).dtype == np.float32
    with pytest.raises(TypeError, match="set_default_dtype: expected float32 or float64"):
        gradlab.set_default_dtype(np.int32)


def test_factories():
    assert gradlab.zeros(2, 3).shape == (2, 3) and gradlab.zeros(2, 3).dtype == np.float32
    assert gradlab.ones((2, 3)).shape == (2, 3)
    assert gradlab.full((2,), 7).dtype == np.int64
    assert gradlab.full((2,), 7.0).dtype == np.float32
    assert gradlab.arange(5).dtype == np.int64
    assert gradlab.arange(0, 1, 0.5).dtype == np.float32
    np.testing.assert_array_equal(gradlab.eye(2).numpy(), np.eye(2))
    x = gradlab.zeros_like(gradlab.tensor([1, 2]))
    assert x.dtype == np.int64 and x.shape == (2,)
    with pytest.raises(ValueError, match="expected a shape of non-negative integers"):
        gradlab.zeros(-1)


def test_random_factories_use_the_generator():
    gradlab.manual_seed(0)
    a = gradlab.randn(3)
    gradlab.manual_seed(0)
    b = gradlab.randn(3)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    rng = np.random.default_rng(1)
    c = gradlab.rand(2, generator=rng)
    assert c.dtype == np.float32 and ((c.numpy() >= 0) & (c.numpy() < 1)).all()
    assert gradlab.randint(0, 5, (4,)).dtype == np.int64


def test_attributes():
    x = gradlab.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.ndim == 3 and x.dim() == 3
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.numel() == 24
    assert len(x) == 2 and x.device.type == "cpu"
    assert x.is_leaf and not x.requires_grad and x.grad is None and x.grad_fn is None
    assert [t.shape for t in x] == [(3, 4), (3, 4)]
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(gradlab.tensor(1.0))


def test_item_numpy_array_detach():
    x = gradlab.tensor([[2.5]], requires_grad=True)
    assert x.item() == 2.5 and isinstance(x.item(), float)
    assert float(x) == 2.5 and int(gradlab.tensor(3)) == 3
    assert x.numpy() is x.numpy()
    assert np.asarray(x) is x.numpy()
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    assert np.array(x, copy=True) is not x.numpy()
    d = (x * 2).detach()
    assert d.is_leaf and not d.requires_grad
    d2 = x.detach()
    assert np.shares_memory(d2.numpy(), x.numpy())
    with pytest.raises(ValueError, match=r"item\(\): only a tensor with one element"):
        gradlab.tensor([1.0, 2.0]).item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(gradlab.tensor([1.0, 2.0]))


def test_tolist_and_conversions():
    x = gradlab.tensor([1.5, 2.5])
    assert x.tolist() == [1.5, 2.5]
    assert x.long().dtype == np.int64 and x.long().tolist() == [1, 2]
    assert x.double().dtype == np.float64 and x.to(np.float64).dtype == np.float64
    assert x.float() is x
    assert x.bool().dtype == np.bool_


def test_repr_like_torch():
    assert repr(gradlab.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(gradlab.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(gradlab.tensor([True])) == "tensor([ True])"
    assert repr(gradlab.tensor([1, 2], dtype=np.int32)) == "tensor([1, 2], dtype=gradlab.int32)"
    assert repr(gradlab.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert repr(gradlab.tensor(np.array([1.0]))) == "tensor([1.], dtype=gradlab.float64)"
    y = gradlab.tensor([1.0], requires_grad=True) * 2
    assert repr(y) == "tensor([2.], grad_fn=<MulBackward>)"


def test_repr_matches_torch_formatting():
    torch = pytest.importorskip("torch")
    for data in ([1.0, 2.0], [1, 2], [[1.5, -2.0], [3.0, 4.0]], 3.0):
        assert repr(gradlab.tensor(data)) == repr(torch.tensor(data))


def test_setitem_and_inplace_helpers():
    x = gradlab.zeros(3)
    x[1] = 5.0
    x[gradlab.tensor([True, False, False])] = gradlab.tensor(2.0)
    np.testing.assert_array_equal(x.numpy(), [2.0, 5.0, 0.0])
    x.fill_(1.0)
    x.copy_(gradlab.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0, 3.0])
    assert x.zero_().tolist() == [0.0, 0.0, 0.0]
    w = gradlab.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        w[0] = 1.0
    with gradlab.no_grad():
        w[0] = 1.0
    assert w.numpy()[0] == 1.0


def test_tensor_constructor_wraps_array():
    array = np.ones(2, np.float64)
    t = Tensor(array)
    assert t.numpy() is array
    assert Tensor([1.0, 2.0]).shape == (2,)
