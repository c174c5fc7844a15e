"""The ctx-style custom Function beyond first derivatives, against torch: mark_dirty
(in-place custom functions), the saved-tensor version check, once_differentiable,
set_materialize_grads, setup_context, and double backward through users' backward."""

import numpy as np
import pytest

import gradlab

torch = pytest.importorskip("torch")

SEEN = []


def _functions(lib):
    Function = lib.autograd.Function
    once_differentiable = lib.autograd.function.once_differentiable

    class Double(Function):  # in place: x *= 2
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    class NotReturned(Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    class Save(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 2

    class Cube(Function):  # saves its input: backward is a function of x
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x**2

    class Exp(Function):  # saves its output: double backward flows through the output
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    class OnceSquare(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**2

        @staticmethod
        @once_differentiable
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 2 * x

    class MulSplit(Function):  # PyTorch 2's forward without ctx + setup_context
        @staticmethod
        def forward(x, y):
            return x * y, x + y

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx, g_prod, g_sum):
            x, y = ctx.saved_tensors
            return g_prod * y + g_sum, g_prod * x + g_sum

    class NoMaterialize(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            SEEN.append((g1 is None, g2 is None))
            out = 0
            if g1 is not None:
                out = out + g1 * 2
            if g2 is not None:
                out = out + g2 * 3
            return out

    return locals()


def _each():
    for lib in (gradlab, torch):
        yield lib, _functions(lib)


def test_mark_dirty_continues_the_history_through_the_node():
    results = []
    for lib, f in _each():
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = a.clone()
        before = b._version
        c = f["Double"].apply(b)
        assert c is b and b.grad_fn is not None and b.requires_grad
        (c * c).sum().backward()
        results.append((c.detach().numpy().copy(), a.grad.numpy().copy(), b._version - before))
    (c, g, v), (tc, tg, tv) = results
    np.testing.assert_allclose(c, tc)
    np.testing.assert_allclose(g, tg)
    assert v == tv == 2


def test_mark_dirty_errors_as_torch():
    for lib, f in _each():
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            f["Double"].apply(a)
        with pytest.raises(RuntimeError, match="marked as dirty during the forward method"):
            f["NotReturned"].apply(a.clone())


def test_mark_dirty_without_grad_returns_the_changed_input():
    for lib, f in _each():
        x = lib.tensor([1.0, 2.0])
        y = f["Double"].apply(x)
        assert y is x and x.tolist() == [2.0, 4.0]


def test_saved_tensor_changed_in_place_raises_at_backward():
    for lib, f in _each():
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = a.clone()
        y = f["Save"].apply(b)
        b.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation.*version 1"):
            y.sum().backward()


@pytest.mark.parametrize("name", ["Cube", "Exp"])
def test_double_backward_through_users_backward(name):
    results = []
    for lib, f in _each():
        x = lib.tensor([0.5, -1.5, 2.0], dtype=lib.float64, requires_grad=True)
        y = f[name].apply(x.sin())
        (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        (h,) = lib.autograd.grad((g * g).sum(), x)
        results.append((g.detach().numpy(), h.numpy()))
    (g, h), (tg, th) = results
    np.testing.assert_allclose(g, tg, rtol=1e-12)
    np.testing.assert_allclose(h, th, rtol=1e-12)


def test_once_differentiable_as_torch():
    for lib, f in _each():
        x = lib.tensor([1.0, 3.0], requires_grad=True)
        (g,) = lib.autograd.grad(f["OnceSquare"].apply(x).sum(), x, create_graph=True)
        assert g.tolist() == [2.0, 6.0] and not g.requires_grad
        v = lib.tensor([1.0, 1.0], requires_grad=True)
        (g,) = lib.autograd.grad(f["OnceSquare"].apply(x), x, grad_outputs=v, create_graph=True)
        assert g.requires_grad
        with pytest.raises(RuntimeError, match="marked with @once_differentiable"):
            g.sum().backward()


def test_setup_context_style_with_two_outputs_and_double_backward():
    results = []
    for lib, f in _each():
        x = lib.tensor([0.5, 2.0], dtype=lib.float64, requires_grad=True)
        y = lib.tensor([-1.0, 3.0], dtype=lib.float64, requires_grad=True)
        prod, total = f["MulSplit"].apply(x, y)
        loss = (prod * total).sum()
        gx, gy = lib.autograd.grad(loss, [x, y], create_graph=True)
        hx, hy = lib.autograd.grad((gx * gy).sum(), [x, y])
        results.append([t.detach().numpy() for t in (prod, total, gx, gy, hx, hy)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_set_materialize_grads_false_gives_none_for_unused_outputs():
    grads = []
    SEEN.clear()
    for lib, f in _each():
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        first, _ = f["NoMaterialize"].apply(x)
        first.sum().backward()
        grads.append(x.grad.tolist())
    assert grads == [[2.0, 2.0]] * 2
    assert SEEN == [(False, True)] * 2
