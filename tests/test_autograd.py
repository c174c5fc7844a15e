"""The engine: backward, accumulation, freed graphs, grad modes, retain_grad, aliasing."""

import numpy as np
import pytest

import gradlab
from gradlab import autograd
from gradlab.autograd import Function


def leaf(values, dtype=np.float32):
    return gradlab.tensor(np.array(values, dtype), requires_grad=True)


def test_notes_graph_example():
    # f = x*y + z at x=7, y=13, z=19 (course notes, assignment 02 Q2)
    x, y, z = leaf(7.0), leaf(13.0), leaf(19.0)
    f = x * y + z
    f.backward()
    assert f.item() == 110
    assert (x.grad.item(), y.grad.item(), z.grad.item()) == (13, 7, 1)
    assert all(type(t.grad) is gradlab.Tensor for t in (x, y, z))


def test_gradients_accumulate_across_backward_calls():
    x = leaf([1.0, 2.0])
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, [3 + 2, 3 + 4])
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad, [3, 3])


def test_second_backward_through_freed_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * first, rtol=1e-6)


def test_no_grad_context_and_decorator():
    x = leaf([1.0])
    with gradlab.no_grad():
        y = x * 2
        assert not autograd.is_grad_enabled()
        with gradlab.enable_grad():
            z = x * 2
            assert autograd.is_grad_enabled()
    assert autograd.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None

    @gradlab.no_grad()
    def frozen(t):
        return t * 2

    @gradlab.no_grad
    def frozen_bare(t):
        return t * 2

    @gradlab.enable_grad()
    def thawed(t):
        return t * 2

    assert not frozen(x).requires_grad and not frozen_bare(x).requires_grad
    with gradlab.no_grad():
        assert thawed(x).requires_grad
    assert autograd.is_grad_enabled()


def test_no_grad_decorator_is_reentrant():
    @gradlab.no_grad()
    def depth(n):
        return depth(n - 1) if n else autograd.is_grad_enabled()

    assert depth(3) is False
    assert autograd.is_grad_enabled()


def test_no_grad_restores_mode_after_exception():
    with pytest.raises(ValueError), gradlab.no_grad():
        raise ValueError
    assert autograd.is_grad_enabled()


def test_set_grad_enabled_function_and_context():
    with gradlab.set_grad_enabled(False):
        assert not autograd.is_grad_enabled()
    assert autograd.is_grad_enabled()
    gradlab.set_grad_enabled(False)
    try:
        assert not (leaf([1.0]) * 2).requires_grad
    finally:
        gradlab.set_grad_enabled(True)
    assert autograd.is_grad_enabled()


def test_requires_grad_propagation():
    a, b = leaf([1.0]), gradlab.tensor([2.0])
    assert (a * b).requires_grad and not (b * b).requires_grad
    assert (b + a).grad_fn is not None and not (a * b).is_leaf
    assert (a.detach() * 2).requires_grad is False
    c = gradlab.tensor([1.0]).requires_grad_()
    assert c.requires_grad and c.is_leaf
    with pytest.raises(RuntimeError, match="leaf tensors"):
        (a * 2).requires_grad = False


def test_backward_on_non_scalar_needs_gradient():
    x = leaf([1.0, 2.0])
    y = x * 2
    with pytest.raises(RuntimeError, match=r"only for scalar outputs.*shape \(2,\)"):
        y.backward()
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\), expected \(2,\)"):
        y.backward(np.ones(3))
    y.backward(gradlab.tensor([1.0, 10.0]))
    np.testing.assert_allclose(x.grad, [2.0, 20.0])


def test_backward_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        gradlab.tensor([1.0]).sum().backward()


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
def test_integer_tensors_cannot_require_grad(dtype):
    with pytest.raises(RuntimeError, match="floating point"):
        gradlab.tensor(np.array([1, 0], dtype), requires_grad=True)
    with pytest.raises(RuntimeError, match=str(np.dtype(dtype))):
        gradlab.tensor(np.array([1, 0], dtype)).requires_grad_()


def test_tensor_used_several_times():
    x = leaf([2.0, 3.0])
    y = x * x + x * 3 + x.exp() * 0  # dy/dx = 2x + 3
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [7.0, 9.0])


def test_diamond_graph():
    x = leaf([1.5])
    a = x * 2
    b = a.exp()
    c = a * a
    (b + c).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * np.exp(3.0) + 8 * 1.5, rtol=1e-6)


def test_retain_grad_on_intermediates():
    x = leaf([1.0, 2.0])
    a = x * 2
    a.retain_grad()
    b = a * a
    assert a.retains_grad and not b.retains_grad
    b.sum().backward()
    np.testing.assert_allclose(a.grad, [4.0, 8.0])
    np.testing.assert_allclose(x.grad, [8.0, 16.0])
    assert b.grad is None
    x.retain_grad()  # no effect on a leaf
    assert x.is_leaf


def test_retain_grad_on_root_and_reused_intermediate():
    x = leaf([3.0])
    a = x * 1.0
    a.retain_grad()
    y = a * a + a
    y.retain_grad()
    y.sum().backward()
    np.testing.assert_allclose(y.grad, [1.0])
    np.testing.assert_allclose(a.grad, [7.0])


def test_nan_and_inf_flow_through():
    x = leaf([np.nan, np.inf, 1.0])
    with np.errstate(invalid="ignore"):
        y = (x * 2).exp().sum()
        y.backward()
    assert np.isnan(y.item())
    assert np.isnan(x.grad[0]) and np.isinf(x.grad[1]) and np.isfinite(x.grad[2])


def test_leaves_sharing_a_gradient_do_not_alias():
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (x + y).sum().backward()
    x.grad[0] = 100.0
    np.testing.assert_array_equal(y.grad, [1.0, 1.0])
    z = leaf([1.0])
    w = z * 1.0
    w.backward(np.ones(1))
    assert z.grad.numpy().flags.writeable
    v = leaf([[1.0, 2.0]])
    v.sum().backward()  # Sum's gradient is a read-only broadcast view
    v.grad[0, 0] = 5.0
    assert v.grad.numpy().flags.writeable


def test_user_gradient_array_is_not_aliased():
    x = leaf([1.0, 2.0])
    upstream = np.ones(2, np.float32)
    (x + 0).backward(upstream)
    x.grad[0] = 9.0
    assert upstream[0] == 1.0


def test_float32_leaf_in_float64_graph_gets_float32_grad():
    x = leaf([1.0, 2.0], np.float32)
    w = gradlab.tensor(np.array([3.0, 4.0]), requires_grad=True)  # float64
    y = (x * w).sum()
    assert y.dtype == np.float64
    y.backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad, [3.0, 4.0])


def test_backward_on_a_leaf():
    x = leaf(2.0)
    x.backward()
    assert x.grad.item() == 1.0


def test_zero_dimensional_gradients_are_tensors_of_arrays():
    x = leaf(0.5)
    x.sigmoid().tanh().exp().backward()
    assert type(x.grad) is gradlab.Tensor and x.grad.shape == ()
    assert type(x.grad.numpy()) is np.ndarray


def test_custom_function_and_needs_input_grad():
    seen = []

    class Cube(Function):
        __slots__ = ()

        def forward(self, a, b):
            self.saved = (a,)
            return a**3 + b

        def backward(self, grad):
            seen.append((self.needs_input_grad(0), self.needs_input_grad(1)))
            (a,) = self.saved
            return 3 * a**2 * grad, grad

    x = leaf([2.0])
    Cube.apply(x, np.ones(1, np.float32)).sum().backward()
    np.testing.assert_allclose(x.grad, [12.0])
    assert seen == [(True, False)]
    assert repr(Cube()) == "<CubeBackward>"


def test_graph_keeps_inputs_and_is_freed_after_backward():
    x = leaf([1.0])
    y = x * 2
    assert y.grad_fn.inputs[0] is x
    y.sum().backward()
    assert y.grad_fn.saved is autograd.FREED
