"""Movement ops (reshape, permute, indexing, cat, stack, pad, ...) against finite differences
(float64) and PyTorch (float32), one table of cases."""

import numpy as np
import pytest
from opcheck import case_ids, check_gradcheck, check_torch

import gradlab


def _idx(L, values):
    return L.tensor(values)


# (name, fn(lib, *tensors), input shapes, domain)
CASES = [
    ("reshape", lambda L, a: a.reshape(4, 3), [(2, 6)], "any"),
    ("reshape_tuple_infer", lambda L, a: L.reshape(a, (-1, 2)), [(3, 2, 2)], "any"),
    ("view", lambda L, a: a.view(-1), [(2, 3)], "any"),
    ("reshape_size0", lambda L, a: a.reshape(3, 0), [(0, 3)], "any"),
    ("transpose", lambda L, a: a.transpose(0, 2), [(2, 3, 4)], "any"),
    ("transpose_fn", lambda L, a: L.transpose(a, -1, 0), [(2, 3)], "any"),
    ("permute", lambda L, a: a.permute(2, 0, 1), [(2, 3, 4)], "any"),
    ("permute_fn", lambda L, a: L.permute(a, (1, 0)), [(2, 3)], "any"),
    ("T", lambda L, a: a.T, [(2, 3)], "any"),
    ("mT", lambda L, a: a.mT, [(2, 3, 4)], "any"),
    ("slice", lambda L, a: a[1:3], [(4, 3)], "any"),
    ("slice_step", lambda L, a: a[::2, 1::2], [(5, 4)], "any"),
    ("int", lambda L, a: a[1], [(3, 4)], "any"),
    ("int_negative", lambda L, a: a[-1, 2], [(3, 4)], "any"),
    ("int_array_repeats", lambda L, a: a[_idx(L, [0, 2, 0, 0])], [(3, 2)], "any"),
    ("list_repeats", lambda L, a: a[[1, 1, 0]], [(3,)], "any"),
    ("int_array_2d", lambda L, a: a[_idx(L, [[0, 1], [1, 1]])], [(2, 3)], "any"),
    ("int_arrays_pair", lambda L, a: a[[0, 2, 2], [1, 0, 1]], [(3, 2)], "any"),
    ("slice_and_array", lambda L, a: a[:, _idx(L, [2, 0, 2])], [(2, 3)], "any"),
    ("bool_mask", lambda L, a: a[_idx(L, [True, False, True])], [(3, 2)], "any"),
    ("bool_mask_full", lambda L, a: a[_idx(L, [[True, False], [False, True]])], [(2, 2)], "any"),
    ("bool_mask_from_data", lambda L, a: a[a > 0], [(3, 4)], "nz"),
    ("none", lambda L, a: a[None, :, None], [(3,)], "any"),
    ("ellipsis", lambda L, a: a[..., 1], [(2, 3, 4)], "any"),
    ("ellipsis_none", lambda L, a: a[0, ..., None], [(2, 3)], "any"),
    ("index_reused", lambda L, a: a[0] * a[1] + a[0], [(2, 3)], "any"),
    ("cat", lambda L, a, b: L.cat([a, b], dim=1), [(2, 3), (2, 1)], "any"),
    ("cat_neg_dim_size0", lambda L, a, b: L.cat((a, b), -2), [(0, 3), (2, 3)], "any"),
    ("cat_reused", lambda L, a: L.cat([a, a * 2, a]), [(2,)], "any"),
    ("stack", lambda L, a, b: L.stack([a, b]), [(2, 3), (2, 3)], "any"),
    ("stack_last", lambda L, a, b: L.stack((a, b), dim=-1), [(2, 3), (2, 3)], "any"),
    ("stack_reused", lambda L, a: L.stack([a, a], dim=1), [(3,)], "any"),
    ("pad_last", lambda L, a: L.pad(a, (1, 2)), [(2, 3)], "any"),
    ("pad_two_dims", lambda L, a: L.pad(a, (0, 1, 2, 0), value=1.5), [(2, 3)], "any"),
    ("squeeze", lambda L, a: a.squeeze(), [(1, 3, 1)], "any"),
    ("squeeze_dim", lambda L, a: a.squeeze(0), [(1, 3, 1)], "any"),
    ("squeeze_non1", lambda L, a: a.squeeze(1), [(1, 3, 1)], "any"),
    ("unsqueeze", lambda L, a: a.unsqueeze(1), [(2, 3)], "any"),
    ("unsqueeze_neg", lambda L, a: L.unsqueeze(a, -1), [(2, 3)], "any"),
    ("expand", lambda L, a: a.expand(2, 3, 4), [(3, 1)], "any"),
    ("expand_keep", lambda L, a: a.expand(-1, 4) * 2, [(3, 1)], "any"),
    ("expand_as", lambda L, a, b: a.expand_as(b) * b, [(1, 3), (2, 3)], "any"),
    ("flatten", lambda L, a: a.flatten(), [(2, 3, 4)], "any"),
    ("flatten_range", lambda L, a: L.flatten(a, 1, 2), [(2, 3, 4, 1)], "any"),
    ("split_int", lambda L, a: a.split(2, dim=1), [(2, 5)], "any"),
    ("split_sizes", lambda L, a: L.split(a, [1, 3], 0), [(4, 2)], "any"),
    ("chunk", lambda L, a: a.chunk(3, dim=0), [(5, 2)], "any"),
    ("chunk_fn", lambda L, a: L.chunk(a, 2, -1), [(2, 4)], "any"),
    ("split_empty_dim", lambda L, a: a.split(2), [(0, 3)], "any"),
    ("split_zero_section", lambda L, a: a.split([0, 3], dim=1), [(2, 3)], "any"),
    ("chunk_empty_dim", lambda L, a: a.chunk(2), [(0, 3)], "any"),
]

IDS = case_ids(CASES)


@pytest.mark.parametrize("name, fn, shapes, domain", CASES, ids=IDS)
def test_gradcheck(name, fn, shapes, domain):
    check_gradcheck(fn, shapes, domain)


@pytest.mark.parametrize("name, fn, shapes, domain", CASES, ids=IDS)
def test_matches_torch(name, fn, shapes, domain):
    check_torch(fn, shapes, domain)


def test_views_share_memory_in_forward():
    x = gradlab.tensor(np.arange(6.0).reshape(2, 3))
    assert np.shares_memory(x.T.numpy(), x.numpy())
    assert np.shares_memory(x[:, 1:].numpy(), x.numpy())


# ---------------------------------------------------------------------- error messages


@pytest.mark.parametrize(
    "op, error, message",
    [
        (
            lambda x: x.reshape(4, 2),
            ValueError,
            r"reshape: cannot reshape a tensor of shape \(2, 3\)",
        ),
        (lambda x: x.transpose(0, 2), IndexError, "transpose: dim 2 is out of range"),
        (lambda x: x.permute(0, 0), ValueError, "permute: dims"),
        (lambda x: x.squeeze(3), IndexError, "squeeze: dim 3 is out of range"),
        (lambda x: x.unsqueeze(4), IndexError, "unsqueeze: dim 4 is out of range"),
        (lambda x: x.flatten(0, 5), IndexError, "flatten: dim 5 is out of range"),
        (lambda x: x.split(1, dim=2), IndexError, "split: dim 2 is out of range"),
        (lambda x: x.chunk(2, dim=-3), IndexError, "chunk: dim -3 is out of range"),
        (lambda x: gradlab.cat([x, x], dim=2), IndexError, "cat: dim 2 is out of range"),
        (lambda x: gradlab.stack([x, x], dim=3), IndexError, "stack: dim 3 is out of range"),
        (
            lambda x: gradlab.cat([x, gradlab.ones(3, 3)], dim=1),
            ValueError,
            r"cat: tensor 1 has shape \(3, 3\), expected \(2, 3\)",
        ),
        (lambda x: gradlab.stack([x, x.T]), ValueError, r"stack: tensor 1 has shape \(3, 2\)"),
        (lambda x: x.expand(4, 3, 2), ValueError, r"expand: cannot expand shape \(2, 3\)"),
        (lambda x: x[5], IndexError, r"index: .*\(tensor of shape \(2, 3\)\)"),
        (lambda x: gradlab.pad(x, (1,)), ValueError, "pad: expected an even number"),
    ],
)
def test_errors_name_the_op(op, error, message):
    with pytest.raises(error, match=message):
        op(gradlab.ones(2, 3))


@pytest.mark.parametrize("join", ["cat", "stack"])
def test_cat_and_stack_of_one_tensor_backpropagate(join):
    x = gradlab.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = getattr(gradlab, join)([x], dim=0)
    (out * gradlab.tensor([[2.0, 3.0, 4.0]]).reshape(out.shape)).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 3.0, 4.0])
