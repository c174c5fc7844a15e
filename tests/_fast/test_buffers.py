"""The buffer pool: explicit ownership, no reference counting.

A taken array is the taker's until it gives it back; a graph node gives its arrays back when
the engine frees it after backward; outputs and gradients that reach a user never come from
the pool. This file runs on every Python from 3.10 to 3.13 that the machine has
(``.ci/run``), with only numpy and pytest installed.
"""

import numpy as np
import pytest

import gradlab
from gradlab import nn
from gradlab._fast import buffers
from gradlab._fast.buffers import POOL, BufferPool, zeros_like_layout

# --- the pool itself ---------------------------------------------------------------------


def test_a_given_back_array_is_reused():
    pool = BufferPool()
    a = pool.take((3, 4), np.float32)
    pool.give(a)
    assert pool.take((3, 4), np.float32) is a
    assert pool.take([3, 4], "float32") is not a  # now lent: never handed out twice


def test_a_live_array_is_never_handed_out_again():
    pool = BufferPool()
    a = pool.take((3, 4), np.float32)
    b = pool.take((3, 4), np.float32)
    assert a is not b and not np.shares_memory(a, b)
    assert pool.lent(a) and pool.lent(b)


def test_give_ignores_what_the_pool_did_not_lend():
    pool = BufferPool()
    users = np.ones((3, 4), np.float32)
    a = pool.take((3, 4), np.float32)
    pool.give(users, None, a[1:], a.T)  # a user's array, a view: not the pool's to take
    assert pool.nbytes == 0 and pool.lent(a)
    pool.give(a)
    pool.give(a)  # a second give of the same array does not list it twice
    assert pool.nbytes == a.nbytes
    assert pool.take((3, 4), np.float32) is a
    assert pool.take((3, 4), np.float32) is not a


def test_key_is_shape_and_dtype_and_limits_hold():
    pool = BufferPool(per_key=1, max_bytes=100)
    a, b = pool.take((5,), np.float32), pool.take((5,), np.float32)
    pool.give(a, b)  # per_key=1: only a is kept
    assert pool.nbytes == 20
    assert pool.take((5,), np.float64) is not a
    assert pool.take((5,), np.float32) is a
    big = pool.take((100,), np.float32)
    pool.give(big)  # over max_bytes: dropped
    assert pool.nbytes == 0


def test_disabled_pool_allocates_and_keeps_nothing():
    pool = BufferPool()
    pool.enabled = False
    a = pool.take((5,), np.float32)
    pool.give(a)
    assert pool.nbytes == 0 and pool.take((5,), np.float32) is not a


def test_an_array_dropped_by_its_owner_is_simply_freed():
    pool = BufferPool()
    a = pool.take((5,), np.float32)
    ident = id(a)
    del a  # e.g. a graph dropped without backward
    assert len(pool._lent) == 0 and ident not in pool._lent


def test_zeros_like_layout_matches_dense_layouts_only():
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


# --- ownership through the graph ---------------------------------------------------------


def _lstm_step(model, x):
    out, _ = model(x)
    out.sum().backward()
    return out


@pytest.fixture
def fresh_pool(monkeypatch):
    monkeypatch.setattr(POOL, "_free", {})
    monkeypatch.setattr(POOL, "nbytes", 0)
    return POOL


def test_a_node_gives_its_buffers_back_when_backward_frees_it(fresh_pool):
    gradlab.manual_seed(0)
    model = nn.LSTM(3, 5)
    x = gradlab.randn(4, 2, 3)
    out, _ = model(x)
    node = out.grad_fn
    while type(node).__name__ != "LSTMLayerBackward0" and not hasattr(node, "buffers"):
        node = node.next_functions[0][0]
    held = node.buffers
    assert all(POOL.lent(a) for a in held)
    out.sum().backward()
    assert not any(POOL.lent(a) for a in held)  # back in the pool
    out2, _ = model(x)  # the next step reuses them
    node2 = out2.grad_fn
    while not hasattr(node2, "buffers"):
        node2 = node2.next_functions[0][0]
    assert {id(a) for a in node2.buffers} == {id(a) for a in held}


def test_retain_graph_keeps_the_buffers_for_a_second_backward(fresh_pool):
    gradlab.manual_seed(0)
    model = nn.LSTM(3, 5)
    x = gradlab.randn(4, 2, 3, requires_grad=True)
    out, _ = model(x)
    loss = out.sum()
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    for _ in range(3):  # other steps in between must not get the retained node's arrays
        _lstm_step(model, gradlab.randn(4, 2, 3))
    x.grad = None
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), first)


def test_outputs_kept_by_the_user_are_never_overwritten(fresh_pool):
    gradlab.manual_seed(0)
    conv = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
    lstm = nn.LSTM(3, 5)
    x = gradlab.randn(2, 3, 8, 8, requires_grad=True)
    seq = gradlab.randn(4, 2, 3, requires_grad=True)
    kept = [conv(x), lstm(seq)[0]]
    for t in kept:
        t.sum().backward()
    snapshots = [t.numpy().copy() for t in kept]
    grads = [x.grad.numpy().copy(), seq.grad.numpy().copy()]
    for _ in range(3):  # more steps with the same shapes
        conv(gradlab.randn(2, 3, 8, 8)).sum().backward()
        lstm(gradlab.randn(4, 2, 3))[0].sum().backward()
    for t, snap in zip(kept, snapshots):
        np.testing.assert_array_equal(t.numpy(), snap)
    np.testing.assert_array_equal(x.grad.numpy(), grads[0])
    np.testing.assert_array_equal(seq.grad.numpy(), grads[1])


def _train(pool_on: bool):
    POOL.enabled = pool_on
    try:
        gradlab.manual_seed(1)
        model = nn.Sequential(
            nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(4 * 4 * 4, 5),
        )  # fmt: skip
        rnn = nn.GRU(3, 4)
        lstm = nn.LSTM(3, 4)
        params = list(model.parameters()) + list(rnn.parameters()) + list(lstm.parameters())
        opt = gradlab.optim.SGD(params, lr=0.1, momentum=0.9)
        rng = np.random.default_rng(0)
        for _ in range(4):
            x = gradlab.tensor(rng.standard_normal((2, 3, 8, 8)).astype(np.float32))
            s = gradlab.tensor(rng.standard_normal((5, 2, 3)).astype(np.float32))
            loss = model(x).square().mean() + rnn(s)[0].mean() + lstm(s)[0].square().mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        return [p.numpy().copy() for p in params]
    finally:
        POOL.enabled = True


def test_training_is_bit_identical_with_the_pool_on_and_off(fresh_pool):
    on, off = _train(True), _train(False)
    for a, b in zip(on, off):
        np.testing.assert_array_equal(a, b)


def test_the_pool_is_the_module_singleton():
    assert buffers.POOL is POOL
