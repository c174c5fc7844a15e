"""Higher-order gradients (create_graph=True) op by op: Hessian-vector products of every op
that has a recorded backward, against torch with the same inputs and against central finite
differences of the first derivative, in float64. (The API, its errors and WGAN-GP training:
test_higher_order.py.)"""

import numpy as np
import pytest

import gradlab

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
X = RNG.normal(size=(3, 4)) + 0.1  # no exact zeros (kinks)
W = RNG.normal(size=(4, 5))
B = RNG.normal(size=(4,))
LABELS = np.array([1, 0, 3])
GATHER = np.array([[0, 3, 1, 1], [2, 2, 0, 3], [1, 0, 3, 2]])
Y01 = (RNG.uniform(size=(3, 4)) > 0.5).astype(np.float64)


def _labels(lib):
    return lib.tensor(LABELS)


def _inplace(lib, F, x):
    y = x * 2
    y[0] = x[1] ** 2  # index_put on a tensor in the graph
    y[:, [1, 3]] = x[:, :2].exp()
    z = x.clone()
    z.copy_(x.sin())
    w = x.clone()
    w.mul_(x)  # in-place arithmetic is recorded as its out-of-place op
    return y * x + z * x + w * x


# name -> (f(lib, F, *tensors), input arrays). Each f returns a tensor; it is weighted by a
# fixed random array and summed. F is lib.nn.functional.
CASES = {
    "arithmetic": (lambda lib, F, x: x * x - 2 * x + x / (1 + x * x) - (-x) * 0.5, [X]),
    "pow_constant": (lambda lib, F, x: (x * x + 1) ** 1.5 - x**3 + 2**x, [X]),
    "pow_tensor": (lambda lib, F, x, b: (x * x + 1) ** b, [X, B]),
    "exp_log_sqrt": (lambda lib, F, x: x.exp() * (x * x + 1).log() + (x * x + 1).sqrt(), [X]),
    "abs": (lambda lib, F, x: x.abs() * x, [X]),
    "sin_cos": (lambda lib, F, x: x.sin() * x.cos() + x.tan() * 0.1, [X]),
    "more_unary": (
        lambda lib, F, x: x.atan() + x.sinh() + x.cosh() + (x * x + 2).log1p() + x.expm1(),
        [X * 0.5],
    ),
    "tanh_sigmoid": (lambda lib, F, x: x.tanh() * x.sigmoid(), [X]),
    "relu_leaky": (lambda lib, F, x: F.relu(x) ** 2 + F.leaky_relu(x, 0.1) ** 3, [X]),
    "gelu": (lambda lib, F, x: F.gelu(x) * x + F.gelu(x, approximate="tanh") ** 2, [X]),
    "silu": (lambda lib, F, x: F.silu(x) ** 2, [X]),
    "softplus": (lambda lib, F, x: F.softplus(2 * x, beta=1.5) ** 2, [X]),
    "elu": (lambda lib, F, x: F.elu(x, alpha=0.7) ** 2, [X]),
    "matmul": (lambda lib, F, x, w: (x @ w).tanh(), [X, W]),
    "matmul_vector": (lambda lib, F, x, b: (x @ b).sin() + (b @ (x.t() @ x) @ b), [X, B]),
    "mm_batched": (lambda lib, F, x, w: lib.mm(x, w).sigmoid() + (x[None] @ w).exp(), [X, W]),
    "linear": (lambda lib, F, x, w, b: F.linear(x, w.t(), w[0]).tanh() * b[0], [X, W, B]),
    "reductions": (
        lambda lib, F, x: (x.reshape(2, 6).sum(0) ** 2).mean() + x.mean(dim=1).exp().sum(),
        [X],
    ),
    "movement": (
        lambda lib, F, x: (
            (x.t() @ x).sin() + x.permute(1, 0).exp().reshape(2, 6).sum() + x.view(6, 2).sin().sum()
        ),
        [X],
    ),
    "expand_broadcast": (
        lambda lib, F, x, b: (x[:, :1].expand(3, 4) * x).sin() + (x * b) ** 2,
        [X, B],
    ),
    "indexing": (
        lambda lib, F, x: (
            (x[1:, ::2] ** 3).sum() + (x[[0, 2, 2]] ** 2).sum() + (x[x > 0] ** 3).sum()
        ),
        [X],
    ),
    "cat_stack": (
        lambda lib, F, x: lib.cat([x, x**2], 1).sin().sum() + lib.stack([x.sin(), x * x]).exp(),
        [X],
    ),
    "norm": (lambda lib, F, x: x.norm(2, dim=1) ** 3 + x.norm() + x.norm(p=3, dim=0).sum(), [X]),
    "softmax": (
        lambda lib, F, x, b: F.softmax(x, dim=1) * b + F.log_softmax(x, dim=0) ** 2,
        [X, B],
    ),
    "mse_loss": (lambda lib, F, x, w: F.mse_loss(x.tanh(), w[:, :4].t() ** 2), [X, W[:, :3]]),
    "cross_entropy": (lambda lib, F, x: F.cross_entropy(x * x, _labels(lib)), [X]),
    "cross_entropy_options": (
        lambda lib, F, x, b: (
            F.cross_entropy(
                x.sin(), _labels(lib), weight=lib.tensor(np.abs(B)), label_smoothing=0.2
            )
            + F.cross_entropy(x, F.softmax(b.expand(3, 4), dim=1), reduction="sum")
        ),
        [X, B],
    ),
    "bce": (
        lambda lib, F, x, b: (
            F.binary_cross_entropy(x.sigmoid(), (b * b).sigmoid().expand(3, 4))
            + F.binary_cross_entropy(x.sigmoid() * 0.5, lib.tensor(Y01), weight=lib.tensor(B * B))
        ),
        [X, B],
    ),
    "bce_with_logits": (
        lambda lib, F, x, b: (
            F.binary_cross_entropy_with_logits(x * b, lib.tensor(Y01))
            + F.binary_cross_entropy_with_logits(
                x, b.sigmoid().expand(3, 4), pos_weight=lib.tensor(np.abs(B)), reduction="sum"
            )
        ),
        [X, B],
    ),
    "nll_loss": (
        lambda lib, F, x: (
            F.nll_loss(F.log_softmax(x * x, dim=1), _labels(lib))
            + F.nll_loss(x.tanh(), _labels(lib), weight=lib.tensor(np.abs(B)), reduction="none")
        ),
        [X],
    ),
    "regression_losses": (
        lambda lib, F, x, b: (
            F.huber_loss(x * 2, b.expand(3, 4), delta=0.7)
            + F.smooth_l1_loss(x.sin() * 3, b.expand(3, 4) ** 2, beta=0.5, reduction="sum")
            + F.l1_loss(x**3, b.expand(3, 4))
        ),
        [X, B],
    ),
    "kl_div": (
        lambda lib, F, x, b: (
            F.kl_div(
                F.log_softmax(x, dim=1), F.softmax(b * b, dim=0).expand(3, 4), reduction="batchmean"
            )
            + F.kl_div(x.tanh(), b.expand(3, 4) * 0.1, reduction="sum", log_target=True)
        ),
        [X, B],
    ),
    "selu_prelu": (
        lambda lib, F, x, b: F.selu(x) ** 2 + (F.prelu(x.reshape(3, 4, 1), b) ** 2).sum(),
        [X, B],
    ),
    "layer_norm": (
        lambda lib, F, x, b: F.layer_norm(x * x, (4,), weight=b, bias=b * 0.5).tanh(),
        [X, B],
    ),
    "batch_norm": (
        lambda lib, F, x, b: (
            F.batch_norm(x.t() ** 2, None, None, weight=b[:3], bias=b[1:], training=True)
            .sin()
            .sum()
            + F.batch_norm(x, lib.tensor(B), lib.tensor(B * B), weight=b, training=False) ** 2
        ),
        [X, B],
    ),
    "embedding": (
        lambda lib, F, x: F.embedding(lib.tensor([[0, 2], [2, 1]]), x.exp(), padding_idx=1) ** 2,
        [X],
    ),
    "conv2d": (
        lambda lib, F, x, w: (
            F.conv2d(x.reshape(1, 2, 2, 3).tanh(), w.reshape(5, 2, 2, 1), padding=1) ** 2
            + F.conv2d(
                x.reshape(1, 1, 3, 4), w[:2, :4].reshape(2, 1, 2, 2), w[0, :2], stride=(2, 1)
            )
            .sin()
            .sum()
        ),
        [X, W],
    ),
    "conv_transpose2d": (
        lambda lib, F, x, w: (
            F.conv_transpose2d(
                x.reshape(1, 2, 2, 3).tanh(),
                w.reshape(2, 2, 5, 1),
                w[0, :2],
                stride=2,
                padding=1,
                output_padding=1,
                dilation=(1, 2),
            )
            ** 2
        ),
        [X, W],
    ),
    "pools": (
        lambda lib, F, x: (
            F.max_pool2d(x.reshape(1, 1, 3, 4) ** 3, 2).sum()
            + F.max_pool2d(
                x.reshape(1, 1, 3, 4).exp(), 2, stride=1, padding=1, ceil_mode=True
            ).sum()
            + (F.avg_pool2d(x.reshape(1, 2, 2, 3) ** 2, (1, 2), padding=(0, 1)) ** 2).sum()
            + (F.avg_pool2d(x.reshape(1, 1, 3, 4), 2) ** 2).sum()
            + (F.adaptive_avg_pool2d(x.reshape(1, 1, 3, 4) ** 2, (2, 3)) ** 2).sum()
            + (F.adaptive_avg_pool2d(x.reshape(1, 1, 3, 4) ** 2, 1) ** 2).sum()
        ),
        [X],
    ),
    "binary": (
        lambda lib, F, x, b: (
            lib.atan2(x, b + 2) * x
            + lib.hypot(x, b) ** 2
            + lib.logaddexp(x * x, b)
            + lib.logaddexp2(x, b * b) ** 2
            + lib.xlogy(x * x, b * b + 1)
            + lib.fmod(x * 3, b + 3) * x
            + lib.remainder(x * 3, b + 3) ** 2
            + lib.copysign(x * x, b) * x
            + lib.fmax(x, b) ** 3
            + lib.fmin(x * x, b) ** 2
        ),
        [X, B],
    ),
    "gather_scatter": (
        lambda lib, F, x, b: (
            lib.gather(x, 1, lib.tensor(GATHER)) ** 3
            + lib.scatter(x * x, 1, lib.tensor(GATHER[:, :2]), b[:2].expand(3, 2) ** 3).sum()
            + lib.scatter_add(x, 1, lib.tensor(GATHER), (x.sin() * b)).sum()
            + (lib.index_select(x, 1, lib.tensor([3, 0, 3])) ** 2).sum()
        ),
        [X, B],
    ),
    "index_ops": (
        lambda lib, F, x: (
            x.index_add(1, lib.tensor([0, 2]), x[:, :2] ** 2, alpha=0.5) ** 2
            + x.index_copy(1, lib.tensor([1, 3]), x[:, 2:].exp())
            + (lib.masked_select(x, lib.tensor(X > 0)) ** 3).sum()
        ),
        [X],
    ),
    "shape_ops": (
        lambda lib, F, x: (
            lib.roll(x, 1, 0) * x
            + lib.flip(x, [1]) ** 3
            + (x.repeat(2, 1)[1:4] ** 2)
            + (lib.diagonal(x * x, 1) ** 2).sum()
            + (lib.diagonal(x.reshape(2, 2, 3).exp(), 0, 0, 2) ** 2).sum()
        ),
        [X],
    ),
    "scan_einsum": (
        lambda lib, F, x, w: (
            lib.cumsum(x * x, 1) * x
            + (x.prod(dim=1, keepdim=True) * x)
            + x.prod() * 0.1
            + lib.einsum("ij,jk->ik", x, w)[:, :4].sin()
            + lib.einsum("ij,ij->j", x, x.exp()) ** 2
        ),
        [X, W],
    ),
    "math_extras": (
        lambda lib, F, x: (
            lib.erfc(x) * x
            + lib.erfinv(x.tanh() * 0.9) ** 2
            + lib.logit(x.sigmoid()) ** 3
            + lib.logit(x.sigmoid(), eps=0.3) ** 2
            + lib.frac(x * 2) * x
            + lib.nan_to_num(x**3) * x
            + lib.deg2rad(x) ** 2
            + lib.floor(x) * x
        ),
        [X],
    ),
    "inplace": (_inplace, [X]),
    "linalg": (
        lambda lib, F, x: (
            lib.linalg.det(x[:, :3] + lib.eye(3, dtype=lib.float64) * 3) ** 2
            + lib.linalg.inv(x[:, 1:] + lib.eye(3, dtype=lib.float64) * 3).sin().sum()
            + lib.sinc(x).sum()
        ),
        [X],
    ),
    "statistics": (
        lambda lib, F, x: x.var(dim=1) * x.std() + x.logsumexp(dim=0).sum() + x.amax(dim=1),
        [X],
    ),
}


def _weights(out_shape):
    return np.random.default_rng(1).normal(size=out_shape)


def _second(lib, name, arrays):
    """(value, first gradients, H·v) of case ``name`` on ``lib`` (gradlab or torch)."""
    f, _ = CASES[name]
    inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
    out = f(lib, lib.nn.functional, *inputs)
    u = lib.tensor(_weights(tuple(out.shape)))
    total = (out * u).sum()
    grads = lib.autograd.grad(total, inputs, create_graph=True)
    vs = [np.random.default_rng(2 + i).normal(size=a.shape) for i, a in enumerate(arrays)]
    inner = sum((g * lib.tensor(v)).sum() for g, v in zip(grads, vs))
    hvp = lib.autograd.grad(inner, inputs, allow_unused=True)
    return (
        total.detach().numpy(),
        [g.detach().numpy() for g in grads],
        [None if h is None else h.numpy() for h in hvp],
        vs,
    )


def _first(name, arrays):
    f, _ = CASES[name]
    inputs = [gradlab.tensor(a, requires_grad=True) for a in arrays]
    out = f(gradlab, gradlab.nn.functional, *inputs)
    total = (out * gradlab.tensor(_weights(tuple(out.shape)))).sum()
    return [g.numpy() for g in gradlab.autograd.grad(total, inputs)]


@pytest.mark.parametrize("name", list(CASES))
def test_second_derivatives_match_torch(name):
    arrays = CASES[name][1]
    value, grads, hvp, _ = _second(gradlab, name, arrays)
    t_value, t_grads, t_hvp, _ = _second(torch, name, arrays)
    np.testing.assert_allclose(value, t_value, rtol=1e-10, atol=1e-12)
    for g, tg in zip(grads, t_grads):
        np.testing.assert_allclose(g, tg, rtol=1e-9, atol=1e-12)
    for h, th in zip(hvp, t_hvp):
        if th is None:
            assert h is None or not np.any(h)
        else:
            np.testing.assert_allclose(h, th, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name", list(CASES))
def test_second_derivatives_match_finite_differences(name):
    arrays = CASES[name][1]
    _, _, hvp, vs = _second(gradlab, name, arrays)
    eps = 1e-6
    plus = _first(name, [a + eps * v for a, v in zip(arrays, vs)])
    minus = _first(name, [a - eps * v for a, v in zip(arrays, vs)])
    for h, p, m in zip(hvp, plus, minus):
        numeric = (p - m) / (2 * eps)
        np.testing.assert_allclose(0 if h is None else h, numeric, rtol=1e-5, atol=1e-6)
