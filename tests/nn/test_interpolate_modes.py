"""F.interpolate / nn.Upsample in every mode against PyTorch (values and gradients) and
finite differences: sizes, scale factors (with and without recompute_scale_factor),
align_corners both ways, and the errors PyTorch raises."""

import numpy as np
import pytest

import gradlab
from gradlab import nn
from gradlab.autograd import gradcheck
from gradlab.nn import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

SHAPES = {3: (2, 3, 5), 4: (2, 2, 5, 4), 5: (1, 2, 3, 4, 3)}
MODES = {
    "nearest": (3, 4, 5),
    "nearest-exact": (3, 4, 5),
    "area": (3, 4, 5),
    "linear": (3,),
    "bilinear": (4,),
    "bicubic": (4,),
    "trilinear": (5,),
}
SIZES = [dict(scale_factor=2), dict(scale_factor=0.5), dict(scale_factor=1.7),
         dict(scale_factor=1.3), dict(scale_factor=2.01),
         dict(scale_factor=1.7, recompute_scale_factor=True), dict(scale_factor=0.4,
         recompute_scale_factor=False), dict(size=7), dict(size=3), dict(size=1)]  # fmt: skip
CASES = [
    pytest.param(mode, ndim, sizes, align, id=f"{mode}-{ndim}d-{sizes}-{align}")
    for mode, dims in MODES.items()
    for ndim in dims
    for sizes in SIZES
    for align in ([None] if mode in ("nearest", "nearest-exact", "area") else [False, True])
]


@pytest.mark.parametrize("mode, ndim, sizes, align", CASES)
def test_against_torch(mode, ndim, sizes, align):
    x = np.random.default_rng(0).uniform(-1, 1, SHAPES[ndim])
    ours, theirs = gradlab.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    kwargs = dict(sizes, mode=mode, align_corners=align)
    a, b = F.interpolate(ours, **kwargs), TF.interpolate(theirs, **kwargs)
    assert a.shape == tuple(b.shape)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-12)
    upstream = np.random.default_rng(1).uniform(-1, 1, a.shape)
    sizes_in, sizes_out = x.shape[2:], a.shape[2:]
    if (
        mode == "nearest"
        and ndim != 4
        and any(o in (i, 2 * i) for i, o in zip(sizes_in, sizes_out))
    ):
        # PyTorch's 1-d/3-d nearest backward maps these sizes with its 2-d kernel's shortcuts
        # (dst, dst // 2), which its forward does not use: its gradient is not the gradient of
        # its output there. gradlab's is (checked against finite differences below).
        x2 = gradlab.tensor(x, requires_grad=True)
        assert gradcheck(lambda t: F.interpolate(t, **kwargs).sin().sum(), (x2,))
        return
    (a * gradlab.tensor(upstream)).sum().backward()
    (b * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", list(MODES))
def test_float32_as_torch(mode):
    ndim = MODES[mode][-1]
    x = np.random.default_rng(2).uniform(-1, 1, SHAPES[ndim]).astype(np.float32)
    for kwargs in (dict(scale_factor=1.3), dict(size=4)):
        a = F.interpolate(gradlab.tensor(x), mode=mode, **kwargs)
        b = TF.interpolate(torch.tensor(x), mode=mode, **kwargs)
        assert a.dtype is gradlab.float32
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", ["linear", "bicubic", "trilinear", "area", "nearest-exact"])
def test_finite_differences(mode):
    ndim = MODES[mode][-1]
    x = gradlab.tensor(np.random.default_rng(3).uniform(-1, 1, SHAPES[ndim]), requires_grad=True)
    assert gradcheck(lambda t: F.interpolate(t, scale_factor=1.5, mode=mode).sin().sum(), (x,))


def test_upsample_layer_as_torch():
    x = np.random.default_rng(4).uniform(-1, 1, (1, 2, 4, 4))
    for kwargs in (
        dict(scale_factor=2, mode="bicubic", align_corners=True),
        dict(size=(3, 6), mode="area"),
    ):
        a = nn.Upsample(**kwargs)(gradlab.tensor(x))
        b = torch.nn.Upsample(**kwargs)(torch.tensor(x))
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
    assert repr(nn.Upsample(scale_factor=2, mode="bicubic")) == repr(
        torch.nn.Upsample(scale_factor=2, mode="bicubic")
    )


ERRORS = [
    ((2, 3, 5), dict(size=3, mode="bilinear"), NotImplementedError),
    ((2, 3, 5), dict(scale_factor=2, mode="bicubic"), NotImplementedError),
    ((2, 3, 5), dict(size=3, mode="area", align_corners=True), ValueError),
    ((2, 3, 5), dict(size=3, recompute_scale_factor=True), ValueError),
    ((2, 3, 5), dict(size=3, mode="linear", antialias=True), ValueError),
    ((2, 3, 5), dict(mode="linear"), ValueError),
    ((2, 3, 5), dict(size=0), RuntimeError),
    ((2, 3, 5), dict(size=(2, 3)), ValueError),
    ((2, 3, 5, 5), dict(size=3, scale_factor=2), ValueError),
]


@pytest.mark.parametrize("shape, kwargs, error", ERRORS)
def test_errors_as_torch(shape, kwargs, error):
    with pytest.raises(error):
        TF.interpolate(torch.ones(shape), **kwargs)
    with pytest.raises(error):
        F.interpolate(gradlab.ones(*shape), **kwargs)


def test_antialias_is_refused_clearly():
    with pytest.raises(NotImplementedError, match="antialias"):
        F.interpolate(gradlab.ones(1, 1, 4, 4), size=2, mode="bilinear", antialias=True)
