"""Loss functions and classes against real Keras: values and gradients, with sample weights
and Keras's rank matching of targets."""

import numpy as np
import pytest
import torch
from keras_oracle import keras, knp

import gradlab
from gradlab import keras as gk

RNG = np.random.default_rng(0)


def _probs(shape):
    p = RNG.random(shape).astype(np.float32)
    return p / p.sum(-1, keepdims=True) if shape[-1] > 1 else p


CASES = {
    "binary_crossentropy": (lambda: (RNG.integers(0, 2, (6, 1)).astype(np.float32),
                                     _probs((6, 1)))),
    "binary_crossentropy_rank1_target": (lambda: (RNG.integers(0, 2, 6).astype(np.float32),
                                                  _probs((6, 1)))),
    "categorical_crossentropy": (lambda: (np.eye(4, dtype=np.float32)[RNG.integers(0, 4, 5)],
                                          _probs((5, 4)))),
    "sparse_categorical_crossentropy": (lambda: (RNG.integers(0, 4, (5, 1)), _probs((5, 4)))),
    "mean_squared_error": (lambda: (RNG.standard_normal((5, 3)), RNG.standard_normal((5, 3)))),
    "mean_absolute_error": (lambda: (RNG.standard_normal((5, 3)), RNG.standard_normal((5, 3)))),
    "huber": (lambda: (RNG.standard_normal((5, 3)) * 2, RNG.standard_normal((5, 3)))),
    "log_cosh": (lambda: (RNG.standard_normal((5, 3)), RNG.standard_normal((5, 3)))),
    "kl_divergence": (lambda: (_probs((5, 4)), _probs((5, 4)))),
    "poisson": (lambda: (RNG.random((5, 3)), RNG.random((5, 3)) + 0.1)),
    "mean_absolute_percentage_error": (lambda: (RNG.random((5, 3)) + 0.5, RNG.random((5, 3)))),
    "mean_squared_logarithmic_error": (lambda: (RNG.random((5, 3)), RNG.random((5, 3)))),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("weighted", [False, True])
def test_loss_and_gradient_match_keras(case, weighted):
    name = case.replace("_rank1_target", "")
    y_true, y_pred = CASES[case]()
    y_pred = np.asarray(y_pred, np.float32)
    weight = RNG.random(len(y_pred)).astype(np.float32) if weighted else None
    k_pred = torch.tensor(y_pred, requires_grad=True)
    k_loss = keras.losses.get(name)
    wrapper = keras.src.losses.losses.LossFunctionWrapper(k_loss)
    k_value = wrapper(y_true, k_pred, sample_weight=weight)
    k_value.backward()
    g_pred = gradlab.tensor(y_pred, requires_grad=True)
    g_value = gk.losses.LossFunctionWrapper(gk.losses.get(name))(y_true, g_pred, weight)
    g_value.backward()
    np.testing.assert_allclose(g_value.item(), knp(k_value), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(np.asarray(g_pred.grad), k_pred.grad.numpy(), rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_crossentropy_classes_match_keras(from_logits, smoothing):
    logits = RNG.standard_normal((6, 3)).astype(np.float32)
    pred = logits if from_logits else _probs((6, 3))
    onehot = np.eye(3, dtype=np.float32)[RNG.integers(0, 3, 6)]
    for cls, y in (("CategoricalCrossentropy", onehot), ("BinaryCrossentropy", onehot)):
        k = getattr(keras.losses, cls)(from_logits=from_logits, label_smoothing=smoothing)
        g = getattr(gk.losses, cls)(from_logits=from_logits, label_smoothing=smoothing)
        np.testing.assert_allclose(g(y, pred).item(), knp(k(y, pred)), rtol=1e-5)
    k = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)
    g = gk.losses.SparseCategoricalCrossentropy(from_logits=from_logits)
    labels = onehot.argmax(1)
    np.testing.assert_allclose(g(labels, pred).item(), knp(k(labels, pred)), rtol=1e-5)


@pytest.mark.parametrize("reduction", ["sum", "sum_over_batch_size", None])
def test_reductions_match_keras(reduction):
    y, p = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3)).astype(np.float32)
    k = knp(keras.losses.MeanSquaredError(reduction=reduction)(y, p))
    g = gk.losses.MeanSquaredError(reduction=reduction)(y, p).numpy()
    np.testing.assert_allclose(g, k, rtol=1e-5)


@pytest.mark.parametrize(
    "name, y_true, y_pred",
    [
        ("binary_accuracy", RNG.integers(0, 2, (8, 1)), RNG.random((8, 1))),
        ("sparse_categorical_accuracy", RNG.integers(0, 3, (8, 1)), RNG.random((8, 3))),
        ("categorical_accuracy", np.eye(3)[RNG.integers(0, 3, 8)], RNG.random((8, 3))),
    ],
)
def test_accuracy_metrics_match_keras(name, y_true, y_pred):
    k = getattr(keras.metrics, name)(y_true, y_pred)
    g = getattr(gk.metrics, name)(y_true, y_pred)
    np.testing.assert_allclose(g, knp(k))
