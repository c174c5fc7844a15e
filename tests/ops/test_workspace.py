"""The buffer pool hands an array out again only when nothing else refers to it."""

import numpy as np

from gradlab.ops.workspace import BufferPool


def test_reuses_only_unreferenced_arrays():
    pool = BufferPool(per_key=2)
    a = pool.get((3, 4), np.float32)
    b = pool.get((3, 4), np.float32)
    assert a is not b  # a is still referenced here
    view = b[1:]
    del b
    c = pool.get((3, 4), np.float32)
    assert c is not a and c is not view.base  # a by name, b through its view
    assert pool.nbytes == 2 * 48  # the third array was not kept (per_key=2)
    kept = [id(x) for x in pool._arrays[((3, 4), np.dtype(np.float32))]]
    del a, c, view
    first = pool.get((3, 4), np.float32)
    second = pool.get((3, 4), np.float32)
    assert sorted([id(first), id(second)]) == sorted(kept)  # both kept arrays are free again


def test_dtype_and_shape_are_part_of_the_match():
    pool = BufferPool()
    a = pool.get([3, 4], "float32")
    a_id = id(a)
    del a
    assert id(pool.get((3, 4), np.float32)) == a_id  # same key however shape/dtype are spelled
    assert pool.get((3, 4), np.float64).dtype == np.float64
    assert pool.get((4, 3), np.float32).shape == (4, 3)


def test_zeros_clears_a_reused_array():
    pool = BufferPool()
    a = pool.get((5,), np.float32)
    a[...] = 7
    del a
    assert not pool.zeros((5,), np.float32).any()


def test_zeros_like_layout_matches_dense_layouts_only():
    from gradlab.ops.workspace import zeros_like_layout

    c = np.ones((2, 3, 4), np.float32)
    z = zeros_like_layout(c)
    assert z.shape == c.shape and z.dtype == c.dtype and not z.any()
    assert not z.flags.writeable
    permuted = np.ones((2, 4, 5, 3), np.float64).transpose(0, 3, 1, 2)  # NHWC behind NCHW
    z = zeros_like_layout(permuted)
    assert z.strides == permuted.strides and z.dtype == np.float64 and not z.any()
    assert zeros_like_layout(np.ones((4, 6), np.float32)[:, ::2]) is None  # gaps
    assert zeros_like_layout(np.ones(5, np.float32)[::-1]) is None
    assert zeros_like_layout(np.broadcast_to(np.ones(3, np.float32), (4, 3))) is None
    big = zeros_like_layout(np.ones(5000, np.float32))  # the shared buffer grows
    assert big.shape == (5000,) and not big.any()
