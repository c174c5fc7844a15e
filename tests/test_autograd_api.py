"""PyTorch's autograd API on gradlab: ctx-style Function, grad, backward, hooks,
next_functions, inference_mode; each checked against torch with the same program."""

import numpy as np
import pytest

import gradlab
from gradlab.autograd import Function

torch = pytest.importorskip("torch")


def _pair(values, requires_grad=True):
    array = np.asarray(values, np.float64)
    return (
        gradlab.tensor(array, requires_grad=requires_grad),
        torch.tensor(array, requires_grad=requires_grad),
    )


def _grad(t):
    return None if t.grad is None else np.asarray(t.grad)


def _make_functions(base):
    class ScaledExp(base):
        @staticmethod
        def forward(ctx, x, k):
            y = (x * k).exp()
            ctx.save_for_backward(y)
            ctx.k = k
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            assert ctx.needs_input_grad == (True, False)
            return grad * y * ctx.k, None

    class SplitTwo(base):
        @staticmethod
        def forward(ctx, x, w):
            ctx.save_for_backward(x, w)
            return x * w, x + w

        @staticmethod
        def backward(ctx, g1, g2):
            x, w = ctx.saved_tensors
            return g1 * w + g2, g1 * x + g2

    class WithIndex(base):
        @staticmethod
        def forward(ctx, x):
            index = x.argmax()
            ctx.mark_non_differentiable(index)
            return x * 2, index

        @staticmethod
        def backward(ctx, g, g_index):
            return g * 2

    class NoMaterialize(base):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 1, x * 2

        @staticmethod
        def backward(ctx, g1, g2):
            ctx.seen = (g1 is None, g2 is None)
            out = 0 * x_of(g1, g2)
            if g1 is not None:
                out = out + g1
            if g2 is not None:
                out = out + 2 * g2
            return out

    class Split(base):
        @staticmethod
        def forward(x, k):
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.k = inputs[1]

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None

    return ScaledExp, SplitTwo, WithIndex, NoMaterialize, Split


def x_of(*grads):
    return next(g for g in grads if g is not None)


OURS = _make_functions(Function)
THEIRS = _make_functions(torch.autograd.Function)


@pytest.mark.parametrize(
    "index, program",
    [
        (0, lambda F, x, w: F.apply(x, 1.5).sum()),
        (1, lambda F, x, w: (lambda a, b: (a * b).sum())(*F.apply(x, w))),
        (1, lambda F, x, w: F.apply(x, w)[1].sum()),
        (2, lambda F, x, w: F.apply(x)[0].sum() * 3),
        (3, lambda F, x, w: F.apply(x)[1].sum()),
        (4, lambda F, x, w: (F.apply(x, 2.5) * w).sum()),
    ],
)
def test_ctx_function_matches_torch(index, program):
    x, tx = _pair([0.5, -1.0, 2.0])
    w, tw = _pair([1.5, 2.0, -0.5])
    out, tout = program(OURS[index], x, w), program(THEIRS[index], tx, tw)
    np.testing.assert_allclose(out.item(), tout.item(), rtol=1e-12)
    out.backward()
    tout.backward()
    for ours, theirs in ((x, tx), (w, tw)):
        expected = None if theirs.grad is None else theirs.grad.numpy()
        if expected is None:
            assert ours.grad is None
        else:
            np.testing.assert_allclose(_grad(ours), expected, rtol=1e-12)


def test_ctx_function_details():
    ScaledExp, _, WithIndex, NoMaterialize, _ = OURS
    x, _ = _pair([0.5, -1.0, 2.0])
    y = ScaledExp.apply(x, 2.0)
    assert y.requires_grad and y.grad_fn.name() == "ScaledExpBackward"
    (node, _), (none, _) = y.grad_fn.next_functions
    assert node.variable is x and none is None
    values, index = WithIndex.apply(x)
    assert values.requires_grad and not index.requires_grad
    with gradlab.no_grad():
        assert not ScaledExp.apply(x, 2.0).requires_grad
    a, b = NoMaterialize.apply(x)
    b.sum().backward()
    assert a.grad_fn.next_functions[0][0].seen == (True, False)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.sum().backward()


def test_apply_takes_keyword_arguments_as_torch():
    class Scale(Function):
        @staticmethod
        def forward(ctx, x, k=2.0):
            ctx.k = k
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None

    class SplitScale(Function):
        @staticmethod
        def forward(x, k=2.0):
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.k = inputs[1]

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None

    for F in (Scale, SplitScale):
        x, _ = _pair([1.0, 2.0])
        F.apply(x, k=3.0).sum().backward()
        assert _grad(x).tolist() == [3.0, 3.0]
        assert F.apply(x).tolist() == [2.0, 4.0]


def test_once_differentiable_and_function_ctx():
    once = gradlab.autograd.function.once_differentiable

    class Double(Function):
        @staticmethod
        def forward(ctx, x):
            assert isinstance(ctx, gradlab.autograd.function.FunctionCtx)
            return x * 2

        @staticmethod
        @once
        def backward(ctx, g):
            return g * 2

    x, _ = _pair([1.0])
    Double.apply(x).sum().backward()
    assert _grad(x).tolist() == [2.0]


def test_ctx_function_errors():
    class WrongCount(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    class WrongShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g[:1]

    x, _ = _pair([1.0, 2.0])
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        WrongCount.apply(x, x).sum().backward()
    with pytest.raises(RuntimeError, match="invalid gradient at index 0"):
        WrongShape.apply(x).sum().backward()
    with pytest.raises(TypeError, match="save tensors or None"):

        class SavesNumber(Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(3.0)
                return x

        SavesNumber.apply(x)


def test_gradlab_ops_keep_the_internal_style():
    x, _ = _pair([1.0, 2.0])
    y = x * x
    assert y.grad_fn.name() == "MulBackward0"
    assert [type(n).__name__ for n, _ in y.grad_fn.next_functions] == ["AccumulateGrad"] * 2
    z = y.exp()
    assert z.grad_fn.next_functions[0][0] is y.grad_fn


def test_autograd_grad_matches_torch():
    x, tx = _pair([[0.5, -1.0], [2.0, 0.3]])
    w, tw = _pair([1.5, -0.5])

    def program(lib, x, w):
        h = (x * w).tanh()
        return (h * h).sum(), h

    (out, h), (tout, th) = program(gradlab, x, w), program(torch, tx, tw)
    got = gradlab.autograd.grad(out, [x, h, w], retain_graph=True)
    expected = torch.autograd.grad(tout, [tx, th, tw], retain_graph=True)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-12)
    assert x.grad is None and w.grad is None
    upstream = np.array([[1.0, 2.0], [3.0, -1.0]])
    (gx,) = gradlab.autograd.grad(h, x, grad_outputs=gradlab.tensor(upstream))
    (ex,) = torch.autograd.grad(th, tx, grad_outputs=torch.tensor(upstream))
    np.testing.assert_allclose(gx.numpy(), ex.numpy(), rtol=1e-12)


def test_autograd_grad_errors_and_unused():
    x, _ = _pair([1.0, 2.0])
    unused, _ = _pair([3.0])
    with pytest.raises(RuntimeError, match="not have been used in the graph"):
        gradlab.autograd.grad((x * 2).sum(), [x, unused])
    gx, gu = gradlab.autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gu is None and gx.tolist() == [2.0, 2.0]
    _, gu = gradlab.autograd.grad((x * 2).sum(), [x, unused], materialize_grads=True)
    assert gu.tolist() == [0.0]
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        gradlab.autograd.grad(x * 2, x)
    with pytest.raises(RuntimeError, match="does not require grad"):
        gradlab.autograd.grad((x * 2).sum(), gradlab.tensor([1.0]))
    (g,) = gradlab.autograd.grad((x * x).sum(), x, create_graph=True)  # test_higher_order.py
    assert g.requires_grad


def test_autograd_backward_several_tensors_and_inputs():
    x, tx = _pair([1.0, 2.0])
    w, tw = _pair([3.0, -1.0])
    for lib, a, b in ((gradlab, x, w), (torch, tx, tw)):
        lib.autograd.backward([(a * b).sum(), a * a], [None, lib.ones(2, dtype=lib.float64)])
        lib.autograd.backward((a * b).sum(), inputs=[b])
    np.testing.assert_allclose(_grad(x), tx.grad.numpy())
    np.testing.assert_allclose(_grad(w), tw.grad.numpy())


def test_hooks_match_torch():
    def program(lib, x, log):
        h = x * 3
        handle = h.register_hook(lambda g: g * 10)
        x.register_hook(lambda g: log.append(g.tolist()))
        y = (h * h).sum() + (x * 2).sum()
        y.backward(retain_graph=True)
        handle.remove()
        y.backward()
        return x.grad

    ours, theirs = [], []
    x, tx = _pair([1.0, 2.0])
    np.testing.assert_allclose(np.asarray(program(gradlab, x, ours)), program(torch, tx, theirs))
    assert ours == theirs and len(ours) == 2  # a leaf hook runs once with the whole gradient


def test_hook_errors_and_post_accumulate():
    x, _ = _pair([1.0, 2.0])
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        gradlab.tensor([1.0]).register_hook(print)
    h = x * 2
    h.register_hook(lambda g: g[:1])
    with pytest.raises(RuntimeError, match="changed the size"):
        h.sum().backward()
    seen = []
    x.grad = None
    x.register_post_accumulate_grad_hook(lambda t: seen.append(np.asarray(t.grad).tolist()))
    (x * 3).sum().backward()
    assert seen == [[3.0, 3.0]]


def test_inference_mode():
    x, _ = _pair([1.0])
    with gradlab.inference_mode():
        assert gradlab.is_inference_mode_enabled() and not (x * 2).requires_grad
    assert (x * 2).requires_grad and not gradlab.is_inference_mode_enabled()
    with gradlab.inference_mode(False):
        assert (x * 2).requires_grad

    @gradlab.inference_mode()
    def f(t):
        return t * 2

    @gradlab.autograd.inference_mode
    def g(t):
        return t * 2

    assert not f(x).requires_grad and not g(x).requires_grad
    assert gradlab.is_grad_enabled()
