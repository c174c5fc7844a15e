"""Shape-changing in-place ops (t_, transpose_, swapaxes_, swapdims_, squeeze_, unsqueeze_,
resize_, resize_as_) against PyTorch: values, shapes, version counters, gradients through
non-leaves and views, node names, and PyTorch's refusals."""

import numpy as np
import pytest

import gradlab

torch = pytest.importorskip("torch")

# name -> (input shape, the in-place call); each returns the tensor it changed
CASES = {
    "t_": ((2, 3), lambda t: t.t_()),
    "t_1d": ((4,), lambda t: t.t_()),
    "t_0d": ((), lambda t: t.t_()),
    "transpose_": ((2, 3, 4), lambda t: t.transpose_(0, 2)),
    "transpose_negative": ((2, 3, 4), lambda t: t.transpose_(-1, 1)),
    "transpose_same": ((2, 3), lambda t: t.transpose_(1, 1)),
    "swapaxes_": ((2, 3, 4), lambda t: t.swapaxes_(2, 0)),
    "swapdims_": ((2, 3, 4), lambda t: t.swapdims_(0, -2)),
    "squeeze_all": ((1, 3, 1, 2), lambda t: t.squeeze_()),
    "squeeze_dim": ((1, 3, 1, 2), lambda t: t.squeeze_(2)),
    "squeeze_dim_not_one": ((1, 3, 1, 2), lambda t: t.squeeze_(1)),
    "squeeze_negative": ((3, 1), lambda t: t.squeeze_(-1)),
    "squeeze_tuple": ((1, 3, 1, 2), lambda t: t.squeeze_((0, 2, 3))),
    "squeeze_0d": ((), lambda t: t.squeeze_()),
    "squeeze_0d_dim": ((), lambda t: t.squeeze_(0)),
    "unsqueeze_": ((2, 3), lambda t: t.unsqueeze_(1)),
    "unsqueeze_end": ((2, 3), lambda t: t.unsqueeze_(2)),
    "unsqueeze_negative": ((2, 3), lambda t: t.unsqueeze_(-1)),
    "unsqueeze_0d": ((), lambda t: t.unsqueeze_(0)),
    "chained": ((1, 2, 3), lambda t: t.squeeze_(0).t_().unsqueeze_(0).transpose_(0, 2)),
}


def _run(lib, name, requires_grad):
    shape, call = CASES[name]
    x_array = np.random.default_rng(0).standard_normal(shape) if shape else np.float64(0.7)
    x = lib.tensor(np.array(x_array), requires_grad=requires_grad)
    y = x * 1.0 if requires_grad else x
    version = y._version
    result = call(y)
    assert result is y
    assert y._version == version + 1 + (name == "chained") * 3
    out = [y.detach().numpy().copy(), tuple(y.shape)]
    if requires_grad:
        weights = np.arange(1.0, y.numel() + 1).reshape(tuple(y.shape))
        (y * lib.tensor(weights)).sum().backward()
        out += [x.grad.numpy().copy(), type(y.grad_fn).__name__ if lib is torch else None]
    return out, y


@pytest.mark.parametrize("name", CASES)
def test_values_shapes_and_gradients_match_torch(name):
    for requires_grad in (False, True):
        ours, ours_t = _run(gradlab, name, requires_grad)
        theirs, theirs_t = _run(torch, name, requires_grad)
        np.testing.assert_array_equal(ours[0], theirs[0])
        assert ours[1] == theirs[1]
        if requires_grad:
            np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-12)
            assert ours_t.grad_fn.name() == theirs[3]


def test_node_names_as_torch():
    for call, expected in [
        (lambda t: t.t_(), "TBackward1"),
        (lambda t: t.transpose_(0, 1), "TransposeBackward1"),
        (lambda t: t.swapaxes_(0, 1), "TransposeBackward1"),
        (lambda t: t.squeeze_(), "SqueezeBackward3"),
        (lambda t: t.squeeze_(0), "SqueezeBackward4"),
        (lambda t: t.squeeze_((0,)), "SqueezeBackward5"),
        (lambda t: t.unsqueeze_(0), "UnsqueezeBackward1"),
    ]:
        for lib in (gradlab, torch):
            y = lib.ones(1, 2, requires_grad=True) * 2
            call(y)
            name = y.grad_fn.name() if lib is gradlab else type(y.grad_fn).__name__
            assert name == expected


def test_the_memory_is_shared_as_torch():
    """The tensor is a new view of the same memory: its old views see writes through it."""
    for lib in (gradlab, torch):
        a = lib.zeros(2, 3)
        row = a[0]
        a.t_()
        a[1, 0] = 5.0
        assert row.tolist() == [0.0, 5.0, 0.0]
        assert a.shape == (3, 2)


def test_a_view_stays_a_view_of_its_base():
    for lib in (gradlab, torch):
        x = lib.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
        y = x * 1.0
        v = y.view(3, 2)
        v.t_()
        assert tuple(v.shape) == (2, 3)
        v.mul_(lib.tensor(np.arange(6.0).reshape(2, 3)))  # through the view, into y
        (y * lib.tensor(np.arange(1.0, 7.0).reshape(2, 3))).sum().backward()
        if lib is gradlab:
            ours = (y.detach().numpy().copy(), x.grad.numpy().copy())
        else:
            np.testing.assert_allclose(ours[0], y.detach().numpy())
            np.testing.assert_allclose(ours[1], x.grad.numpy())


def test_view_of_a_row_unsqueezed():
    for lib in (gradlab, torch):
        x = lib.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
        y = x * 1.0
        v = y[0]
        v.unsqueeze_(0)
        (v * lib.tensor([[1.0, 2.0, 3.0]])).sum().backward()
        if lib is gradlab:
            ours = (tuple(v.shape), x.grad.numpy().copy())
        else:
            assert ours[0] == tuple(v.shape)
            np.testing.assert_allclose(ours[1], x.grad.numpy())


def test_a_view_made_before_its_base_changed_shape_is_refused_in_the_graph():
    x = gradlab.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = x * 1.0
    row = y[0]
    y.t_()
    with pytest.raises(RuntimeError, match="base changed shape in place"):
        row.mul_(2)  # torch regenerates the view from its strides; gradlab says it cannot
    with gradlab.no_grad():
        row.mul_(2)  # outside the graph the memory is shared, as torch's
    assert y.tolist() == [[0.0, 3.0], [2.0, 4.0], [4.0, 5.0]]


@pytest.mark.parametrize(
    "call",
    [
        lambda t: t.t_(),
        lambda t: t.transpose_(0, 1),
        lambda t: t.squeeze_(),
        lambda t: t.unsqueeze_(0),
    ],
)
def test_errors_as_torch(call):
    for lib in (gradlab, torch):
        leaf = lib.ones(2, 3, requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            call(leaf)
        with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
            call(leaf[0:1])
        with lib.no_grad():  # allowed there, as an optimizer's update is
            call(leaf)
        # a tensor saved for backward, then changed in place: backward raises
        y = lib.ones(2, 3, requires_grad=True) * 1.0
        z = y * y
        call(y)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()
        out = (lib.ones(2, 3, requires_grad=True) * 1.0).exp()
        call(out)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.sum().backward()


def test_dimension_errors_as_torch():
    for lib in (gradlab, torch):
        with pytest.raises(IndexError, match=r"expected to be in range of \[-2, 1\], but got 3"):
            lib.zeros(2, 1).squeeze_(3)
        with pytest.raises(IndexError, match=r"expected to be in range of \[-2, 1\], but got 2"):
            lib.zeros(2, 1).transpose_(0, 2)
        with pytest.raises(IndexError, match=r"expected to be in range of \[-3, 2\], but got 3"):
            lib.zeros(2, 1).unsqueeze_(3)
        with pytest.raises(RuntimeError, match=r"t_\(\) expects a tensor with <= 2 dimensions"):
            lib.zeros(2, 1, 3).t_()


def test_detach_shares_the_version_counter_and_data_does_not():
    for lib in (gradlab, torch):
        x = lib.ones(2, 3)
        d = x.detach()
        d.t_()
        assert x._version == 1 and tuple(x.shape) == (2, 3) and tuple(d.shape) == (3, 2)
        leaf = lib.ones(2, 3, requires_grad=True)
        leaf.data.t_()  # .data: outside autograd, its own counter
        assert leaf._version == 0 and tuple(leaf.shape) == (2, 3)


# ---------------------------------------------------------------------- resize_


@pytest.mark.parametrize(
    "shape, sizes",
    [
        ((6,), ((2, 2),)),
        ((6,), (2, 3)),
        ((2, 3), (6,)),
        ((2, 3), ([3, 2],)),
        ((2, 3), ((0,),)),
        ((3,), ((),)),
    ],
)
def test_resize_as_torch(shape, sizes):
    for lib in (gradlab, torch):
        a = lib.tensor(np.arange(float(np.prod(shape))).reshape(shape))
        assert a.resize_(*sizes) is a and a._version == 1
        if lib is gradlab:
            ours = (a.numpy().copy(), tuple(a.shape))
        else:
            np.testing.assert_array_equal(ours[0], a.numpy())
            assert ours[1] == tuple(a.shape)


def test_resize_keeps_memory_order_and_shares_a_shrink():
    for lib in (gradlab, torch):
        a = lib.tensor(np.arange(6.0).reshape(2, 3)).t()  # memory order 0..5
        a.resize_(6)
        assert a.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
        base = lib.tensor(np.arange(6.0).reshape(2, 3))
        row = base[1:]
        row.resize_(2)
        row[0] = 100.0
        assert base.tolist() == [[0.0, 1.0, 2.0], [100.0, 4.0, 5.0]]
        grown = lib.tensor([1.0, 2.0])
        grown.resize_(2, 2)
        assert tuple(grown.shape) == (2, 2) and grown[0].tolist() == [1.0, 2.0]
        assert grown.resize_as_(lib.zeros(3, dtype=lib.int64)).dtype == lib.float32


def test_resize_errors_as_torch():
    for lib in (gradlab, torch):
        for t in (lib.ones(2, requires_grad=True), lib.ones(2, requires_grad=True) * 1.0):
            with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
                t.resize_(4)
            with lib.no_grad(), pytest.raises(RuntimeError, match="cannot resize variables"):
                t.resize_(4)
    with pytest.raises(RuntimeError, match="negative dimension"):
        gradlab.zeros(2).resize_(-1)
