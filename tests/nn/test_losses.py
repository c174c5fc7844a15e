"""Losses: every PyTorch loss and option against PyTorch (values, input and target gradients),
finite differences in float64, the losses PyTorch lacks (quantile, focal, Dice, Jaccard)
against closed forms written out in NumPy, stability at logits of ±1e4, and error messages."""

import numpy as np
import pytest

import gradlab
from gradlab import nn
from gradlab.autograd import gradcheck
from gradlab.nn import classification_losses as C
from gradlab.nn import focal as FL
from gradlab.nn import losses as L
from gradlab.nn import overlap_losses as O
from gradlab.ops.softmax import log_softmax

ATOL, RTOL = 1e-5, 1e-4
REDUCTIONS = ("none", "mean", "sum")


def rng(seed=0):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------------- inputs


def regression(seed, shape=(4, 3)):
    r = rng(seed)
    return r.normal(size=shape), r.normal(size=shape)  # |e| on both sides of delta and beta


def probabilities(seed, shape=(4, 3)):
    r = rng(seed)
    return r.uniform(0.05, 0.95, shape), r.uniform(0, 1, shape)


def logits_binary(seed, shape=(4, 3)):
    r = rng(seed)
    return r.normal(0, 2, shape), r.uniform(0, 1, shape)


def logits_classes(seed, shape=(5, 4), ignore=False):
    r = rng(seed)
    x = r.normal(0, 2, shape)
    if len(shape) == 1:  # unbatched (C,): one class index, 0-d
        return x, np.asarray(r.integers(0, shape[0]))
    t = r.integers(0, shape[1], shape[:1] + shape[2:])
    if ignore and t.size > 1:
        t.flat[1] = -100
    return x, t


def logits_probs(seed, shape=(5, 4)):
    r = rng(seed)
    t = r.uniform(0, 1, shape)
    return r.normal(0, 2, shape), t / t.sum(axis=1 if len(shape) > 1 else 0, keepdims=True)


def log_probs(seed, shape=(5, 4), log_target=False):
    r = rng(seed)
    x = np.log(r.dirichlet(np.ones(shape[-1]), shape[:-1]))
    t = r.dirichlet(np.ones(shape[-1]), shape[:-1])
    return x, np.log(t) if log_target else t


def wlike(shape):
    """Element weights of a shape, independent of the input (gradcheck moves the input)."""
    return np.linspace(0.5, 2.0, int(np.prod(shape))).reshape(shape)


W3 = np.array([0.5, 2.0, 1.5])
W4 = np.array([0.3, 1.0, 2.0, 0.7])

# name -> (make inputs, gradlab fn(x, t, W), torch fn(F, x, t, W)); W: the case's weights
# as arrays of the library (numpy for gradlab, torch tensors for torch)
CASES = {}
for red in REDUCTIONS:
    CASES |= {
        f"mse_{red}": (
            regression,
            lambda x, t, red=red: L.mse_loss(x, t, reduction=red),
            lambda F, x, t, red=red: F.mse_loss(x, t, reduction=red),
        ),
        f"mse_weight_{red}": (
            regression,
            lambda x, t, red=red: L.mse_loss(x, t, reduction=red, weight=wlike(x.shape)),
            lambda F, x, t, red=red: F.mse_loss(x, t, reduction=red, weight=F.wlike(x)),
        ),
        f"l1_{red}": (
            regression,
            lambda x, t, red=red: L.l1_loss(x, t, reduction=red),
            lambda F, x, t, red=red: F.l1_loss(x, t, reduction=red),
        ),
        f"l1_weight_{red}": (
            regression,
            lambda x, t, red=red: L.l1_loss(x, t, reduction=red, weight=wlike(x.shape)),
            lambda F, x, t, red=red: F.l1_loss(x, t, reduction=red, weight=F.wlike(x)),
        ),
        f"huber_{red}": (
            regression,
            lambda x, t, red=red: L.huber_loss(x, t, reduction=red),
            lambda F, x, t, red=red: F.huber_loss(x, t, reduction=red),
        ),
        f"huber_0.7_weight_{red}": (
            regression,
            lambda x, t, red=red: L.huber_loss(x, t, red, 0.7, weight=wlike(x.shape)),
            lambda F, x, t, red=red: F.huber_loss(x, t, red, 0.7, weight=F.wlike(x)),
        ),
        f"smooth_l1_{red}": (
            regression,
            lambda x, t, red=red: L.smooth_l1_loss(x, t, reduction=red),
            lambda F, x, t, red=red: F.smooth_l1_loss(x, t, reduction=red),
        ),
        f"smooth_l1_beta0.4_{red}": (
            regression,
            lambda x, t, red=red: L.smooth_l1_loss(x, t, reduction=red, beta=0.4),
            lambda F, x, t, red=red: F.smooth_l1_loss(x, t, reduction=red, beta=0.4),
        ),
        f"bce_{red}": (
            probabilities,
            lambda x, t, red=red: C.binary_cross_entropy(x, t, reduction=red),
            lambda F, x, t, red=red: F.binary_cross_entropy(x, t, reduction=red),
        ),
        f"bce_weight_{red}": (
            probabilities,
            lambda x, t, red=red: C.binary_cross_entropy(x, t, W3, reduction=red),
            lambda F, x, t, red=red: F.binary_cross_entropy(x, t, F.w3(x), reduction=red),
        ),
        f"bce_logits_{red}": (
            logits_binary,
            lambda x, t, red=red: C.binary_cross_entropy_with_logits(x, t, reduction=red),
            lambda F, x, t, red=red: F.binary_cross_entropy_with_logits(x, t, reduction=red),
        ),
        f"bce_logits_weights_{red}": (
            logits_binary,
            lambda x, t, red=red: C.binary_cross_entropy_with_logits(
                x, t, W3[None], reduction=red, pos_weight=W3[::-1].copy()
            ),
            lambda F, x, t, red=red: F.binary_cross_entropy_with_logits(
                x, t, F.w3(x)[None], reduction=red, pos_weight=F.w3(x).flip(0)
            ),
        ),
        f"kl_{red}": (
            log_probs,
            lambda x, t, red=red: C.kl_div(x, t, reduction=red),
            lambda F, x, t, red=red: F.kl_div(x, t, reduction=red),
        ),
        f"kl_log_target_{red}": (
            lambda s: log_probs(s, log_target=True),
            lambda x, t, red=red: C.kl_div(x, t, reduction=red, log_target=True),
            lambda F, x, t, red=red: F.kl_div(x, t, reduction=red, log_target=True),
        ),
    }
    for ls in (0.0, 0.2):
        for shape in ((5, 4), (3, 4, 2, 3), (4,)):
            k = f"{red}_ls{ls}_{shape}"
            CASES |= {
                f"ce_{k}": (
                    lambda s, shape=shape: logits_classes(s, shape, ignore=True),
                    lambda x, t, red=red, ls=ls: C.cross_entropy(
                        x, t, reduction=red, label_smoothing=ls
                    ),
                    lambda F, x, t, red=red, ls=ls: F.cross_entropy(
                        x, t, reduction=red, label_smoothing=ls
                    ),
                ),
                f"ce_weight_{k}": (
                    lambda s, shape=shape: logits_classes(s, shape, ignore=True),
                    lambda x, t, red=red, ls=ls: C.cross_entropy(
                        x, t, W4, reduction=red, label_smoothing=ls
                    ),
                    lambda F, x, t, red=red, ls=ls: F.cross_entropy(
                        x, t, F.w4(x), reduction=red, label_smoothing=ls
                    ),
                ),
                f"ce_ignore_2_{k}": (
                    lambda s, shape=shape: logits_classes(s, shape),
                    lambda x, t, red=red, ls=ls: C.cross_entropy(
                        x, t, W4, ignore_index=2, reduction=red, label_smoothing=ls
                    ),
                    lambda F, x, t, red=red, ls=ls: F.cross_entropy(
                        x, t, F.w4(x), ignore_index=2, reduction=red, label_smoothing=ls
                    ),
                ),
                f"ce_probs_weight_{k}": (
                    lambda s, shape=shape: logits_probs(s, shape),
                    lambda x, t, red=red, ls=ls: C.cross_entropy(
                        x, t, W4, reduction=red, label_smoothing=ls
                    ),
                    lambda F, x, t, red=red, ls=ls: F.cross_entropy(
                        x, t, F.w4(x), reduction=red, label_smoothing=ls
                    ),
                ),
                f"ce_probs_{k}": (
                    lambda s, shape=shape: logits_probs(s, shape),
                    lambda x, t, red=red, ls=ls: C.cross_entropy(
                        x, t, reduction=red, label_smoothing=ls
                    ),
                    lambda F, x, t, red=red, ls=ls: F.cross_entropy(
                        x, t, reduction=red, label_smoothing=ls
                    ),
                ),
            }
    for shape in ((5, 4), (3, 4, 2, 3)):
        CASES[f"nll_weight_ignore_{red}_{shape}"] = (
            lambda s, shape=shape: logits_classes(s, shape, ignore=True),
            lambda x, t, red=red: C.nll_loss(x, t, W4, reduction=red),
            lambda F, x, t, red=red: F.nll_loss(x, t, F.w4(x), reduction=red),
        )
CASES |= {
    "kl_batchmean": (
        log_probs,
        lambda x, t: C.kl_div(x, t, reduction="batchmean"),
        lambda F, x, t: F.kl_div(x, t, reduction="batchmean"),
    ),
    "kl_batchmean_log_target": (
        lambda s: log_probs(s, log_target=True),
        lambda x, t: C.kl_div(x, t, reduction="batchmean", log_target=True),
        lambda F, x, t: F.kl_div(x, t, reduction="batchmean", log_target=True),
    ),
    "MSELoss_sum": (
        regression,
        nn.MSELoss(reduction="sum"),
        lambda F, x, t: F.torch.nn.MSELoss(reduction="sum")(x, t),
    ),
    "L1Loss": (regression, nn.L1Loss(), lambda F, x, t: F.torch.nn.L1Loss()(x, t)),
    "HuberLoss": (
        regression,
        nn.HuberLoss(delta=0.5),
        lambda F, x, t: F.torch.nn.HuberLoss(delta=0.5)(x, t),
    ),
    "SmoothL1Loss": (
        regression,
        nn.SmoothL1Loss(beta=0.5),
        lambda F, x, t: F.torch.nn.SmoothL1Loss(beta=0.5)(x, t),
    ),
    "BCELoss": (
        probabilities,
        C.BCELoss(weight=W3),
        lambda F, x, t: F.torch.nn.BCELoss(weight=F.w3(x))(x, t),
    ),
    "BCEWithLogitsLoss": (
        logits_binary,
        C.BCEWithLogitsLoss(pos_weight=W3),
        lambda F, x, t: F.torch.nn.BCEWithLogitsLoss(pos_weight=F.w3(x))(x, t),
    ),
    "CrossEntropyLoss": (
        lambda s: logits_classes(s, ignore=True),
        C.CrossEntropyLoss(weight=W4, label_smoothing=0.1),
        lambda F, x, t: F.torch.nn.CrossEntropyLoss(weight=F.w4(x), label_smoothing=0.1)(x, t),
    ),
    "NLLLoss": (
        lambda s: logits_classes(s, ignore=True),
        C.NLLLoss(reduction="sum"),
        lambda F, x, t: F.torch.nn.NLLLoss(reduction="sum")(x, t),
    ),
    "KLDivLoss": (
        log_probs,
        C.KLDivLoss(reduction="batchmean"),
        lambda F, x, t: F.torch.nn.KLDivLoss(reduction="batchmean")(x, t),
    ),
}


def _torch_namespace(torch):
    import types

    import torch.nn.functional as F

    ns = types.SimpleNamespace(**{n: getattr(F, n) for n in dir(F) if not n.startswith("_")})
    ns.torch = torch
    ns.w3 = lambda x: torch.tensor(W3, dtype=x.dtype)
    ns.w4 = lambda x: torch.tensor(W4, dtype=x.dtype)
    ns.wlike = lambda x: torch.tensor(wlike(tuple(x.shape)), dtype=x.dtype)
    return ns


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    torch = pytest.importorskip("torch")
    F = _torch_namespace(torch)
    make, ours, theirs = CASES[name]
    x, t = make(0)
    x = x.astype(np.float32)
    float_target = t.dtype.kind == "f"
    t = t.astype(np.float32) if float_target else t.astype(np.int64)
    gx, tx = gradlab.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    gt = gradlab.tensor(t, requires_grad=float_target)
    tt = torch.tensor(t, requires_grad=float_target)
    gy, ty = ours(gx, gt), theirs(F, tx, tt)
    assert gy.shape == tuple(ty.shape) and gy.dtype == np.float32
    np.testing.assert_allclose(gy.numpy(), ty.detach().numpy(), atol=ATOL, rtol=RTOL)
    up = rng(1).standard_normal(gy.shape).astype(np.float32)
    gy.backward(up)
    ty.backward(torch.tensor(up))
    np.testing.assert_allclose(gx.grad, tx.grad.numpy(), atol=ATOL, rtol=RTOL)
    if float_target and tt.grad is not None:
        np.testing.assert_allclose(gt.grad, tt.grad.numpy(), atol=ATOL, rtol=RTOL)


# the grid is large: finite differences on one representative per loss and option
GRADCHECK = [n for n in CASES if not n.startswith("ce_") or "(4,)" in n or "(3, 4" in n]


@pytest.mark.parametrize("name", GRADCHECK)
def test_gradcheck(name):
    make, ours, _ = CASES[name]
    x, t = make(2)
    float_target = t.dtype.kind == "f"
    gx = gradlab.tensor(x, requires_grad=True)
    gt = gradlab.tensor(t, requires_grad=float_target and not name.startswith("kl_log"))
    if name.startswith(("l1", "L1", "smooth", "huber", "Huber", "Smooth", "mse", "MSE")):
        gt.data = x + np.where(rng(3).random(x.shape) < 0.5, -1, 1) * rng(4).uniform(
            0.1, 1.5, x.shape
        )  # away from the kinks at |e| = 0, delta and beta
    inputs = (gx, gt) if gt.requires_grad else (gx,)
    assert gradcheck(lambda *a: ours(a[0], a[1] if len(a) > 1 else gt), inputs)


# ---------------------------------------------------------------------- closed forms


def sigmoid_np(x):
    return 1 / (1 + np.exp(-x))


def torchvision_focal(x, y, alpha=0.25, gamma=2.0):
    """torchvision.ops.sigmoid_focal_loss, reduction='none', written out."""
    p = sigmoid_np(x)
    ce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    p_t = p * y + (1 - p) * (1 - y)
    loss = ce * (1 - p_t) ** gamma
    if alpha >= 0:
        loss = (alpha * y + (1 - alpha) * (1 - y)) * loss
    return loss


@pytest.mark.parametrize("q", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("red", REDUCTIONS)
def test_quantile_closed_form(q, red):
    x, t = regression(5)
    e = t - x
    expected = np.maximum(q * e, (q - 1) * e)
    expected = {"none": expected, "mean": expected.mean(), "sum": expected.sum()}[red]
    out = nn.QuantileLoss(q, reduction=red)(gradlab.tensor(x), gradlab.tensor(t))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    gx, gt = gradlab.tensor(x, requires_grad=True), gradlab.tensor(t, requires_grad=True)
    assert gradcheck(lambda a, b: L.quantile_loss(a, b, q, red), (gx, gt))
    gx = gradlab.tensor(x, requires_grad=True)
    L.quantile_loss(gx, t, q, "sum").backward()
    np.testing.assert_array_equal(gx.grad, np.where(e > 0, -q, 1 - q))


def test_quantile_half_is_half_l1():
    x, t = regression(6)
    half = L.quantile_loss(gradlab.tensor(x), gradlab.tensor(t), 0.5)
    np.testing.assert_allclose(half.numpy(), 0.5 * np.abs(x - t).mean(), rtol=1e-12)


@pytest.mark.parametrize("alpha, gamma", [(0.25, 2.0), (-1, 2.0), (0.6, 0.5), (0.25, 0.0)])
@pytest.mark.parametrize("red", REDUCTIONS)
def test_binary_focal_matches_torchvision_formula(alpha, gamma, red):
    x, y = logits_binary(7)
    y = (y > 0.5).astype(float)
    expected = torchvision_focal(x, y, alpha, gamma)
    expected = {"none": expected, "mean": expected.mean(), "sum": expected.sum()}[red]
    out = FL.sigmoid_focal_loss(gradlab.tensor(x), gradlab.tensor(y), alpha, gamma, red)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10)
    module = FL.FocalLoss(gamma, None if alpha < 0 else alpha, reduction=red)
    np.testing.assert_allclose(module(gradlab.tensor(x), y).data, expected, rtol=1e-10)
    gx = gradlab.tensor(x, requires_grad=True)
    soft = logits_binary(8)[1]  # soft labels too
    assert gradcheck(
        lambda a: FL.focal_loss(a, soft, gamma, None if alpha < 0 else alpha, red), (gx,)
    )


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("shape", [(6, 4), (2, 4, 3)])
def test_multiclass_focal_closed_form(gamma, shape):
    x, t = logits_classes(9, shape)
    alpha = np.array([0.25, 1.0, 0.5, 2.0])
    logp = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    logp_t = np.take_along_axis(logp, t[:, None], axis=1)[:, 0]
    expected = -alpha[t] * (1 - np.exp(logp_t)) ** gamma * logp_t
    out = FL.focal_loss(gradlab.tensor(x), t, gamma, alpha, "none")
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10)
    np.testing.assert_allclose(
        FL.focal_loss(gradlab.tensor(x), t, gamma, alpha).data, expected.mean(), rtol=1e-10
    )
    gx = gradlab.tensor(x, requires_grad=True)
    assert gradcheck(lambda a: FL.focal_loss(a, t, gamma, alpha, "sum"), (gx,))


def test_focal_gamma_zero_is_cross_entropy():
    torch = pytest.importorskip("torch")
    x, t = logits_classes(10)
    ours = FL.focal_loss(gradlab.tensor(x), t, gamma=0.0)
    theirs = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(t))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def overlap_np(p, t, smooth, kind, axes):
    inter = (p * t).sum(axis=axes)
    total = p.sum(axis=axes) + t.sum(axis=axes)
    if kind == "dice":
        return 1 - (2 * inter + smooth) / (total + smooth)
    return 1 - (inter + smooth) / (total - inter + smooth)


@pytest.mark.parametrize("kind", ["dice", "jaccard"])
@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("smooth", [1.0, 0.1])
def test_overlap_binary_closed_form(kind, from_logits, smooth):
    r = rng(11)
    x = r.normal(size=(3, 2, 4, 4)) if from_logits else r.uniform(0, 1, (3, 2, 4, 4))
    t = (r.uniform(size=x.shape) > 0.6).astype(float)
    p = sigmoid_np(x) if from_logits else x
    expected = overlap_np(p, t, smooth, kind, axes=(1, 2, 3))
    fn = O.dice_loss if kind == "dice" else O.jaccard_loss
    module = (O.DiceLoss if kind == "dice" else O.JaccardLoss)(smooth, from_logits, "none")
    np.testing.assert_allclose(module(gradlab.tensor(x), t).data, expected, rtol=1e-12)
    np.testing.assert_allclose(
        fn(gradlab.tensor(x), t, smooth, from_logits).data, expected.mean(), rtol=1e-12
    )
    gx = gradlab.tensor(x[:2, :1, :2], requires_grad=True)
    assert gradcheck(lambda a: fn(a, t[:2, :1, :2], smooth, from_logits, "sum"), (gx,))


@pytest.mark.parametrize("kind", ["dice", "jaccard"])
def test_overlap_multiclass_closed_form(kind):
    x, t = logits_classes(12, (2, 3, 4, 4))
    p = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    onehot = np.moveaxis(np.eye(3)[t], -1, 1)
    expected = overlap_np(p, onehot, 1.0, kind, axes=(2, 3)).mean(axis=1)
    fn = O.dice_loss if kind == "dice" else O.jaccard_loss
    out = fn(gradlab.tensor(x), t, from_logits=True, reduction="none")
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    gx = gradlab.tensor(x[:1, :, :2, :2], requires_grad=True)
    assert gradcheck(lambda a: fn(a, t[:1, :2, :2], from_logits=True), (gx,))


def test_dice_of_perfect_prediction_is_zero():
    t = np.array([[0.0, 1.0, 1.0, 0.0]])
    assert O.dice_loss(gradlab.tensor(t), t, smooth=0.0).item() == 0.0
    assert O.jaccard_loss(gradlab.tensor(t), t, smooth=0.0).item() == 0.0


# ---------------------------------------------------------------------- stability

EXTREME = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0]], np.float32)
STABLE = {
    "bce_logits": lambda x: C.binary_cross_entropy_with_logits(
        x, np.array([[0, 1, 1], [0, 0, 1.0]])
    ),
    "bce_logits_pos_weight": lambda x: C.binary_cross_entropy_with_logits(
        x, np.array([[0, 1, 1], [0, 0, 1.0]]), pos_weight=W3
    ),
    "bce_clamped": lambda x: C.binary_cross_entropy(
        x.sigmoid(), np.array([[0, 1, 1], [0, 0, 1.0]])
    ),
    "cross_entropy": lambda x: C.cross_entropy(x, np.array([1, 0])),
    "cross_entropy_smooth": lambda x: C.cross_entropy(x, np.array([1, 0]), W3, label_smoothing=0.1),
    "cross_entropy_probs": lambda x: C.cross_entropy(x, np.array([[0, 1, 0], [0.5, 0, 0.5]])),
    "nll_of_log_softmax": lambda x: C.nll_loss(log_softmax(x, 1), np.array([1, 0])),
    "focal_binary": lambda x: FL.focal_loss(x, np.array([[0, 1, 1], [0, 0, 1.0]])),
    "focal_binary_gamma_half": lambda x: FL.focal_loss(
        x, np.array([[1, 0, 1], [0, 1, 1.0]]), gamma=0.5
    ),
    "focal_multiclass": lambda x: FL.focal_loss(x, np.array([1, 0])),
    "focal_multiclass_gamma_half": lambda x: FL.focal_loss(x, np.array([0, 1]), gamma=0.5),
    "dice_logits": lambda x: O.dice_loss(x, np.array([[0, 1, 1], [0, 0, 1.0]]), from_logits=True),
    "jaccard_logits_multiclass": lambda x: O.jaccard_loss(x, np.array([1, 0]), from_logits=True),
}


@pytest.mark.parametrize("name", list(STABLE))
def test_extreme_logits_stay_finite(name):
    x = gradlab.tensor(EXTREME, requires_grad=True)
    loss = STABLE[name](x)
    loss.backward()
    assert np.isfinite(loss.numpy()).all(), loss.numpy()
    assert np.isfinite(x.grad).all(), x.grad


def test_extreme_logits_match_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x, y = EXTREME, np.array([[0, 1, 1], [0, 0, 1.0]], np.float32)
    pairs = [
        (
            C.binary_cross_entropy_with_logits(gradlab.tensor(x), y),
            F.binary_cross_entropy_with_logits(torch.tensor(x), torch.tensor(y)),
        ),
        (
            C.cross_entropy(gradlab.tensor(x), np.array([1, 0]), label_smoothing=0.1),
            F.cross_entropy(torch.tensor(x), torch.tensor([1, 0]), label_smoothing=0.1),
        ),
        (
            C.binary_cross_entropy(
                gradlab.tensor(np.array([0.0, 1.0, 1.0], np.float32)), np.array([1.0, 0.0, 1.0])
            ),
            F.binary_cross_entropy(torch.tensor([0.0, 1.0, 1.0]), torch.tensor([1.0, 0.0, 1.0])),
        ),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=RTOL)


# ---------------------------------------------------------------------- errors


def test_label_out_of_range_names_label_and_classes():
    x = gradlab.zeros(3, 4)
    with pytest.raises(
        IndexError,
        match=r"target has class 7 at index \(1,\), expected class "
        r"indices in \[0, 4\) for 4 classes or ignore_index",
    ):
        C.cross_entropy(x, np.array([0, 7, 1]))
    with pytest.raises(IndexError, match="class -1"):
        C.NLLLoss()(x, np.array([0, -1, 1]))
    with pytest.raises(IndexError, match="class 4 at index"):
        FL.focal_loss(x, np.array([4, 0, 1]))


@pytest.mark.parametrize(
    "fn",
    [
        L.mse_loss,
        L.l1_loss,
        L.huber_loss,
        L.smooth_l1_loss,
        L.quantile_loss,
        C.binary_cross_entropy,
        C.binary_cross_entropy_with_logits,
        C.kl_div,
        FL.focal_loss,
        O.dice_loss,
    ],
)
def test_shape_mismatch_names_both_shapes(fn):
    x = gradlab.full((4, 1), 0.5)
    with pytest.raises(ValueError, match=r"target has shape \(4,\) but input has shape \(4, 1\)"):
        fn(x, np.full(4, 0.5, np.float32))


def test_class_target_shape_mismatch():
    with pytest.raises(
        ValueError,
        match=r"target has shape \(3, 2\) but input has shape "
        r"\(3, 4\); class indices need shape \(3,\)",
    ):
        C.cross_entropy(gradlab.zeros(3, 4), np.zeros((3, 2), np.int64))


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.MSELoss(reduction="avg"),
        lambda: L.l1_loss(gradlab.zeros(2), np.zeros(2), reduction="avg"),
        lambda: C.CrossEntropyLoss(reduction="avg"),
    ],
)
def test_invalid_reduction_names_valid_ones(make):
    with pytest.raises(
        ValueError, match="reduction must be one of 'none', 'mean', 'sum', got 'avg'"
    ):
        make()


def test_other_bad_inputs():
    with pytest.raises(ValueError, match="reduction must be one of 'none', 'batchmean'"):
        C.KLDivLoss(reduction="avg")
    with pytest.raises(
        ValueError, match="input must hold probabilities in \\[0, 1\\], got values from -0.5 to 2"
    ):
        C.binary_cross_entropy(gradlab.tensor([-0.5, 2.0]), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"weight has shape \(3,\), expected \(4,\)"):
        C.cross_entropy(gradlab.zeros(2, 4), np.array([0, 1]), weight=W3)
    with pytest.raises(
        ValueError,
        match=r"pos_weight has shape \(4,\), which does not "
        r"broadcast to the input's shape \(2, 3\)",
    ):
        C.binary_cross_entropy_with_logits(gradlab.zeros(2, 3), np.zeros((2, 3)), pos_weight=W4)
    with pytest.raises(ValueError, match="alpha must be None or 4 per-class weights"):
        FL.focal_loss(gradlab.zeros(2, 4), np.array([0, 1]), alpha=0.25)
    with pytest.raises(ValueError, match="quantile must be in \\(0, 1\\), got 1.5"):
        nn.QuantileLoss(1.5)
    with pytest.raises(TypeError, match="class-index target must be an integer tensor"):
        C.nll_loss(gradlab.zeros(2, 4), np.array([0.0, 1.0]))


def test_legacy_size_average_and_reduce():
    x, t = regression(13)
    summed = L.mse_loss(gradlab.tensor(x), t, size_average=False)
    none = nn.MSELoss(reduce=False)(gradlab.tensor(x), t)
    np.testing.assert_allclose(summed.numpy(), ((x - t) ** 2).sum())
    assert none.shape == x.shape


def test_weight_buffers_in_state_dict():
    loss = C.CrossEntropyLoss(weight=W4)
    assert list(loss.state_dict()) == ["weight"]
    assert list(C.CrossEntropyLoss().state_dict()) == []
    assert list(C.BCEWithLogitsLoss(pos_weight=W3).state_dict()) == ["pos_weight"]


def test_notes_examples_2_to_5_reproduce():
    import io

    from gradlab.lab.reproduce import run

    out = io.StringIO()
    assert run(["2", "3", "4", "5"], out=out) == 0, out.getvalue()
    assert "11 passed, 0 failed" in out.getvalue()
