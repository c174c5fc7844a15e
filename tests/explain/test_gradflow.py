"""gradlab.explain.gradflow: per-layer gradient norms over the first epoch, the verdict on
deep nets built to vanish, explode or train well, and the norms against a hand computation."""

import numpy as np
import pytest

import gradlab
from gradlab import nn, optim
from gradlab.data.synthetic import make_classification
from gradlab.explain.gradflow import gradient_flow, judge_gradient_flow, layer_groups


@pytest.fixture(scope="module")
def data():
    x, y = make_classification(n_samples=256, n_features=16, n_informative=8, random_state=0)
    return x, y


def _deep(activation, gain=None, depth=8, width=32, seed=0):
    """depth hidden layers; with ``gain``, weights ~ N(0, gain^2 / fan_in)."""
    gradlab.manual_seed(seed)
    rng = np.random.default_rng(seed)
    layers, fan_in = [], 16
    for _ in range(depth):
        linear = nn.Linear(fan_in, width)
        if gain is not None:
            linear.weight.numpy()[...] = rng.normal(0, gain / np.sqrt(fan_in), linear.weight.shape)
        layers += [linear, activation()]
        fan_in = width
    layers.append(nn.Linear(fan_in, 2))
    return nn.Sequential(*layers)


def _flow(model, data, lr=0.01, **kwargs):
    sgd = optim.SGD(model.parameters(), lr=lr)
    rng = np.random.default_rng(0)
    return gradient_flow(model, nn.CrossEntropyLoss(), sgd, *data, batch_size=32, generator=rng,
                         **kwargs)  # fmt: skip


def test_deep_sigmoid_net_vanishes(data):
    result = _flow(_deep(nn.Sigmoid), data)
    assert result.verdict == "vanishing", result.to_text()
    assert result.norms.shape == (8, 9)  # 256 / 32 batches, 9 Linear layers
    medians = result.medians
    assert medians[0] < 1e-3 * medians[-1]
    assert np.all(np.diff(np.log(medians)) > 0)  # smaller at every step towards the input
    assert result.reason.startswith("the first layer's median norm")


def test_he_initialised_relu_net_is_healthy(data):
    result = _flow(_deep(nn.ReLU, gain=np.sqrt(2.0)), data)
    assert result.verdict == "healthy", result.to_text()
    # well inside the rule: the first layer's norm is within 100x of the last layer's
    assert result.medians[0] / result.medians[-1] > 1e-2
    assert np.isfinite(result.norms).all() and result.norms.max() < 1e2


def test_large_weights_explode(data):
    result = _flow(_deep(nn.ReLU, gain=4.0), data)
    assert result.verdict == "exploding", result.to_text()
    assert "> 1000 at batch" in result.reason or "non-finite" in result.reason


def test_norms_are_the_layers_gradient_norms(data):
    model = _deep(nn.Tanh, depth=2)
    start = model.state_dict()
    result = gradient_flow(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                           *data, batch_size=64, shuffle=False)  # fmt: skip
    assert result.layers == ["0 (Linear)", "2 (Linear)", "4 (Linear)"]
    # recompute batches 1 and 2 by hand from the starting weights
    twin = _deep(nn.Tanh, depth=2)
    twin.load_state_dict(start)
    sgd = optim.SGD(twin.parameters(), lr=0.1)
    x, y = data
    for batch in range(2):
        sgd.zero_grad()
        rows = slice(64 * batch, 64 * (batch + 1))
        loss = nn.CrossEntropyLoss()(twin(gradlab.tensor(x[rows])), gradlab.tensor(y[rows]))
        loss.backward()
        expected = [np.sqrt(sum(float(np.sum(np.asarray(p.grad, np.float64) ** 2)) for p in params))
                    for params in layer_groups(twin).values()]  # fmt: skip
        np.testing.assert_allclose(result.norms[batch], expected, rtol=1e-6)
        assert result.losses[batch] == pytest.approx(loss.item(), rel=1e-6)
        sgd.step()


def test_judge_rule_edges():
    healthy = np.full((4, 3), 0.5)
    assert judge_gradient_flow(healthy)[0] == "healthy"
    big = healthy.copy()
    big[2, 1] = 1001.0
    verdict, reason = judge_gradient_flow(big, names=["a", "b", "c"])
    assert verdict == "exploding" and reason == "layer b has a norm of 1e+03 > 1000 at batch 3"
    nan = healthy.copy()
    nan[1, 0] = np.nan
    assert judge_gradient_flow(nan)[1] == "layer 0 has a non-finite gradient norm (nan) at batch 2"
    ratio = healthy.copy()
    ratio[:, 0] = 0.5e-3 * 0.99
    assert judge_gradient_flow(ratio)[0] == "vanishing"
    ratio[:, 0] = 0.5e-3 * 1.01
    assert judge_gradient_flow(ratio)[0] == "healthy"
    tiny = np.full((3, 2), 1e-8)
    assert judge_gradient_flow(tiny) == (
        "vanishing", "every layer's median norm is below 1e-07")  # fmt: skip
    with pytest.raises(ValueError, match=r"expected norms of shape \(batches, layers\)"):
        judge_gradient_flow(np.zeros(3))


def test_text_and_plot(data, tmp_path):
    result = _flow(_deep(nn.ReLU, gain=4.0), data)  # with inf/nan norms: the plot still works
    text = result.to_text()
    assert "gradient norms over the first epoch (8 batches)" in text
    assert "verdict: exploding" in text and "rule: exploding: a gradient norm is inf/nan" in text
    for model, name in ((_deep(nn.Sigmoid), "vanish.png"), (None, "explode.png")):
        flow = _flow(model, data) if model is not None else result
        path = flow.plot(tmp_path / name)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
