"""gradcheck itself: passes on correct ops, fails loudly and usefully on wrong ones."""

import numpy as np
import pytest

import gradlab
from gradlab.autograd import Function, GradcheckError, gradcheck


def leaf(shape, seed=0):
    return gradlab.tensor(np.random.default_rng(seed).uniform(-1, 1, shape), requires_grad=True)


class WrongSquare(Function):
    """x * x with a backward that forgets the factor 2."""

    __slots__ = ()

    def forward(self, a):
        self.saved = (a,)
        return a * a

    def backward(self, grad):
        return grad * self.saved[0]


class ForgetsSecond(Function):
    """a * b whose backward gives b no gradient at all."""

    __slots__ = ()

    def forward(self, a, b):
        self.saved = (a, b)
        return a * b

    def backward(self, grad):
        return grad * self.saved[1], None


class WrongShape(Function):
    __slots__ = ()

    def forward(self, a):
        return a.sum()

    def backward(self, grad):
        return grad.reshape(1)


def test_passes_on_correct_ops():
    x, w = leaf((3, 4)), leaf((4, 2), seed=1)
    assert gradcheck(lambda a, b: (a @ b).tanh(), (x, w)) is True
    assert gradcheck(lambda a: a.exp().sum(), x) is True
    assert gradcheck(lambda a: a * a, leaf(())) is True


def test_tuple_outputs_and_non_tensor_inputs():
    x = leaf((2, 3))
    assert gradcheck(lambda a, k: (a * k, a.sum(dim=1)), (x, 3.0))
    constant = gradlab.tensor(np.ones(3))  # no requires_grad: passed through, not checked
    assert gradcheck(lambda a, c: a * c, (x, constant))


def test_empty_input_and_output():
    assert gradcheck(lambda a: a * 2, leaf((0, 3)))


def test_raises_with_a_useful_message_on_a_wrong_function():
    x = leaf((2, 3))
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a: WrongSquare.apply(a), x)
    message = str(info.value)
    assert "input 0" in message and "element (" in message and "output 0" in message
    assert "numerical" in message and "analytical" in message
    assert "largest mismatch" in message
    assert "6 of 36 entries differ" in message
    assert isinstance(info.value, RuntimeError)


def test_names_the_failing_input():
    x, y = leaf((3,)), leaf((3,), seed=2)
    with pytest.raises(GradcheckError, match=r"input 2 \(shape \(3,\)\)"):
        gradcheck(lambda a, k, b: ForgetsSecond.apply(a, b) * k, (x, 2.0, y))


def test_input_without_gradient_counts_as_zero():
    x, y = leaf((3,)), leaf((3,), seed=2)
    with pytest.raises(GradcheckError, match="analytical 0"):
        gradcheck(lambda a, b: ForgetsSecond.apply(a, b), (x, y))
    # ... and an input that really has no influence passes with a zero gradient
    assert gradcheck(lambda a, b: a * 2, (x, y))


def test_wrong_gradient_shape_is_reported():
    with pytest.raises(GradcheckError, match=r"input 0 has shape \(2, 2\) but received a gradient"):
        gradcheck(lambda a: WrongShape.apply(a) * 1.0, leaf((2, 2)))


def test_rejects_float32_inputs_naming_index_and_dtype():
    x32 = gradlab.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="input 1 has dtype gradlab.float32; .* must be float64"):
        gradcheck(lambda a, b: a * b, (leaf((2,)), x32))


def test_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(lambda a: a * 2, gradlab.tensor(np.ones(2)))


def test_fn_must_return_tensors():
    with pytest.raises(TypeError, match="output 0 is a float"):
        gradcheck(lambda a: 1.0, leaf((2,)))


def test_leaves_inputs_untouched():
    x = leaf((2, 2))
    before = x.numpy().copy()
    x.grad = np.full((2, 2), 7.0)
    gradcheck(lambda a: (a * a).sum(), x)
    np.testing.assert_array_equal(x.numpy(), before)
    np.testing.assert_array_equal(x.grad, np.full((2, 2), 7.0))


def test_non_leaf_input_is_checked_as_a_leaf():
    base = leaf((3,))
    x = base * 2
    assert gradcheck(lambda a: a.exp(), x)
    assert base.grad is None


def test_views_of_the_input_are_differenced_correctly():
    # outputs that are views of the input's data must not follow its perturbation back
    assert gradcheck(lambda a: a.T, leaf((2, 3)))
    assert gradcheck(lambda a: a[1:], leaf((3,)))


def test_tolerances_are_applied():
    # a backward off by 1e-4 relative: caught at rtol 1e-6, accepted at rtol 1e-3
    class Slightly(Function):
        __slots__ = ()

        def forward(self, a):
            return a * 3.0

        def backward(self, grad):
            return grad * 3.0003

    x = leaf((2,))
    assert gradcheck(lambda a: Slightly.apply(a), x, atol=0, rtol=1e-3)
    with pytest.raises(GradcheckError):
        gradcheck(lambda a: Slightly.apply(a), x, atol=0, rtol=1e-6)


def test_gradgradcheck_checks_second_derivatives():
    from gradlab.autograd import gradgradcheck

    x = leaf((2, 3))
    assert gradgradcheck(lambda a: (a.sin() * a).sum(dim=0), x)
    assert gradgradcheck(lambda a, b: (a @ b).tanh(), (x, leaf((3, 2))))

    class WrongSecond(Function):  # first derivative right, recorded backward wrong
        __slots__ = ()

        def forward(self, a):
            self.saved = (a,)
            return a * a

        def backward(self, grad):
            return grad * 2 * self.saved[0]

        def backward_graph(self, grad):
            return grad * 2 * self.inputs[0].detach()  # detached: the second derivative is lost

    assert gradcheck(lambda a: WrongSecond.apply(a), x)
    with pytest.raises(GradcheckError):
        gradgradcheck(lambda a: WrongSecond.apply(a), x)
    assert gradgradcheck(lambda a: WrongSecond.apply(a), x, raise_exception=False) is False


def test_options_gradlab_does_not_have_are_refused():
    from gradlab.autograd import gradgradcheck

    x = leaf((2,))
    assert gradcheck(lambda a: a * 2, x, fast_mode=False, check_undefined_grad=True)
    with pytest.raises(NotImplementedError, match="check_forward_ad"):
        gradcheck(lambda a: a * 2, x, check_forward_ad=True)
    with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'"):
        gradgradcheck(lambda a: a * 2, x, bogus=1)
