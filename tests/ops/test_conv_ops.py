"""The conv and pooling primitives: finite differences in float64 over a grid of settings,
memory layouts, skipped input gradients, and the buffer pool's reuse rule."""

import numpy as np
import pytest

import gradlab
from gradlab.autograd import gradcheck
from gradlab.nn.conv import conv2d
from gradlab.nn.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d

rng = np.random.default_rng(0)


def leaf(shape, channels_last=False):
    data = rng.uniform(-1, 1, shape)
    if channels_last:  # the same logical array, stored NHWC (as a conv's output is)
        data = np.ascontiguousarray(data.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    return gradlab.Tensor(data, requires_grad=True)


CONV_SETTINGS = [
    # (x shape, weight shape, stride, padding, dilation, bias)
    ((2, 2, 5, 4), (3, 2, 3, 3), 1, 0, 1, True),
    ((1, 2, 5, 6), (2, 2, 2, 3), (2, 1), (1, 2), 1, False),
    ((2, 1, 6, 5), (2, 1, 3, 2), 1, 1, (2, 1), True),
    ((1, 2, 5, 5), (2, 2, 2, 2), 1, "same", 1, True),
    ((2, 3, 3, 4), (2, 3, 1, 1), 1, 0, 1, True),
    ((1, 2, 7, 5), (2, 2, 3, 3), 3, 2, 1, True),
]


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, bias", CONV_SETTINGS)
def test_conv2d_gradcheck(x_shape, w_shape, stride, padding, dilation, bias):
    x, w = leaf(x_shape), leaf(w_shape)
    inputs = (x, w, leaf((w_shape[0],))) if bias else (x, w)

    def fn(x, w, b=None):
        return conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation)

    assert gradcheck(fn, inputs)


def test_conv2d_gradcheck_channels_last_input():
    x, w, b = leaf((2, 3, 4, 4), channels_last=True), leaf((2, 3, 3, 3)), leaf((2,))
    assert not x.numpy().flags.c_contiguous
    assert gradcheck(lambda x, w, b: conv2d(x, w, b, padding=1), (x, w, b))


def test_conv2d_skips_input_gradient_but_keeps_weight_gradient():
    x = gradlab.Tensor(rng.uniform(-1, 1, (2, 2, 5, 5)))
    w, b = leaf((3, 2, 3, 3)), leaf((3,))
    out = conv2d(x, w, b, padding=1)
    out.sum().backward()
    assert x.grad is None
    # d(sum)/dw[o, c, i, j] = sum of the input under kernel offset (i, j), zeros outside
    padded = np.pad(x.numpy(), ((0, 0), (0, 0), (1, 1), (1, 1)))
    expected = np.stack(
        [
            padded[:, :, i : i + 5, j : j + 5].sum(axis=(0, 2, 3))
            for i in range(3)
            for j in range(3)
        ],
        axis=-1,
    ).reshape(2, 3, 3)
    np.testing.assert_allclose(w.grad, np.broadcast_to(expected, (3, 2, 3, 3)), rtol=1e-12)
    np.testing.assert_allclose(b.grad, np.full(3, 2 * 25.0))


def test_conv2d_float64_stays_float64():
    out = conv2d(leaf((1, 1, 4, 4)), leaf((1, 1, 2, 2)))
    assert out.dtype == np.float64


POOL_SETTINGS = [
    # (x shape, kernel, stride, padding, ceil_mode)
    ((2, 2, 4, 6), 2, None, 0, False),
    ((1, 2, 5, 5), 2, None, 0, True),
    ((1, 2, 5, 6), 3, 2, 1, False),
    ((1, 2, 6, 5), 3, 2, 1, True),
    ((2, 1, 5, 4), (2, 3), (1, 2), (1, 1), False),
]


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("x_shape, kernel, stride, padding, ceil_mode", POOL_SETTINGS)
def test_max_pool2d_gradcheck(x_shape, kernel, stride, padding, ceil_mode, channels_last):
    # distinct values (a random permutation) keep every window's argmax away from ties
    x = leaf(x_shape, channels_last)
    x.numpy()[...] = rng.permutation(x.numpy().size).reshape(x_shape) / x.numpy().size
    assert gradcheck(lambda t: max_pool2d(t, kernel, stride, padding, ceil_mode=ceil_mode), x)


def test_max_pool2d_dilation_gradcheck():
    x = leaf((1, 2, 6, 6))
    x.numpy()[...] = rng.permutation(72).reshape(1, 2, 6, 6) / 72
    assert gradcheck(lambda t: max_pool2d(t, 2, 1, 1, dilation=2), x)


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("x_shape, kernel, stride, padding, ceil_mode", POOL_SETTINGS)
def test_avg_pool2d_gradcheck(
    x_shape, kernel, stride, padding, ceil_mode, channels_last, count_include_pad
):
    x = leaf(x_shape, channels_last)
    assert gradcheck(
        lambda t: avg_pool2d(t, kernel, stride, padding, ceil_mode, count_include_pad), x
    )


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("output_size", [1, (2, 3), (3, None), 4])
def test_adaptive_avg_pool2d_gradcheck(output_size, channels_last):
    x = leaf((2, 2, 5, 7), channels_last)
    assert gradcheck(lambda t: adaptive_avg_pool2d(t, output_size), x)


def test_pool_ops_chain_after_conv_gradcheck():
    """conv -> max pool -> conv on channels-last intermediates, end to end."""
    x, w1, w2 = leaf((1, 2, 6, 6)), leaf((3, 2, 3, 3)), leaf((2, 3, 2, 2))

    def fn(x, w1, w2):
        return conv2d(max_pool2d(conv2d(x, w1, padding=1), 2), w2)

    assert gradcheck(fn, (x, w1, w2))


def test_conv_outputs_of_two_steps_do_not_alias():
    """A kept output must survive the next forward (the pool must not hand it out)."""
    w = gradlab.Tensor(rng.uniform(-1, 1, (2, 1, 2, 2)))
    x1 = gradlab.Tensor(rng.uniform(-1, 1, (1, 1, 4, 4)))
    x2 = gradlab.Tensor(rng.uniform(-1, 1, (1, 1, 4, 4)))
    first = conv2d(x1, w)
    saved = first.numpy().copy()
    conv2d(x2, w)
    np.testing.assert_array_equal(first.numpy(), saved)
