"""Perceptron: shapes, the perceptron rule by hand, convergence on separable data, and the
XOR case it cannot learn (where a 2-layer MLP can)."""

import numpy as np
import pytest

import gradlab
from gradlab import nn, optim
from gradlab.models import MLP, Perceptron
from gradlab.train import Trainer

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_Y = np.array([0, 1, 1, 0])


def test_forward_and_backward_shapes():
    model = Perceptron(3)
    assert model.weight.shape == (1, 3) and model.bias.shape == (1,)
    x = gradlab.randn(5, 3, requires_grad=True)
    out = model(x)
    assert out.shape == (5, 1)
    assert set(np.unique(out.numpy()).tolist()) <= {0.0, 1.0}
    out.sum().backward()  # the step has a zero gradient: backprop learns nothing
    assert x.grad.shape == (5, 3) and not x.grad.numpy().any()
    assert model.weight.grad.shape == (1, 3) and not model.weight.grad.numpy().any()


def test_forward_is_the_step_of_the_net_input():
    model = Perceptron(2)
    model.weight.numpy()[...] = [[1.0, -2.0]]
    model.bias.numpy()[...] = [0.5]
    x = np.array([[1.0, 1.0], [3.0, 1.0], [1.5, 1.0]], dtype=np.float32)  # z = -0.5, 1.5, 0
    np.testing.assert_array_equal(model.net_input(x).numpy().ravel(), [-0.5, 1.5, 0.0])
    np.testing.assert_array_equal(model(gradlab.tensor(x)).numpy().ravel(), [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(model.predict(x), [0, 1, 0])


def test_one_epoch_of_the_rule_by_hand():
    # w = 0, b = 0. Sample (1, 2), label 1: z = 0 predicts 0, so w += 0.5·(1 − 0)·x = (0.5, 1)
    # and b = 0.5. Sample (2, -1), label 0: z = 1 − 1 + 0.5 = 0.5 predicts 1, so
    # w += 0.5·(0 − 1)·x = (-0.5, 1.5) and b = 0.
    model = Perceptron(2)
    model.weight.numpy()[...] = 0.0
    model.bias.numpy()[...] = 0.0
    fit = model.fit([[1.0, 2.0], [2.0, -1.0]], [1, 0], lr=0.5, epochs=1, shuffle=False)
    np.testing.assert_allclose(model.weight.numpy(), [[0.5 - 1.0, 1.0 + 0.5]])
    np.testing.assert_allclose(model.bias.numpy(), [0.0])
    assert fit.errors == [2] and not fit.converged


def test_converges_on_linearly_separable_data():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(200, 2)).astype(np.float32)
    margin = X @ np.array([1.5, -1.0]) + 0.2
    keep = np.abs(margin) > 0.1  # a margin, so the convergence theorem bounds the epochs
    X, y = X[keep], (margin[keep] > 0).astype(np.int64)
    model = Perceptron(2, generator=np.random.default_rng(1))
    fit = model.fit(X, y, lr=0.1, epochs=100, generator=np.random.default_rng(2))
    assert fit.converged, str(fit)
    assert fit.errors[-1] == 0 and fit.epochs < 100
    np.testing.assert_array_equal(model.predict(X), y)
    assert "converged" in str(fit)


def test_learns_and_gate():
    model = Perceptron(2, generator=np.random.default_rng(0))
    fit = model.fit(XOR_X, np.array([0, 0, 0, 1]), epochs=50, generator=np.random.default_rng(0))
    assert fit.converged
    np.testing.assert_array_equal(model.predict(XOR_X), [0, 0, 0, 1])


def test_cannot_learn_xor_but_a_two_layer_mlp_can():
    model = Perceptron(2, generator=np.random.default_rng(0))
    fit = model.fit(XOR_X, XOR_Y, epochs=200, generator=np.random.default_rng(0))
    assert not fit.converged and fit.epochs == 200
    assert min(fit.errors) >= 1  # every epoch misclassifies some sample
    assert (model.predict(XOR_X) == XOR_Y).sum() <= 3  # no line gets all four right
    assert "did not converge" in str(fit) and "not linearly separable" in str(fit)

    gradlab.manual_seed(0)
    mlp = MLP(2, hidden_sizes=(8,), out_features=1, activation="tanh")
    trainer = Trainer(mlp, nn.BCEWithLogitsLoss(), optim.Adam(mlp.parameters(), lr=0.05))
    history = trainer.fit(XOR_X, XOR_Y, epochs=300, batch_size=4, verbose=0)
    assert history["loss"][-1] < 0.05
    np.testing.assert_array_equal((trainer.predict(XOR_X).ravel() > 0).astype(int), XOR_Y)


def test_errors_name_the_problem():
    model = Perceptron(3)
    with pytest.raises(ValueError, match=r"Perceptron\(in_features=3\).*\(4, 2\).*\(B, 3\)"):
        model(gradlab.randn(4, 2))
    with pytest.raises(ValueError, match="labels must be 0 or 1"):
        model.fit(np.zeros((2, 3)), [0, 2])
    with pytest.raises(ValueError, match="2 samples but y has 3"):
        model.fit(np.zeros((2, 3)), [0, 1, 1])
    with pytest.raises(ValueError, match="in_features must be >= 1"):
        Perceptron(0)
