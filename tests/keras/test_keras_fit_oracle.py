"""compile/fit/evaluate/predict against real Keras: same initial weights and unshuffled
batches give the same History (keys, order, values), evaluate results and predictions."""

import numpy as np
import pytest
from keras_oracle import keras

from gradlab import keras as gk

RNG = np.random.default_rng(0)


def _pair(build, compile_args, x, y, fit_args):
    km, gm = build(keras), build(gk)
    gm.set_weights(km.get_weights())
    km.compile(**compile_args(keras))
    gm.compile(**compile_args(gk))
    kh = km.fit(x, y, shuffle=False, verbose=0, **fit_args)
    gh = gm.fit(x, y, shuffle=False, verbose=0, **fit_args)
    return km, gm, kh, gh


def _assert_history(gh, kh, rtol=2e-4):
    assert list(gh.history) == list(kh.history)
    for key in kh.history:
        np.testing.assert_allclose(
            gh.history[key], kh.history[key], rtol=rtol, atol=1e-6, err_msg=key
        )
    assert gh.epoch == kh.epoch


def test_binary_classifier_fit_matches_keras():
    """The notes' example 12 network (64-32-1, Adam, BCE, accuracy), validation data."""
    x = RNG.standard_normal((96, 20)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64)

    def build(K):
        return K.Sequential(
            [
                K.Input((20,)),
                K.layers.Dense(64, activation="relu"),
                K.layers.Dense(32, activation="relu"),
                K.layers.Dense(1, activation="sigmoid"),
            ]
        )

    km, gm, kh, gh = _pair(
        build,
        lambda K: {
            "optimizer": K.optimizers.Adam(learning_rate=0.001),
            "loss": "binary_crossentropy",
            "metrics": ["accuracy"],
        },
        x,
        y,
        {"epochs": 3, "batch_size": 32, "validation_data": (x[:40], y[:40])},
    )
    _assert_history(gh, kh)
    k_eval, g_eval = km.evaluate(x, y, verbose=0), gm.evaluate(x, y, verbose=0)
    assert isinstance(g_eval, list) and len(g_eval) == 2
    np.testing.assert_allclose(g_eval, k_eval, rtol=2e-4)
    np.testing.assert_allclose(
        gm.predict(x, verbose=0), km.predict(x, verbose=0), rtol=1e-4, atol=1e-6
    )


@pytest.mark.parametrize("opt", ["SGD", "RMSprop", "Adagrad"])
def test_cnn_fit_matches_keras(opt):
    """A small channels-last CNN with sparse categorical cross-entropy, validation_split."""
    x = RNG.random((40, 10, 10, 3)).astype(np.float32)
    y = RNG.integers(0, 4, (40, 1)).astype(np.uint8)
    kwargs = {"SGD": {"learning_rate": 0.01, "momentum": 0.9}}.get(opt, {"learning_rate": 0.01})

    def build(K):
        L = K.layers
        return K.Sequential(
            [
                L.Input((10, 10, 3)),
                L.Conv2D(4, (3, 3), activation="relu"),
                L.MaxPooling2D((2, 2)),
                L.Conv2D(6, 2, activation="relu"),
                L.Flatten(),
                L.Dense(8, activation="relu"),
                L.Dense(4, activation="softmax"),
            ]
        )

    km, gm, kh, gh = _pair(
        build,
        lambda K: {
            "optimizer": getattr(K.optimizers, opt)(**kwargs),
            "loss": "sparse_categorical_crossentropy",
            "metrics": ["accuracy"],
        },
        x,
        y,
        {"epochs": 3, "batch_size": 16, "validation_split": 0.25},
    )
    _assert_history(gh, kh)


@pytest.mark.parametrize(
    "loss", ["categorical_crossentropy", "mse", "mae", "huber", "kl_divergence"]
)
def test_losses_and_class_weight_match_keras(loss):
    x = RNG.standard_normal((30, 5)).astype(np.float32)
    labels = RNG.integers(0, 3, 30)
    y = np.eye(3, dtype=np.float32)[labels]

    def build(K):
        return K.Sequential([K.Input((5,)), K.layers.Dense(3, activation="softmax")])

    km, gm, kh, gh = _pair(
        build,
        lambda K: {"optimizer": "adam", "loss": loss, "metrics": ["accuracy", "mae"]},
        x,
        y,
        {"epochs": 2, "batch_size": 8, "class_weight": {0: 1.0, 1: 2.0, 2: 0.5}},
    )
    _assert_history(gh, kh)


def test_functional_two_outputs_fit_matches_keras():
    x = RNG.standard_normal((24, 6)).astype(np.float32)
    y1 = RNG.integers(0, 3, 24)
    y2 = RNG.standard_normal((24, 1)).astype(np.float32)

    def build(K):
        inp = K.Input((6,))
        h = K.layers.Dense(8, activation="relu")(inp)
        a = K.layers.Dense(3, activation="softmax", name="cls")(h)
        b = K.layers.Dense(1, name="reg")(h)
        return K.Model(inp, [a, b])

    km, gm, kh, gh = _pair(
        build,
        lambda K: {
            "optimizer": "sgd",
            "loss": ["sparse_categorical_crossentropy", "mse"],
            "loss_weights": [1.0, 0.5],
        },
        x,
        [y1, y2],
        {"epochs": 2, "batch_size": 8},
    )
    _assert_history(gh, kh)


def test_regularized_dropout_batchnorm_model_matches_keras_in_inference():
    x = RNG.standard_normal((16, 8)).astype(np.float32)

    def build(K):
        L = K.layers
        return K.Sequential(
            [
                L.Input((8,)),
                L.Dense(6, activation="relu", kernel_regularizer=K.regularizers.L2(0.01)),
                L.BatchNormalization(),
                L.Dropout(0.3),
                L.Dense(2),
            ]
        )

    km, gm = build(keras), build(gk)
    gm.set_weights(km.get_weights())
    for m in (km, gm):
        m.compile(optimizer="adam", loss="mse")
    y = np.zeros((16, 2), np.float32)
    np.testing.assert_allclose(
        gm.evaluate(x, y, verbose=0), km.evaluate(x, y, verbose=0), rtol=1e-5
    )
