"""Indexing, shape and product ops of the catalogue: finite differences (float64) and PyTorch
(float32), including size-0/size-1 axes and repeated indices; PyTorch's errors."""

import numpy as np
import pytest
from opcheck import case_ids, check_gradcheck, check_torch

import gradlab

torch = pytest.importorskip("torch")


def idx(L, values):
    return L.tensor(values)


# (name, fn(lib, *tensors), input shapes, domain)
CASES = [
    ("gather", lambda L, a: a.gather(1, idx(L, [[0, 0, 2], [1, 3, 3]])), [(2, 4)], "any"),
    ("gather_smaller", lambda L, a: L.gather(a, 0, idx(L, [[2, 0]])), [(3, 4)], "any"),
    ("scatter", lambda L, a, s: a.scatter(1, idx(L, [[0, 2], [1, 3]]), s), [(2, 4), (2, 2)], "any"),
    ("scatter_value", lambda L, a: L.scatter(a, 0, idx(L, [[1, 0, 2]]), 1.5), [(3, 3)], "any"),
    (
        "scatter_add",
        lambda L, a, s: a.scatter_add(0, idx(L, [[0, 1, 0], [0, 2, 0]]), s),
        [(3, 3), (2, 3)],
        "any",
    ),
    (
        "scatter_reduce_sum",
        lambda L, a, s: a.scatter_reduce(1, idx(L, [[0, 0]]), s, "sum"),
        [(1, 3), (1, 2)],
        "any",
    ),
    ("index_select", lambda L, a: a.index_select(1, idx(L, [3, 0, 3])), [(2, 4)], "any"),
    ("index_select_dim0", lambda L, a: L.index_select(a, 0, idx(L, [1])), [(2, 4)], "any"),
    (
        "index_add",
        lambda L, a, s: a.index_add(0, idx(L, [2, 0, 2]), s, alpha=2),
        [(3, 2), (3, 2)],
        "any",
    ),
    ("index_copy", lambda L, a, s: L.index_copy(a, 1, idx(L, [2, 0]), s), [(2, 3), (2, 2)], "any"),
    ("index_fill", lambda L, a: a.index_fill(1, idx(L, [0, 2]), -1.0), [(2, 3)], "any"),
    ("masked_fill", lambda L, a: a.masked_fill(a > 0, 0.5), [(3, 4)], "nz"),
    (
        "masked_fill_broadcast",
        lambda L, a: L.masked_fill(a, L.tensor([True, False, True]), 2.0),
        [(2, 3)],
        "any",
    ),
    ("masked_fill_tensor_value", lambda L, a, v: a.masked_fill(a < 0, v), [(2, 3), ()], "nz"),
    ("masked_select", lambda L, a: a.masked_select(a > 0), [(3, 4)], "nz"),
    (
        "masked_select_broadcast",
        lambda L, a: L.masked_select(a, L.tensor([[True], [False]])),
        [(2, 3)],
        "any",
    ),
    ("take", lambda L, a: L.take(a, idx(L, [[0, 5], [5, 2]])), [(2, 3)], "any"),
    ("take_along_dim", lambda L, a: L.take_along_dim(a, idx(L, [[0], [2]]), 1), [(2, 3)], "any"),
    ("take_along_dim_flat", lambda L, a: L.take_along_dim(a, idx(L, [4, 1])), [(2, 3)], "any"),
    ("narrow", lambda L, a: a.narrow(1, 1, 2), [(2, 4)], "any"),
    ("narrow_negative_start", lambda L, a: L.narrow(a, 0, -2, 2), [(3, 2)], "any"),
    ("select", lambda L, a: a.select(1, -1), [(2, 4)], "any"),
    ("unbind", lambda L, a: L.unbind(a, 1), [(2, 3)], "any"),
    ("tril", lambda L, a: a.tril(), [(3, 4)], "any"),
    ("triu_offset", lambda L, a: L.triu(a, 1), [(2, 4, 3)], "any"),
    ("tril_negative", lambda L, a: a.tril(-1), [(4, 4)], "any"),
    ("roll", lambda L, a: a.roll(1, 1), [(2, 4)], "any"),
    ("roll_flat", lambda L, a: L.roll(a, -2), [(2, 3)], "any"),
    ("roll_two_dims", lambda L, a: a.roll((1, -1), (0, 1)), [(3, 4)], "any"),
    ("flip", lambda L, a: a.flip(0), [(3, 4)], "any"),
    ("flip_dims", lambda L, a: L.flip(a, (0, 2)), [(2, 3, 2)], "any"),
    ("fliplr", lambda L, a: L.fliplr(a), [(2, 3)], "any"),
    ("flipud", lambda L, a: a.flipud(), [(2, 3)], "any"),
    ("rot90", lambda L, a: L.rot90(a), [(2, 3)], "any"),
    ("rot90_k3", lambda L, a: a.rot90(3, (1, 0)), [(2, 3)], "any"),
    ("repeat", lambda L, a: a.repeat(2, 3), [(2, 3)], "any"),
    ("repeat_new_dims", lambda L, a: a.repeat(2, 1, 2), [(3,)], "any"),
    ("tile", lambda L, a: L.tile(a, (2,)), [(2, 3)], "any"),
    ("repeat_interleave", lambda L, a: a.repeat_interleave(2), [(2, 3)], "any"),
    (
        "repeat_interleave_dim",
        lambda L, a: L.repeat_interleave(a, L.tensor([1, 0, 2]), dim=1),
        [(2, 3)],
        "any",
    ),
    ("unfold", lambda L, a: a.unfold(1, 2, 1), [(2, 5)], "any"),
    ("unfold_step", lambda L, a: a.unfold(0, 2, 2), [(5, 3)], "any"),
    ("movedim", lambda L, a: a.movedim(0, -1), [(2, 3, 4)], "any"),
    ("moveaxis_tuple", lambda L, a: L.moveaxis(a, (0, 1), (2, 0)), [(2, 3, 4)], "any"),
    ("swapaxes", lambda L, a: a.swapaxes(0, 2), [(2, 3, 4)], "any"),
    ("swapdims", lambda L, a: L.swapdims(a, 1, 0), [(2, 3)], "any"),
    ("diag_vector", lambda L, a: L.diag(a), [(3,)], "any"),
    ("diag_vector_offset", lambda L, a: a.diag(-1), [(3,)], "any"),
    ("diag_matrix", lambda L, a: a.diag(1), [(3, 4)], "any"),
    ("diagonal", lambda L, a: L.diagonal(a, 0, 1, 2), [(2, 3, 3)], "any"),
    ("diagonal_offset", lambda L, a: a.diagonal(-1, 0, 2), [(3, 2, 3)], "any"),
    ("diag_embed", lambda L, a: L.diag_embed(a, 1, 0, 2), [(2, 3)], "any"),
    ("diagflat", lambda L, a: L.diagflat(a), [(2, 2)], "any"),
    ("trace", lambda L, a: a.trace(), [(3, 4)], "any"),
    ("unflatten", lambda L, a: a.unflatten(1, (2, -1)), [(2, 6)], "any"),
    ("ravel", lambda L, a: a.ravel(), [(2, 3)], "any"),
    ("view_as", lambda L, a, b: a.view_as(b), [(2, 3), (3, 2)], "any"),
    ("expand_as", lambda L, a, b: a.expand_as(b), [(3, 1), (3, 4)], "any"),
    ("atleast_2d", lambda L, a: L.atleast_2d(a), [(3,)], "any"),
    ("atleast_3d", lambda L, a: L.atleast_3d(a), [(2, 3)], "any"),
    ("hstack", lambda L, a, b: L.hstack([a, b]), [(2, 3), (2, 1)], "any"),
    ("vstack", lambda L, a, b: L.vstack((a, b)), [(3,), (3,)], "any"),
    ("dstack", lambda L, a, b: L.dstack([a, b]), [(2, 3), (2, 3)], "any"),
    ("column_stack", lambda L, a, b: L.column_stack([a, b]), [(3,), (3, 2)], "any"),
    ("meshgrid_ij", lambda L, a, b: L.meshgrid(a, b, indexing="ij"), [(3,), (2,)], "any"),
    ("meshgrid_xy", lambda L, a, b: L.meshgrid(a, b, indexing="xy"), [(3,), (2,)], "any"),
    ("broadcast_tensors", lambda L, a, b: L.broadcast_tensors(a, b), [(3, 1), (4,)], "any"),
    ("tensor_split", lambda L, a: a.tensor_split(3, dim=1), [(2, 7)], "any"),
    ("tensor_split_indices", lambda L, a: L.tensor_split(a, [1, 4]), [(5, 2)], "any"),
    ("hsplit", lambda L, a: L.hsplit(a, 2), [(2, 4)], "any"),
    ("cartesian_prod", lambda L, a, b: L.cartesian_prod(a, b), [(3,), (2,)], "any"),
    ("block_diag", lambda L, a, b: L.block_diag(a, b), [(2, 3), (1, 2)], "any"),
    ("mm", lambda L, a, b: L.mm(a, b), [(2, 3), (3, 4)], "any"),
    ("mm_size0", lambda L, a, b: a.mm(b), [(2, 0), (0, 4)], "any"),
    ("bmm", lambda L, a, b: L.bmm(a, b), [(2, 2, 3), (2, 3, 4)], "any"),
    ("mv", lambda L, a, b: a.mv(b), [(2, 3), (3,)], "any"),
    ("dot", lambda L, a, b: L.dot(a, b), [(3,), (3,)], "any"),
    ("vdot", lambda L, a, b: L.vdot(a, b), [(3,), (3,)], "any"),
    ("inner", lambda L, a, b: L.inner(a, b), [(2, 3), (4, 3)], "any"),
    ("outer", lambda L, a, b: L.outer(a, b), [(3,), (4,)], "any"),
    ("ger", lambda L, a, b: a.ger(b), [(3,), (2,)], "any"),
    (
        "addmm",
        lambda L, c, a, b: L.addmm(c, a, b, beta=0.5, alpha=2),
        [(4,), (2, 3), (3, 4)],
        "any",
    ),
    ("addmv", lambda L, c, a, b: c.addmv(a, b), [(2,), (2, 3), (3,)], "any"),
    ("addr", lambda L, c, a, b: L.addr(c, a, b, alpha=3), [(2, 3), (2,), (3,)], "any"),
    (
        "baddbmm",
        lambda L, c, a, b: L.baddbmm(c, a, b, beta=2),
        [(2, 2, 4), (2, 2, 3), (2, 3, 4)],
        "any",
    ),
    ("addbmm", lambda L, c, a, b: c.addbmm(a, b), [(2, 4), (3, 2, 3), (3, 3, 4)], "any"),
    (
        "tensordot",
        lambda L, a, b: L.tensordot(a, b, dims=([1, 2], [0, 1])),
        [(2, 3, 4), (3, 4, 5)],
        "any",
    ),
    ("tensordot_int", lambda L, a, b: L.tensordot(a, b, 1), [(2, 3), (3, 4)], "any"),
    ("einsum_matmul", lambda L, a, b: L.einsum("ij,jk->ik", a, b), [(2, 3), (3, 4)], "any"),
    ("einsum_batch", lambda L, a, b: L.einsum("bij,bjk->bik", a, b), [(2, 2, 3), (2, 3, 4)], "any"),
    ("einsum_implicit", lambda L, a, b: L.einsum("ij,kj", a, b), [(2, 3), (4, 3)], "any"),
    (
        "einsum_ellipsis",
        lambda L, a, b: L.einsum("...ij,...jk->...ik", a, b),
        [(2, 2, 3), (2, 3, 1)],
        "any",
    ),
    (
        "einsum_broadcast_ellipsis",
        lambda L, a, b: L.einsum("...j,j->...", a, b),
        [(2, 3), (3,)],
        "any",
    ),
    ("einsum_trace", lambda L, a: L.einsum("ii", a), [(3, 3)], "any"),
    ("einsum_diag", lambda L, a: L.einsum("ii->i", a), [(3, 3)], "any"),
    ("einsum_sum_only_here", lambda L, a, b: L.einsum("ij,k->k", a, b), [(2, 3), (4,)], "any"),
    (
        "einsum_list",
        lambda L, a, b, c: L.einsum("i,j,k->ijk", [a, b, c]),
        [(2,), (3,), (2,)],
        "any",
    ),
    ("kron", lambda L, a, b: L.kron(a, b), [(2, 3), (2, 2)], "any"),
    ("kron_mixed_ndim", lambda L, a, b: L.kron(a, b), [(3,), (2, 2)], "any"),
    ("cross", lambda L, a, b: L.cross(a, b, dim=1), [(2, 3), (2, 3)], "any"),
    ("cross_broadcast", lambda L, a, b: a.cross(b, dim=-1), [(3, 3), (1, 3)], "any"),
    ("cdist", lambda L, a, b: L.cdist(a, b), [(3, 2), (4, 2)], "any"),
    ("cdist_p1", lambda L, a, b: L.cdist(a, b, p=1.0), [(2, 3, 2), (2, 4, 2)], "nz"),
]

IDS = case_ids(CASES)


@pytest.mark.parametrize("name, fn, shapes, domain", CASES, ids=IDS)
def test_gradcheck(name, fn, shapes, domain):
    check_gradcheck(fn, shapes, domain)


@pytest.mark.parametrize("name, fn, shapes, domain", CASES, ids=IDS)
def test_matches_torch(name, fn, shapes, domain):
    check_torch(fn, shapes, domain)


def test_nonzero_where_and_indices_match_torch():
    a = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]], np.float32)
    ours, theirs = gradlab.tensor(a), torch.tensor(a)
    np.testing.assert_array_equal(gradlab.nonzero(ours), torch.nonzero(theirs))
    np.testing.assert_array_equal(ours.argwhere(), theirs.argwhere())
    for o, t in zip(gradlab.where(ours > 0), torch.where(theirs > 0)):
        np.testing.assert_array_equal(o, t)
    for o, t in zip(ours.nonzero(as_tuple=True), theirs.nonzero(as_tuple=True)):
        np.testing.assert_array_equal(o, t)
    for fn in (gradlab.tril_indices, gradlab.triu_indices):
        expected = getattr(torch, fn.__name__)(3, 4, 1)
        np.testing.assert_array_equal(fn(3, 4, 1), expected)
    assert gradlab.broadcast_shapes((3, 1), (4,)) == tuple(torch.broadcast_shapes((3, 1), (4,)))
    with pytest.warns(UserWarning, match="indexing"):
        gradlab.meshgrid(ours[0], ours[1])


def test_scatter_reduce_forward_matches_torch():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    src = np.array([[5.0, 1.0, 7.0, 2.0]], np.float32)
    index = [[0, 0, 2, 2]]
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        for include_self in (True, False):
            got = gradlab.tensor(a).scatter_reduce(
                1, gradlab.tensor(index), gradlab.tensor(src), reduce, include_self=include_self
            )
            expected = torch.tensor(a).scatter_reduce(
                1, torch.tensor(index), torch.tensor(src), reduce, include_self=include_self
            )
            np.testing.assert_allclose(got.numpy(), expected.numpy(), err_msg=reduce)
    legacy = gradlab.tensor(a).scatter(1, gradlab.tensor([[0, 0]]), 2.0, reduce="multiply")
    expected = torch.tensor(a).scatter(1, torch.tensor([[0, 0]]), 2.0, reduce="multiply")
    np.testing.assert_allclose(legacy.numpy(), expected.numpy())


ERRORS = [
    lambda L, a: a.gather(1, L.tensor([[0, 4]])),
    lambda L, a: a.gather(1, L.tensor([[0.0, 1.0]])),
    lambda L, a: a.gather(1, L.tensor([0, 1])),
    lambda L, a: a.gather(3, L.tensor([[0]])),
    lambda L, a: a.index_select(0, L.tensor([[0]])),
    lambda L, a: a.index_select(0, L.tensor([5])),
    lambda L, a: a.masked_fill(L.tensor([1, 0, 1]), 0.0),
    lambda L, a: a.narrow(1, 2, 3),
    lambda L, a: a.select(0, 3),
    lambda L, a: a.unfold(1, 5, 1),
    lambda L, a: a.repeat(2),
    lambda L, a: a.roll((1, 2), 0),
    lambda L, a: a.flip((0, 0)),
    lambda L, a: L.mm(a, a),
    lambda L, a: L.mm(a[0], a),
    lambda L, a: L.bmm(a, a),
    lambda L, a: L.dot(a[0], a[0, :2]),
    lambda L, a: L.mv(a, a[0, :2]),
    lambda L, a: L.diag(a[None]),
    lambda L, a: a[0].trace(),
    lambda L, a: L.diagonal(a, 0, 1, 1),
    lambda L, a: a.unflatten(1, (2, 2)),
    lambda L, a: L.tril(a[0]),
    lambda L, a: L.cross(a, a[0]),
    lambda L, a: L.take(a, L.tensor([7])),
    lambda L, a: L.tensordot(a, a, dims=([1], [1, 0])),
]


@pytest.mark.parametrize("fn", ERRORS)
def test_errors_match_torch(fn):
    """Each call that PyTorch refuses is refused too (with the same exception class)."""
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    with pytest.raises(Exception) as theirs:
        fn(torch, torch.tensor(a))
    with pytest.raises(Exception) as ours:
        fn(gradlab, gradlab.tensor(a))
    assert isinstance(ours.value, type(theirs.value)) or issubclass(
        type(theirs.value), type(ours.value)
    ), f"gradlab raised {ours.value!r}, torch {theirs.value!r}"
