"""MaxPool2d, AvgPool2d, AdaptiveAvgPool2d and their functional forms against PyTorch
(outputs and input gradients, ties, ceil_mode, padding, both memory layouts), and errors."""

import numpy as np
import pytest

import gradlab
from gradlab import nn
from gradlab.nn.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d

torch = pytest.importorskip("torch")
F = torch.nn.functional

ATOL, RTOL = 1e-5, 1e-4
rng = np.random.default_rng(0)


def _inputs(shape, ties):
    """float32 data (small integers when ``ties``, so windows hold equal maxima)."""
    if ties:
        return rng.integers(0, 3, shape).astype(np.float32)
    return rng.standard_normal(shape).astype(np.float32)


def _compare(ours, theirs, x_np, channels_last):
    data = x_np
    if channels_last:  # the layout a conv's output has: NHWC memory behind an NCHW view
        data = np.ascontiguousarray(x_np.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    x = gradlab.Tensor(data, requires_grad=True)
    tx = torch.tensor(x_np, requires_grad=True)
    out, t_out = ours(x), theirs(tx)
    assert out.shape == tuple(t_out.shape)
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), atol=ATOL, rtol=RTOL)
    grad = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(grad)
    t_out.backward(torch.from_numpy(grad))
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), atol=ATOL, rtol=RTOL)


MAX_GRID = [
    # (x shape, kwargs)
    ((2, 3, 8, 6), {"kernel_size": 2}),
    ((2, 3, 7, 9), {"kernel_size": 2}),
    ((2, 3, 7, 9), {"kernel_size": 2, "ceil_mode": True}),
    ((2, 2, 9, 8), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ((2, 2, 9, 8), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    ((1, 2, 8, 9), {"kernel_size": (2, 3), "stride": (1, 2), "dilation": (2, 1)}),
    ((1, 2, 6, 7), {"kernel_size": 3, "stride": 1, "padding": 1}),
    ((2, 1, 5, 5), {"kernel_size": 5}),
]


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("shape, kwargs", MAX_GRID)
def test_max_pool2d_matches_torch(shape, kwargs, ties, channels_last):
    _compare(
        nn.MaxPool2d(**kwargs), torch.nn.MaxPool2d(**kwargs), _inputs(shape, ties), channels_last
    )


@pytest.mark.parametrize("shape, kwargs", MAX_GRID)
def test_max_pool2d_indices_match_torch(shape, kwargs):
    x_np = _inputs(shape, ties=True)
    out, indices = max_pool2d(gradlab.tensor(x_np), return_indices=True, **kwargs)
    t_out, t_indices = F.max_pool2d(torch.from_numpy(x_np), return_indices=True, **kwargs)
    np.testing.assert_array_equal(out.numpy(), t_out.numpy())
    assert indices.dtype == np.int64
    np.testing.assert_array_equal(indices.numpy(), t_indices.numpy())


def test_max_pool2d_module_returns_indices():
    pooled, indices = nn.MaxPool2d(2, return_indices=True)(
        gradlab.tensor(_inputs((1, 1, 4, 4), False))
    )
    assert pooled.shape == indices.shape == (1, 1, 2, 2)


AVG_GRID = [
    ((2, 3, 8, 6), {"kernel_size": 2}),
    ((2, 3, 7, 9), {"kernel_size": 2, "ceil_mode": True}),
    ((2, 2, 9, 8), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ((2, 2, 9, 8), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    ((1, 2, 8, 9), {"kernel_size": (2, 3), "stride": (1, 2), "padding": (1, 0)}),
    ((1, 2, 7, 7), {"kernel_size": 3, "stride": 2, "padding": 1, "divisor_override": 4}),
]


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("shape, kwargs", AVG_GRID)
def test_avg_pool2d_matches_torch(shape, kwargs, count_include_pad, channels_last):
    kwargs = {**kwargs, "count_include_pad": count_include_pad}
    _compare(
        nn.AvgPool2d(**kwargs), torch.nn.AvgPool2d(**kwargs), _inputs(shape, False), channels_last
    )


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("output_size", [1, (1, 1), 3, (4, 3), (None, 2), (7, 5), (2, 9)])
def test_adaptive_avg_pool2d_matches_torch(output_size, channels_last):
    _compare(
        nn.AdaptiveAvgPool2d(output_size),
        torch.nn.AdaptiveAvgPool2d(output_size),
        _inputs((2, 3, 7, 5), False),
        channels_last,
    )


def test_functional_forms_and_unbatched_input():
    x_np = _inputs((3, 6, 6), False)
    x, tx = gradlab.tensor(x_np), torch.from_numpy(x_np)
    np.testing.assert_allclose(max_pool2d(x, 2).numpy(), F.max_pool2d(tx, 2).numpy())
    np.testing.assert_allclose(
        avg_pool2d(x, 3, 1, 1).numpy(), F.avg_pool2d(tx, 3, 1, 1).numpy(), atol=ATOL, rtol=RTOL
    )
    np.testing.assert_allclose(
        adaptive_avg_pool2d(x, 4).numpy(),
        F.adaptive_avg_pool2d(tx, 4).numpy(),
        atol=ATOL,
        rtol=RTOL,
    )
    assert max_pool2d(x, 2).shape == (3, 3, 3)


def test_max_pool2d_gradient_goes_to_first_maximum():
    x = gradlab.tensor(np.ones((1, 1, 2, 2), dtype=np.float32), requires_grad=True)
    max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad[0, 0], [[1, 0], [0, 0]])


def test_padding_larger_than_half_the_kernel():
    with pytest.raises(
        ValueError,
        match=r"MaxPool2d\(kernel_size=3\): padding \(2, 2\) must "
        r"be at most half of the kernel size \(3, 3\)",
    ):
        nn.MaxPool2d(3, padding=2)(gradlab.zeros(1, 1, 8, 8))


def test_kernel_larger_than_input():
    with pytest.raises(
        ValueError,
        match=r"padded input size \(2, 2\) is smaller than the "
        r"\(dilated\) kernel size \(3, 3\)",
    ):
        max_pool2d(gradlab.zeros(1, 1, 2, 2), 3)


def test_wrong_rank_names_layer_and_shape():
    with pytest.raises(
        ValueError,
        match=r"AvgPool2d\(kernel_size=2\): input has shape \(4, 4\), "
        r"expected \(N, C, H, W\) or \(C, H, W\)",
    ):
        nn.AvgPool2d(2)(gradlab.zeros(4, 4))


@pytest.mark.parametrize("make, message", [
    (lambda: nn.MaxPool2d(2, stride=0), r"stride must be >= 1, got 0"),
    (lambda: nn.MaxPool2d(0), r"kernel_size must be >= 1, got 0"),
    (lambda: nn.AvgPool2d(2, padding=-1), r"padding must be >= 0, got -1"),
    (lambda: nn.MaxPool2d(2, dilation=0), r"dilation must be >= 1, got 0"),
])  # fmt: skip
def test_bad_arguments_name_argument_and_value(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_adaptive_bad_output_size():
    with pytest.raises(ValueError, match=r"output_size must be positive ints or None, got 0"):
        adaptive_avg_pool2d(gradlab.zeros(1, 1, 4, 4), 0)
