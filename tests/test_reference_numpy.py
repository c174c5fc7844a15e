"""The benchmarks' hand-written NumPy yardsticks (benchmarks/reference_numpy.py) compute what
gradlab computes: same losses, gradients and updates from the same weights, so a yardstick's
time is that of the whole workload, not of a shortcut."""

import sys
from pathlib import Path

import numpy as np
import pytest

import gradlab
from gradlab import nn, optim

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from reference_numpy import CNNReference, LSTMReference, mlp_epoch, mlp_params  # noqa: E402


def _cnn():
    return nn.Sequential(
        nn.Conv2d(3, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 3), nn.ReLU(),
        nn.Flatten(), nn.Linear(64 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, 10),
    )  # fmt: skip


def _close(a, b, tol=1e-4):
    """|a - b| within tol times the largest |b|."""
    scale = max(float(np.abs(b).max()), 1e-30)
    np.testing.assert_allclose(a, b, rtol=0, atol=tol * scale)


def test_cnn_reference_matches_gradlab_loss_and_adam_steps():
    gradlab.manual_seed(3)
    model = _cnn()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 3, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, 8)
    reference = CNNReference([np.array(p.numpy()) for p in model.parameters()], lr=1e-3)
    np.testing.assert_array_equal(reference.torch_layout()[6], model[9].weight.numpy())

    loss_fn = nn.CrossEntropyLoss()
    opt = optim.Adam(model.parameters(), lr=1e-3)
    loss = loss_fn(model(gradlab.tensor(x)), gradlab.tensor(y))
    loss.backward()
    ref_loss, _ = reference.gradients(x, y)
    assert ref_loss == pytest.approx(loss.item(), rel=1e-5)

    for _ in range(3):
        opt.step()
        opt.zero_grad()
        loss_fn(model(gradlab.tensor(x)), gradlab.tensor(y)).backward()
    for _ in range(3):
        reference.step(x, y)
    for ours, theirs in zip(reference.torch_layout(), model.parameters(), strict=True):
        assert ours.shape == theirs.shape
        _close(ours, theirs.data, tol=1e-4)


def test_cnn_reference_gradients_in_pytorch_layout_match_gradlab():
    gradlab.manual_seed(4)
    model = _cnn()
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, 4)
    nn.CrossEntropyLoss()(model(gradlab.tensor(x)), gradlab.tensor(y)).backward()
    reference = CNNReference([np.array(p.numpy()) for p in model.parameters()])
    _, grads = reference.gradients(x, y)
    # put the gradients where the parameters go and read them back in PyTorch's layout
    for param, grad in zip(reference._params(), grads, strict=True):
        param[...] = grad
    for ours, theirs in zip(reference.torch_layout(), model.parameters(), strict=True):
        _close(ours, theirs.grad, tol=1e-4)


def test_lstm_reference_matches_gradlab_gradients():
    T, N, I, H = 6, 5, 4, 7
    gradlab.manual_seed(0)
    lstm = nn.LSTM(I, H)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((T, N, I)).astype(np.float32)
    proj = rng.standard_normal((T, N, H)).astype(np.float32)
    xt = gradlab.tensor(x, requires_grad=True)
    out, _ = lstm(xt)
    (out * gradlab.tensor(proj)).sum().backward()
    p = {k: np.array(v) for k, v in lstm.state_dict().items()}
    reference = LSTMReference(p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"],
                              p["bias_hh_l0"])  # fmt: skip
    hs, (dx, dw_ih, dw_hh, db) = reference.step(x, proj)
    _close(hs, out.numpy())
    _close(dx, xt.grad)
    _close(dw_ih, lstm.weight_ih_l0.grad)
    _close(dw_hh, lstm.weight_hh_l0.grad)
    _close(db, lstm.bias_ih_l0.grad)
    _close(db, lstm.bias_hh_l0.grad)


def test_mlp_reference_epoch_matches_gradlab_sgd_steps():
    gradlab.manual_seed(1)
    model = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(),
                          nn.Linear(8, 3))  # fmt: skip
    rng = np.random.default_rng(3)
    x = rng.standard_normal((40, 20)).astype(np.float32)
    y = rng.integers(0, 3, 40)
    params = [np.array(p.numpy()) for p in model.parameters()]
    state = mlp_params(params[0::2], params[1::2])
    order = np.random.default_rng(7).permutation(40)
    mlp_epoch(state, x, y, 16, np.random.default_rng(7))

    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    for start in range(0, 40, 16):
        rows = order[start : start + 16]
        opt.zero_grad()
        loss_fn(model(gradlab.tensor(x[rows])), gradlab.tensor(y[rows])).backward()
        opt.step()
    w0, w1, w2, b0, b1, b2 = state["params"]
    for ours, theirs in zip([w0, b0, w1, b1, w2, b2], model.parameters(), strict=True):
        _close(ours, theirs.data, tol=1e-5)
