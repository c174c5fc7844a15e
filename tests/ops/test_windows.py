"""The one window output-size formula (gradlab.ops.windows) against PyTorch's layers."""

import itertools

import pytest

from gradlab.ops.windows import same_padding, transposed_out_size, window_out_size

torch = pytest.importorskip("torch")

GRID = list(itertools.product((5, 8), (1, 2, 3), (1, 2, 3), (0, 1), (1, 2)))


@pytest.mark.parametrize(("size", "kernel", "stride", "padding", "dilation"), GRID)
def test_conv_and_pool_sizes_match_torch(size, kernel, stride, padding, dilation):
    if dilation * (kernel - 1) + 1 > size + 2 * padding:
        return
    x = torch.zeros(1, 1, size)
    conv = torch.nn.functional.conv1d(x, torch.zeros(1, 1, kernel), None, stride, padding,
                                      dilation)  # fmt: skip
    assert window_out_size(size, kernel, stride, padding, dilation) == conv.shape[-1]
    if padding <= kernel // 2:
        for ceil_mode in (False, True):
            pooled = torch.nn.functional.max_pool1d(x, kernel, stride, padding, dilation,
                                                    ceil_mode)  # fmt: skip
            got = window_out_size(size, kernel, stride, padding, dilation, ceil_mode)
            assert got == pooled.shape[-1]


@pytest.mark.parametrize(("size", "kernel", "stride", "padding", "dilation"), GRID)
def test_transposed_size_matches_torch(size, kernel, stride, padding, dilation):
    out_pad = stride - 1
    x = torch.zeros(1, 1, size)
    out = torch.nn.functional.conv_transpose1d(x, torch.zeros(1, 1, kernel), None, stride,
                                               padding, out_pad, 1, dilation)  # fmt: skip
    assert transposed_out_size(size, kernel, stride, padding, dilation, out_pad) == out.shape[-1]


@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")
@pytest.mark.parametrize(("size", "kernel", "stride", "dilation"), sorted({
    (s, k, st, d) for s, k, st, _, d in GRID
}))  # fmt: skip
def test_same_padding_keeps_ceil_size_over_stride(size, kernel, stride, dilation):
    before, after = same_padding(kernel, dilation, stride, size)
    assert 0 <= after - before <= 1
    assert window_out_size(size, kernel, stride, (before, after), dilation) == -(-size // stride)
    if stride == 1:
        x = torch.zeros(1, 1, size)
        out = torch.nn.functional.conv1d(x, torch.zeros(1, 1, kernel), None, 1, "same", dilation)
        assert out.shape[-1] == size


def test_strided_same_needs_the_size():
    with pytest.raises(ValueError, match="input size"):
        same_padding(3, 1, 2)
