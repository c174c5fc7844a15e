"""Embedding and F.embedding: PyTorch cross-checks (repeated indices, padding_idx), finite
differences, both scatter-add paths, initialization and errors."""

import numpy as np
import pytest

import gradlab
from gradlab import nn
from gradlab.autograd import gradcheck
from gradlab.nn.embedding import embedding
from gradlab.ops.embedding import scatter_add_rows

ATOL, RTOL = 1e-5, 1e-4


@pytest.mark.parametrize("padding_idx", [None, 0, 3, -1])
@pytest.mark.parametrize("index_shape", [(7,), (3, 5), (2, 2, 3)])
def test_embedding_matches_torch(index_shape, padding_idx):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    t = torch.nn.Embedding(6, 4, padding_idx=padding_idx)
    g = nn.Embedding(6, 4, padding_idx=padding_idx)
    g.load_state_dict(t.state_dict())
    rng = np.random.default_rng(0)
    idx = rng.integers(0, 6, index_shape)
    idx.reshape(-1)[:2] = [3, 3]  # repeated indices accumulate
    idx.reshape(-1)[-1] = 5
    gy, ty = g(gradlab.tensor(idx)), t(torch.tensor(idx))
    np.testing.assert_allclose(gy.numpy(), ty.detach().numpy(), atol=ATOL, rtol=RTOL)
    up = rng.standard_normal((*index_shape, 4)).astype(np.float32)
    gy.backward(up)
    ty.backward(torch.tensor(up))
    np.testing.assert_allclose(g.weight.grad, t.weight.grad.numpy(), atol=ATOL, rtol=RTOL)
    assert g.padding_idx == t.padding_idx


def test_embedding_gradcheck_float64():
    e = nn.Embedding(5, 3, padding_idx=1, dtype=np.float64)
    idx = np.array([[0, 1, 4], [4, 4, 2]])
    w = gradlab.tensor(e.weight.numpy().copy(), requires_grad=True)
    assert gradcheck(lambda weight: embedding(idx, weight) * 1.5, (w,))
    assert gradcheck(lambda weight: embedding(idx, weight, padding_idx=1) ** 2, (w,))


@pytest.mark.parametrize("num_rows,m", [(10, 200), (5000, 20)])  # bincount path, sort path
def test_scatter_add_rows_both_paths_match_add_at(num_rows, m):
    rng = np.random.default_rng(0)
    idx = rng.integers(0, num_rows, m)
    idx[:3] = idx[0]
    values = rng.standard_normal((m, 3)).astype(np.float32)
    want = np.zeros((num_rows, 3), np.float32)
    np.add.at(want, idx, values)
    got = scatter_add_rows(idx, values, num_rows)
    assert got.dtype == np.float32 and got.shape == (num_rows, 3)
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)


def test_padding_row_zero_and_gets_no_gradient():
    e = nn.Embedding(4, 3, padding_idx=2, generator=np.random.default_rng(0))
    np.testing.assert_array_equal(e.weight.numpy()[2], np.zeros(3))
    e(gradlab.tensor([2, 2, 1])).sum().backward()
    np.testing.assert_array_equal(e.weight.grad[2], np.zeros(3))
    np.testing.assert_array_equal(e.weight.grad[1], np.ones(3))


def test_init_is_standard_normal():
    e = nn.Embedding(1000, 100, generator=np.random.default_rng(0))  # n = 100 000
    assert e.weight.shape == (1000, 100) and e.weight.dtype == np.float32
    assert abs(e.weight.numpy().mean()) < 0.02  # standard error 0.003
    assert abs(e.weight.numpy().var() - 1) < 0.03  # standard error 0.0045


def test_out_of_range_and_bad_dtype_errors():
    e = nn.Embedding(10, 3)
    with pytest.raises(IndexError, match="index 10 is out of range for num_embeddings=10"):
        e(gradlab.tensor([1, 10]))
    with pytest.raises(IndexError, match="index -1 is out of range for num_embeddings=10"):
        e(gradlab.tensor([-1, 2]))
    with pytest.raises(TypeError, match="indices must be integers"):
        e(gradlab.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="padding_idx 10 must be within num_embeddings=10"):
        nn.Embedding(10, 3, padding_idx=10)
    with pytest.raises(IndexError, match="num_embeddings=4"):
        embedding(np.array([4]), gradlab.zeros(4, 2))


def test_from_pretrained_frozen_and_trainable():
    table = np.arange(12, dtype=np.float32).reshape(4, 3)
    frozen = nn.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad
    np.testing.assert_array_equal(frozen(gradlab.tensor([3, 0])).data, table[[3, 0]])
    trainable = nn.Embedding.from_pretrained(gradlab.tensor(table), freeze=False)
    trainable(gradlab.tensor([1])).sum().backward()
    np.testing.assert_array_equal(trainable.weight.grad[1], np.ones(3))
    table[0, 0] = 99.0
    assert trainable.weight.numpy()[0, 0] == 0.0  # copied


def test_empty_indices_and_repr():
    e = nn.Embedding(5, 2, padding_idx=0)
    out = e(gradlab.tensor(np.zeros((0,), np.int64)))
    assert out.shape == (0, 2)
    assert repr(e) == "Embedding(5, 2, padding_idx=0)"
