"""Conv2d, conv2d and conv_output_size: PyTorch cross-checks (outputs, input, weight and bias
gradients), default initialization, the notes' example 9, and errors."""

import math

import numpy as np
import pytest

import gradlab
from gradlab import nn
from gradlab.nn.conv import conv2d, conv_output_size

torch = pytest.importorskip("torch")
F = torch.nn.functional

ATOL, RTOL = 1e-5, 1e-4
rng = np.random.default_rng(0)

GRID = [
    # (x shape, out channels, kernel, stride, padding, dilation, bias)
    ((2, 3, 7, 9), 4, 3, 1, 0, 1, True),
    ((2, 3, 8, 7), 5, 3, 2, 1, 1, False),
    ((1, 2, 9, 8), 3, (2, 3), (2, 1), (1, 2), (2, 1), True),
    ((2, 3, 6, 5), 4, 3, 1, "same", 2, True),
    ((2, 3, 6, 5), 4, 4, 1, "same", 1, True),
    ((2, 3, 6, 5), 4, (2, 3), 1, "valid", 1, False),
    ((2, 4, 5, 5), 3, 1, 1, 0, 1, True),
    ((1, 3, 10, 6), 2, 5, 3, 2, 1, True),
    ((3, 1, 4, 4), 2, 4, 1, 0, 1, True),
]


def _pair_of_modules(
    x_shape, out_channels, kernel, stride, padding, dilation, bias, padding_mode="zeros"
):
    ours = nn.Conv2d(
        x_shape[1],
        out_channels,
        kernel,
        stride,
        padding,
        dilation,
        bias=bias,
        padding_mode=padding_mode,
        generator=np.random.default_rng(1),
    )
    theirs = torch.nn.Conv2d(
        x_shape[1],
        out_channels,
        kernel,
        stride,
        padding,
        dilation,
        bias=bias,
        padding_mode=padding_mode,
    )
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.numpy()))
        if bias:
            theirs.bias.copy_(torch.from_numpy(ours.bias.numpy()))
    return ours, theirs


def _compare(ours, theirs, x_np):
    x = gradlab.tensor(x_np, requires_grad=True)
    tx = torch.tensor(x_np, requires_grad=True)
    out, t_out = ours(x), theirs(tx)
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), atol=ATOL, rtol=RTOL)
    grad = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(grad)
    t_out.backward(torch.from_numpy(grad))
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), atol=ATOL, rtol=RTOL)
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), atol=ATOL, rtol=RTOL)
    if ours.bias is not None:
        np.testing.assert_allclose(ours.bias.grad, theirs.bias.grad.numpy(), atol=ATOL, rtol=RTOL)
    return out


@pytest.mark.filterwarnings("ignore::UserWarning")  # torch: 'same' with an even kernel
@pytest.mark.parametrize("x_shape, out_channels, kernel, stride, padding, dilation, bias", GRID)
def test_conv2d_matches_torch(x_shape, out_channels, kernel, stride, padding, dilation, bias):
    ours, theirs = _pair_of_modules(x_shape, out_channels, kernel, stride, padding, dilation, bias)
    x_np = rng.standard_normal(x_shape).astype(np.float32)
    out = _compare(ours, theirs, x_np)
    if padding == "same":
        assert out.shape[2:] == x_shape[2:]


@pytest.mark.parametrize("padding_mode", ["reflect", "replicate", "circular"])
def test_conv2d_padding_modes_match_torch(padding_mode):
    ours, theirs = _pair_of_modules((2, 2, 5, 6), 3, 3, 1, (1, 2), 1, True, padding_mode)
    _compare(ours, theirs, rng.standard_normal((2, 2, 5, 6)).astype(np.float32))


def test_conv2d_channels_last_input_and_stacked_layers_match_torch():
    """Two convs with a pool between them: the intermediates are channels-last views."""
    c1, t1 = _pair_of_modules((2, 3, 9, 8), 4, 3, 1, 1, 1, True)
    c2, t2 = _pair_of_modules((2, 4, 4, 4), 2, 2, 1, 0, 1, True)
    x_np = rng.standard_normal((2, 3, 9, 8)).astype(np.float32)
    x, tx = gradlab.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    out = c2(nn.MaxPool2d(2)(c1(x)).relu())
    t_out = t2(F.relu(F.max_pool2d(t1(tx), 2)))
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), atol=ATOL, rtol=RTOL)
    out.sum().backward()
    t_out.sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), atol=ATOL, rtol=RTOL)
    for ours, theirs in ((c1, t1), (c2, t2)):
        np.testing.assert_allclose(
            ours.weight.grad, theirs.weight.grad.numpy(), atol=ATOL, rtol=RTOL
        )


def test_functional_conv2d_matches_torch():
    x_np = rng.standard_normal((2, 3, 6, 7)).astype(np.float32)
    w_np = rng.standard_normal((4, 3, 3, 2)).astype(np.float32)
    b_np = rng.standard_normal(4).astype(np.float32)
    out = conv2d(
        gradlab.tensor(x_np),
        gradlab.tensor(w_np),
        gradlab.tensor(b_np),
        stride=2,
        padding=1,
        dilation=(1, 2),
    )
    expected = F.conv2d(
        torch.from_numpy(x_np),
        torch.from_numpy(w_np),
        torch.from_numpy(b_np),
        stride=2,
        padding=1,
        dilation=(1, 2),
    )
    np.testing.assert_allclose(out.numpy(), expected.numpy(), atol=ATOL, rtol=RTOL)


def test_unbatched_input():
    conv = nn.Conv2d(2, 3, 3, padding=1)
    x_np = rng.standard_normal((2, 5, 4)).astype(np.float32)
    out = conv(gradlab.tensor(x_np))
    assert out.shape == (3, 5, 4)
    np.testing.assert_allclose(out.numpy(), conv(gradlab.tensor(x_np[None])).numpy()[0], rtol=1e-6)


def test_parameters_shapes_and_default_init():
    conv = nn.Conv2d(4, 6, (3, 2), generator=np.random.default_rng(0))
    assert conv.weight.shape == (6, 4, 3, 2) and conv.bias.shape == (6,)
    assert conv.weight.dtype == np.float32 and conv.weight.requires_grad
    bound = 1 / math.sqrt(4 * 3 * 2)  # kaiming_uniform_(a=sqrt(5)) gives 1/sqrt(fan_in)
    assert np.abs(conv.weight.numpy()).max() <= bound
    assert np.abs(conv.weight.numpy()).max() > 0.9 * bound
    assert np.abs(conv.bias.numpy()).max() <= bound
    assert list(conv.state_dict()) == ["weight", "bias"]
    assert nn.Conv2d(4, 6, 3, bias=False).bias is None


def test_init_is_reproducible_with_a_generator():
    a = nn.Conv2d(3, 4, 3, generator=np.random.default_rng(7))
    b = nn.Conv2d(3, 4, 3, generator=np.random.default_rng(7))
    np.testing.assert_array_equal(a.weight.numpy(), b.weight.numpy())
    np.testing.assert_array_equal(a.bias.numpy(), b.bias.numpy())


def test_state_dict_loads_into_torch():
    ours = nn.Conv2d(2, 3, 3)
    theirs = torch.nn.Conv2d(2, 3, 3)
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    np.testing.assert_array_equal(theirs.weight.detach().numpy(), ours.weight.numpy())


def test_conv_output_size_example_9():
    # the notes' example 9: 32x32x32 input, 8 filters of 6, stride 2, padding 1 -> 15x15x8
    assert conv_output_size(32, 6, 2, 1) == 15
    conv = nn.Conv2d(32, 8, 6, stride=2, padding=1)
    assert conv(gradlab.zeros(1, 32, 32, 32)).shape == (1, 8, 15, 15)
    assert conv_output_size(32, 3, 1, 1) == 32
    assert conv_output_size(10, 3, 1, 0, dilation=2) == 6


def test_wrong_channel_count_names_layer_and_shapes():
    conv = nn.Conv2d(3, 8, 3)
    with pytest.raises(ValueError) as info:
        conv(gradlab.zeros(8, 4, 32, 32))
    assert str(info.value) == (
        "Conv2d(in_channels=3): input has shape (8, 4, 32, 32), expected (N, 3, H, W)"
    )
    with pytest.raises(ValueError, match=r"input has shape \(32, 32\), expected \(N, 3, H, W\)"):
        conv(gradlab.zeros(32, 32))


def test_kernel_larger_than_padded_input():
    with pytest.raises(
        ValueError,
        match=r"padded input size \(4, 6\) is smaller than the "
        r"\(dilated\) kernel size \(5, 5\)",
    ):
        nn.Conv2d(1, 1, 5, padding=(1, 2))(gradlab.zeros(1, 1, 2, 2))
    with pytest.raises(ValueError, match="conv_output_size: kernel size 9"):
        conv_output_size(4, 5, dilation=2)


@pytest.mark.parametrize("kwargs, message", [
    ({"stride": 0}, r"stride must be >= 1, got 0"),
    ({"stride": (1, -2)}, r"stride must be >= 1, got \(1, -2\)"),
    ({"padding": -1}, r"padding must be >= 0, got -1"),
    ({"dilation": 0}, r"dilation must be >= 1, got 0"),
    ({"kernel_size": 0}, r"kernel_size must be >= 1, got 0"),
    ({"padding": "same", "stride": 2}, r"padding='same' is not supported for strided"),
    ({"padding": "full"}, r"padding must be 'same', 'valid'"),
    ({"padding_mode": "mirror"}, r"padding_mode must be one of"),
    ({"out_channels": 0}, r"out_channels must be a positive integer, got 0"),
])  # fmt: skip
def test_bad_arguments_name_argument_and_value(kwargs, message):
    args = {"in_channels": 3, "out_channels": 4, "kernel_size": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        nn.Conv2d(**args)


@pytest.mark.parametrize(
    "cin, cout, groups, kwargs",
    [(4, 6, 2, {}), (3, 6, 3, {"padding": 1, "bias": False}), (4, 4, 4, {"stride": 2}),
     (6, 4, 2, {"dilation": 2, "padding": "same"})],
)  # fmt: skip
@pytest.mark.parametrize("dims", [1, 2])
def test_grouped_and_depthwise_convolutions_match_torch(cin, cout, groups, kwargs, dims):
    """Output channels of group g see only the input channels of group g; weight (O, C/G, ...)."""
    layer, t_layer = (nn.Conv1d, torch.nn.Conv1d) if dims == 1 else (nn.Conv2d, torch.nn.Conv2d)
    ours = layer(cin, cout, 3, groups=groups, dtype=np.float64, **kwargs)
    theirs = t_layer(cin, cout, 3, groups=groups, dtype=torch.float64, **kwargs)
    assert tuple(ours.weight.shape) == tuple(theirs.weight.shape)
    assert f"groups={groups}" in repr(ours)
    with torch.no_grad():
        for p, tp in zip(ours.parameters(), theirs.parameters(), strict=True):
            tp.copy_(torch.from_numpy(p.numpy()))
    x_np = rng.standard_normal((2, cin, 7) if dims == 1 else (2, cin, 7, 6))
    x = gradlab.tensor(x_np, requires_grad=True)
    tx = torch.tensor(x_np, requires_grad=True)
    out, t_out = ours(x), theirs(tx)
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), rtol=1e-12, atol=1e-12)
    grad = rng.standard_normal(out.shape)
    out.backward(grad)
    t_out.backward(torch.from_numpy(grad))
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    for p, tp in zip(ours.parameters(), theirs.parameters(), strict=True):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-12, atol=1e-12)
    t_f = F.conv1d if dims == 1 else F.conv2d
    f = gradlab.nn.functional.conv1d if dims == 1 else conv2d
    args = {k: v for k, v in kwargs.items() if k != "bias"}
    np.testing.assert_allclose(
        f(gradlab.tensor(x_np), ours.weight, ours.bias, groups=groups, **args).numpy(),
        t_f(torch.from_numpy(x_np), theirs.weight, theirs.bias, groups=groups, **args).detach(),
        rtol=1e-12, atol=1e-12,
    )  # fmt: skip


def test_groups_must_divide_the_channels():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(5, 4, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.Conv2d(4, 5, 3, groups=2)
    with pytest.raises(ValueError, match=r"input has shape \(1, 3, 5, 5\), expected \(N, 4"):
        conv2d(gradlab.zeros(1, 3, 5, 5), gradlab.zeros(4, 2, 3, 3), groups=2)
    with pytest.raises(ValueError, match="groups must be a positive integer"):
        conv2d(gradlab.zeros(1, 4, 5, 5), gradlab.zeros(4, 2, 3, 3), groups=0)


def test_functional_errors():
    x, w = gradlab.zeros(1, 3, 5, 5), gradlab.zeros(2, 4, 3, 3)
    with pytest.raises(
        ValueError,
        match=r"conv2d: input has shape \(1, 3, 5, 5\), expected "
        r"\(N, 4, H, W\)",
    ):
        conv2d(x, w)
    with pytest.raises(ValueError, match=r"conv2d: bias has shape \(3,\), expected \(2,\)"):
        conv2d(gradlab.zeros(1, 4, 5, 5), w, gradlab.zeros(3))
    with pytest.raises(ValueError, match="conv2d: stride must be >= 1"):
        conv2d(gradlab.zeros(1, 4, 5, 5), w, stride=0)


def test_repr_matches_torch_style():
    assert repr(nn.Conv2d(3, 8, 3, stride=2, padding=1)).startswith(
        "Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1)"
    )


def test_reproduced_example_9_passes():
    from gradlab.lab.reproduce.ex09_conv_output_size import conv_output_size_example

    report = conv_output_size_example()
    assert [c.passed for c in report.checks] == [True, True, True]
    assert report.checks[1].computed == (1, 8, 15, 15)


@pytest.mark.parametrize("needs", [(False, True, True), (True, False, True), (True, True, False)])
def test_conv2d_partial_requires_grad_matches_torch(needs):
    """Image-like inputs (NCHW-contiguous, few channels) take the direct-gather path with the
    bias folded into the GEMMs: each of x, weight and bias may or may not need a gradient."""
    x_np = rng.standard_normal((3, 3, 11, 10)).astype(np.float32)
    w_np = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
    b_np = rng.standard_normal(5).astype(np.float32)
    ours = [gradlab.tensor(a, requires_grad=n) for a, n in zip((x_np, w_np, b_np), needs)]
    theirs = [torch.tensor(a, requires_grad=n) for a, n in zip((x_np, w_np, b_np), needs)]
    out = conv2d(*ours, stride=(2, 1), padding=2, dilation=(1, 2))
    expected = F.conv2d(*theirs, stride=(2, 1), padding=2, dilation=(1, 2))
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), atol=ATOL, rtol=RTOL)
    proj = rng.standard_normal(out.shape).astype(np.float32)
    (out * gradlab.tensor(proj)).sum().backward()
    (expected * torch.from_numpy(proj)).sum().backward()
    for mine, ref, need in zip(ours, theirs, needs):
        if need:
            np.testing.assert_allclose(mine.grad, ref.grad.numpy(), atol=ATOL, rtol=RTOL)
        else:
            assert mine.grad is None
