"""unique and unique_consecutive, with and without dim, return_inverse and return_counts,
against PyTorch."""

import itertools

import numpy as np
import pytest

import gradlab

torch = pytest.importorskip("torch")

DATA = [
    np.array([[1, 2], [1, 2], [3, 4], [1, 2]]),
    np.array([[[1, 2], [1, 2]], [[1, 2], [1, 2]], [[0, 5], [1, 2]]]),
    np.array([3, 1, 1, 2, 2, 2, 3]),
    np.array([[2.0, np.nan], [2.0, np.nan], [1.0, 0.0]]),
    np.zeros((0, 3)),
]
FLAGS = list(itertools.product([False, True], [False, True]))


def _compare(ours, theirs):
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert o.shape == tuple(t.shape)
        assert str(o.dtype)[8:] == str(t.dtype)[6:]
        np.testing.assert_array_equal(o.numpy(), t.numpy())


@pytest.mark.parametrize("data", DATA, ids=range(len(DATA)))
@pytest.mark.parametrize("inverse, counts", FLAGS)
@pytest.mark.parametrize("op", ["unique", "unique_consecutive"])
def test_against_torch(data, inverse, counts, op):
    dims = [None] + list(range(-data.ndim, data.ndim))
    for dim in dims:
        if dim is not None and data.size == 0 and data.shape[dim] != 0:
            for lib, tensor in ((torch, torch.tensor), (gradlab, gradlab.tensor)):
                with pytest.raises(RuntimeError, match="0 sized dimensions"):
                    getattr(lib, op)(tensor(data), dim=dim)
            continue
        has_nan = data.dtype.kind == "f" and np.isnan(data).any()
        if op == "unique" and has_nan and dim is not None:
            continue  # torch's unique(dim) orders NaN slices its own way
        kwargs = dict(return_inverse=inverse, return_counts=counts, dim=dim)
        _compare(
            getattr(gradlab, op)(gradlab.tensor(data), **kwargs),
            getattr(torch, op)(torch.tensor(data), **kwargs),
        )


def test_methods_and_errors():
    x = gradlab.tensor([[1, 1], [1, 1], [2, 2]])
    assert x.unique_consecutive(dim=0).tolist() == [[1, 1], [2, 2]]
    with pytest.raises(IndexError, match="Dimension out of range"):
        gradlab.unique_consecutive(x, dim=2)
