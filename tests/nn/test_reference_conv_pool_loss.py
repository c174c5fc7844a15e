"""The fast convolution, pooling and cross-entropy primitives against their readable
references (gradlab.nn.reference.conv, .pool, .cross_entropy): values and the gradients of the
input, weight and bias (and of a probability target), in float64, over padding, stride,
dilation, padding modes, ceil mode, divisors and the loss options."""

import numpy as np
import pytest
from reference_check import compare

import gradlab
from gradlab import nn
from gradlab.nn import functional as F
from gradlab.nn.reference import conv as reference_conv
from gradlab.nn.reference import cross_entropy as reference_ce

rng = np.random.default_rng(0)

CONVS = [
    (3, 4, 3, {}, (2, 3, 7, 6)),
    (3, 4, 3, {"padding": 1}, (2, 3, 7, 6)),
    (5, 6, (3, 2), {"stride": 2, "padding": (1, 0)}, (2, 5, 9, 8)),
    (4, 3, 3, {"dilation": 2, "bias": False}, (1, 4, 9, 10)),
    (6, 5, 1, {}, (2, 6, 4, 4)),
    (2, 3, 4, {"padding": "same"}, (2, 2, 5, 6)),
    (2, 3, 3, {"stride": (1, 2), "dilation": (2, 1), "padding": 2}, (2, 2, 6, 7)),
    (2, 3, 3, {"padding": 2, "padding_mode": "reflect"}, (2, 2, 5, 6)),
    (2, 3, 3, {"padding": 1, "padding_mode": "circular"}, (2, 2, 5, 6)),
    (2, 3, 3, {}, (2, 5, 6)),  # unbatched
    (4, 6, 3, {"groups": 2, "padding": 1}, (2, 4, 6, 5)),
    (3, 6, 3, {"groups": 3, "stride": 2, "bias": False}, (2, 3, 7, 7)),  # depthwise
]


@pytest.mark.parametrize("cin, cout, kernel, kwargs, shape", CONVS)
def test_conv2d_equals_reference(cin, cout, kernel, kwargs, shape):
    gradlab.manual_seed(0)
    conv = nn.Conv2d(cin, cout, kernel, dtype=np.float64, **kwargs)
    fast_ops, ref_ops = compare(conv, [rng.standard_normal(shape)], module=conv)
    assert "Conv2dOp" in fast_ops and "Conv2dOp" not in ref_ops and "Stack" in ref_ops


@pytest.mark.parametrize("kwargs", [{}, {"stride": 2, "padding": 1, "dilation": 2}, {"groups": 2}])
def test_conv1d_equals_reference(kwargs):
    gradlab.manual_seed(0)
    conv = nn.Conv1d(4, 6, 3, dtype=np.float64, **kwargs)
    compare(conv, [rng.standard_normal((2, 4, 9))], module=conv)


def test_reference_conv_is_a_cross_correlation():
    x = rng.standard_normal((1, 1, 4, 5))
    w = rng.standard_normal((1, 1, 2, 3))
    out = reference_conv.conv2d(gradlab.tensor(x), gradlab.tensor(w)).numpy()
    expected = [
        [(x[0, 0, i : i + 2, j : j + 3] * w[0, 0]).sum() for j in range(3)] for i in range(3)
    ]
    np.testing.assert_allclose(out[0, 0], expected, rtol=1e-12)


POOLS = [
    (nn.MaxPool2d, (2,), {}, (2, 3, 8, 8)),
    (nn.MaxPool2d, (2,), {}, (2, 3, 7, 5)),
    (nn.MaxPool2d, (3,), {"stride": 2, "padding": 1}, (2, 2, 7, 8)),
    (nn.MaxPool2d, (3,), {"stride": 2, "ceil_mode": True}, (2, 2, 8, 7)),
    (nn.MaxPool2d, ((2, 3),), {"stride": 1, "dilation": 2}, (1, 2, 7, 8)),
    (nn.MaxPool2d, (2,), {"padding": 1, "ceil_mode": True}, (3, 7, 6)),  # unbatched
    (nn.AvgPool2d, (2,), {}, (2, 3, 8, 8)),
    (nn.AvgPool2d, (3,), {"stride": 2, "padding": 1}, (2, 2, 7, 8)),
    (nn.AvgPool2d, (3,), {"stride": 2, "padding": 1, "count_include_pad": False}, (2, 2, 7, 8)),
    (nn.AvgPool2d, (3,), {"stride": 2, "ceil_mode": True}, (2, 2, 8, 7)),
    (
        nn.AvgPool2d,
        (2,),
        {"padding": 1, "ceil_mode": True, "count_include_pad": False},
        (1, 1, 5, 5),
    ),
    (nn.AvgPool2d, (2,), {"divisor_override": 3}, (2, 3, 6, 5)),
    (nn.AdaptiveAvgPool2d, ((2, 3),), {}, (2, 3, 7, 8)),
    (nn.AdaptiveAvgPool2d, (1,), {}, (2, 3, 5, 4)),
    (nn.AdaptiveAvgPool2d, ((4, None),), {}, (2, 3, 5, 4)),
]


@pytest.mark.parametrize("layer, args, kwargs, shape", POOLS)
@pytest.mark.parametrize("ties", [False, True])
def test_pool_equals_reference(layer, args, kwargs, shape, ties):
    """With ``ties`` (small integers), max pooling must send each window's gradient to the
    same (first) maximum on both paths."""
    pool = layer(*args, **kwargs)
    x = rng.integers(-2, 3, shape).astype(np.float64) if ties else rng.standard_normal(shape)
    fast_ops, ref_ops = compare(pool, [x])
    op = layer.__name__ + "Op"
    assert op in fast_ops and op not in ref_ops
    if layer is nn.MaxPool2d:  # where each maximum is: the same flat indices on both paths
        indexed = nn.MaxPool2d(*args, **kwargs, return_indices=True)
        _, fast = indexed(gradlab.tensor(x))
        with gradlab.reference_kernels():
            _, readable = indexed(gradlab.tensor(x))
        np.testing.assert_array_equal(readable.numpy(), fast.numpy())
        assert readable.dtype == fast.dtype


def _targets(shape, classes, ignore=None):
    t = rng.integers(0, classes, shape)
    if ignore is not None:
        t[rng.random(shape) < 0.3] = ignore
    return t


CE_OPTIONS = [
    {},
    {"reduction": "sum"},
    {"reduction": "none"},
    {"weight": True},
    {"weight": True, "reduction": "none"},
    {"ignore_index": 2},
    {"ignore_index": -100, "ignore": True},
    {"label_smoothing": 0.2},
    {"label_smoothing": 0.1, "weight": True, "ignore_index": 1, "reduction": "sum"},
    {"label_smoothing": 0.3, "weight": True, "ignore_index": 0},
]


@pytest.mark.parametrize("options", CE_OPTIONS, ids=lambda o: ",".join(o) or "default")
@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2, 3), (4,)])
def test_cross_entropy_equals_reference(options, shape):
    options = dict(options)
    classes = shape[0] if len(shape) == 1 else shape[1]
    ignore = options.get("ignore_index", -100) if options.pop("ignore", False) else None
    if "ignore_index" in options and ignore is None:
        ignore = options["ignore_index"]
    target_shape = () if len(shape) == 1 else shape[:1] + shape[2:]
    target = gradlab.tensor(_targets(target_shape, classes, ignore))
    if options.pop("weight", False):
        options["weight"] = gradlab.tensor(rng.uniform(0.5, 2.0, classes))
    loss = nn.CrossEntropyLoss(**options)
    fast_ops, ref_ops = compare(lambda x: loss(x, target), [rng.standard_normal(shape)])
    assert "CrossEntropy" in fast_ops and "CrossEntropy" not in ref_ops


@pytest.mark.parametrize(
    "options", [{}, {"label_smoothing": 0.2, "weight": True}, {"reduction": "none"}]
)
def test_cross_entropy_probability_targets_equal_reference(options):
    """The target's gradient too (a soft target that requires grad)."""
    options = dict(options)
    if options.pop("weight", False):
        options["weight"] = gradlab.tensor(rng.uniform(0.5, 2.0, 4))
    probabilities = rng.dirichlet(np.ones(4), size=(3, 5)).transpose(0, 2, 1)  # (3, 4, 5)
    compare(lambda x, t: F.cross_entropy(x, t, **options),
            [rng.standard_normal((3, 4, 5)), probabilities])  # fmt: skip


@pytest.mark.parametrize("options", [{}, {"weight": True, "ignore_index": 1}, {"reduction": "sum"}])
def test_nll_loss_equals_reference(options):
    options = dict(options)
    if options.pop("weight", False):
        options["weight"] = gradlab.tensor(rng.uniform(0.5, 2.0, 4))
    target = gradlab.tensor(_targets((6,), 4))
    compare(
        lambda x: F.nll_loss(x.log_softmax(1), target, **options), [rng.standard_normal((6, 4))]
    )


def test_reference_log_softmax_is_stable_and_exact():
    x = gradlab.tensor([[1e4, 0.0, -1e4], [1.0, 2.0, 3.0]], dtype="float64")
    got = reference_ce.log_softmax(x).numpy()
    assert np.isfinite(got).all()
    np.testing.assert_allclose(
        got[1], np.log(np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum()), rtol=1e-12
    )


def test_a_whole_model_runs_on_the_references():
    """One setting moves a CNN and its loss onto the references: same loss and gradients, and
    none of the fast ops in the graph."""
    gradlab.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1, dtype=np.float64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 4, 3, dtype=np.float64), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(),
        nn.Linear(4, 3, dtype=np.float64),
    )  # fmt: skip
    target = gradlab.tensor(rng.integers(0, 3, 5))
    loss = nn.CrossEntropyLoss(label_smoothing=0.1)
    x = rng.standard_normal((5, 2, 8, 8))
    fast_ops, ref_ops = compare(lambda x: loss(model(x), target), [x], module=model)
    assert {"Conv2dOp", "MaxPool2dOp", "AvgPool2dOp", "CrossEntropy"} <= fast_ops
    assert not {"Conv2dOp", "MaxPool2dOp", "AvgPool2dOp", "CrossEntropy"} & ref_ops
