"""Every gradlab.keras layer against real Keras: same weights -> same outputs."""

import numpy as np
import pytest
from keras_oracle import keras, knp, same_weights

import gradlab
from gradlab import keras as gk

RNG = np.random.default_rng(0)


def _run(make, shape, x=None, training=False, rtol=1e-5, atol=1e-5):
    """Build the Keras and the gradlab layer from ``make(module)``, copy the weights, compare
    outputs on the same input."""
    x = RNG.standard_normal(shape).astype(np.float32) if x is None else x
    k_layer, g_layer = make(keras.layers), make(gk.layers)
    k_layer.build(x.shape)
    g_layer(x)  # build
    same_weights(k_layer, g_layer)
    k_out = k_layer(x, training=training)
    if training:
        g_layer.train()
    g_out = g_layer(x, training=training)
    k_outs = k_out if isinstance(k_out, (list, tuple)) else [k_out]
    g_outs = g_out if isinstance(g_out, (list, tuple)) else [g_out]
    assert len(k_outs) == len(g_outs)
    for k, g in zip(k_outs, g_outs):
        np.testing.assert_allclose(g.numpy(), knp(k), rtol=rtol, atol=atol)
    return k_layer, g_layer


CASES = {
    "dense": (lambda L: L.Dense(7, activation="relu"), (4, 5)),
    "dense_3d": (lambda L: L.Dense(3, activation="tanh"), (2, 4, 5)),
    "dense_softmax": (lambda L: L.Dense(4, activation="softmax"), (3, 6)),
    "conv_valid": (lambda L: L.Conv2D(4, (3, 3), activation="relu"), (2, 8, 9, 3)),
    "conv_same": (lambda L: L.Conv2D(4, 3, padding="same"), (2, 7, 8, 3)),
    "conv_same_stride2": (lambda L: L.Conv2D(5, (3, 2), strides=2, padding="same"), (2, 7, 8, 3)),
    "conv_stride_valid": (lambda L: L.Conv2D(2, 3, strides=(2, 1)), (1, 9, 7, 2)),
    "conv1d": (lambda L: L.Conv1D(4, 3, padding="same"), (2, 9, 3)),
    "maxpool": (lambda L: L.MaxPooling2D((2, 2)), (2, 9, 8, 3)),
    "maxpool_same": (lambda L: L.MaxPooling2D(3, strides=2, padding="same"), (2, 9, 8, 3)),
    "avgpool": (lambda L: L.AveragePooling2D((2, 2)), (2, 8, 8, 3)),
    "avgpool_same": (lambda L: L.AveragePooling2D(3, strides=2, padding="same"), (2, 9, 8, 3)),
    "gap": (lambda L: L.GlobalAveragePooling2D(), (2, 5, 4, 3)),
    "gmp": (lambda L: L.GlobalMaxPooling2D(), (2, 5, 4, 3)),
    "flatten": (lambda L: L.Flatten(), (2, 3, 4, 5)),
    "reshape": (lambda L: L.Reshape((4, -1)), (2, 3, 4)),
    "activation": (lambda L: L.Activation("softmax"), (3, 5)),
    "dropout_inference": (lambda L: L.Dropout(0.5), (3, 5)),
    "batchnorm": (lambda L: L.BatchNormalization(), (6, 3, 3, 4)),
    "layernorm": (lambda L: L.LayerNormalization(), (3, 5)),
    "simple_rnn": (lambda L: L.SimpleRNN(4), (2, 5, 3)),
    "simple_rnn_seq": (lambda L: L.SimpleRNN(4, return_sequences=True), (2, 5, 3)),
    "lstm": (lambda L: L.LSTM(4), (2, 5, 3)),
    "lstm_seq_state": (lambda L: L.LSTM(4, return_sequences=True, return_state=True), (2, 5, 3)),
    "gru": (lambda L: L.GRU(4), (2, 5, 3)),
    "gru_seq_state": (lambda L: L.GRU(3, return_sequences=True, return_state=True), (2, 6, 2)),
    "lstm_backwards": (lambda L: L.LSTM(3, go_backwards=True, return_sequences=True), (2, 4, 3)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_layer_matches_keras(case):
    make, shape = CASES[case]
    _run(make, shape)


@pytest.mark.parametrize("case", sorted(c for c in CASES if c != "dropout_inference"))
def test_layer_gradients_match_keras(case):
    """The gradients of sum(output * R) with respect to the input and to every trainable
    weight, in training mode (batch statistics for BatchNormalization)."""
    torch = pytest.importorskip("torch")
    make, shape = CASES[case]
    x = RNG.standard_normal(shape).astype(np.float32)
    k_layer, g_layer = make(keras.layers), make(gk.layers)
    k_layer.build(x.shape)
    g_layer(x)
    same_weights(k_layer, g_layer)
    k_x = torch.tensor(x, requires_grad=True)
    k_out = k_layer(k_x, training=True)
    k_outs = k_out if isinstance(k_out, (list, tuple)) else [k_out]
    weights = [RNG.standard_normal(tuple(o.shape)).astype(np.float32) for o in k_outs]
    sum(((o * torch.tensor(w)).sum() for o, w in zip(k_outs, weights))).backward()
    g_x = gradlab.tensor(x, requires_grad=True)
    g_layer.train()
    g_out = g_layer(g_x, training=True)
    g_outs = g_out if isinstance(g_out, (list, tuple)) else [g_out]
    total = None
    for o, w in zip(g_outs, weights):
        term = (o * gradlab.tensor(w)).sum()
        total = term if total is None else total + term
    total.backward()
    np.testing.assert_allclose(np.asarray(g_x.grad), k_x.grad.numpy(), rtol=1e-4, atol=1e-5)
    for k_w, g_w in zip(k_layer.trainable_weights, g_layer.trainable_weights):
        np.testing.assert_allclose(np.asarray(g_w.grad), k_w.value.grad.numpy(), rtol=1e-4,
                                   atol=1e-5, err_msg=k_w.path)  # fmt: skip


def test_default_initialization_is_keras():
    """glorot_uniform kernels (|w| <= sqrt(6 / (fan_in + fan_out))), zero biases, orthogonal
    recurrent kernels, LSTM forget bias 1, BatchNorm gamma 1 / beta 0 / moving stats 0, 1."""
    dense = gk.layers.Dense(50)
    dense(np.zeros((1, 30), np.float32))
    limit = np.sqrt(6 / 80)
    w, b = dense.get_weights()
    assert w.shape == (30, 50) and np.abs(w).max() <= limit and np.abs(w).max() > 0.9 * limit
    assert not b.any()
    conv = gk.layers.Conv2D(8, 3)
    conv(np.zeros((1, 5, 5, 4), np.float32))
    assert conv.get_weights()[0].shape == (3, 3, 4, 8)
    assert np.abs(conv.get_weights()[0]).max() <= np.sqrt(6 / (36 + 72))
    lstm = gk.layers.LSTM(4)
    lstm(np.zeros((1, 2, 3), np.float32))
    kernel, recurrent, bias = lstm.get_weights()
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(4), atol=1e-5)  # orthogonal rows
    np.testing.assert_allclose(bias, np.r_[np.zeros(4), np.ones(4), np.zeros(8)])
    bn = gk.layers.BatchNormalization()
    bn(np.zeros((2, 3), np.float32))
    gamma, beta, mean, var = bn.get_weights()
    assert (gamma == 1).all() and (beta == 0).all() and (mean == 0).all() and (var == 1).all()


def test_batchnorm_training_matches_keras():
    x = RNG.standard_normal((6, 3, 3, 4)).astype(np.float32) * 2 + 1
    k_layer, g_layer = _run(lambda L: L.BatchNormalization(), (6, 3, 3, 4), x=x, training=True)
    for k, g in zip(k_layer.get_weights(), g_layer.get_weights()):
        np.testing.assert_allclose(g, k, rtol=1e-5, atol=1e-6)


def test_embedding_matches_keras():
    ids = RNG.integers(0, 10, (3, 4))
    k_layer, g_layer = keras.layers.Embedding(10, 5), gk.layers.Embedding(10, 5)
    k_out = k_layer(ids)
    same_weights(k_layer, g_layer)
    np.testing.assert_allclose(g_layer(ids).numpy(), knp(k_out), rtol=1e-6)


@pytest.mark.parametrize("kind", ["Concatenate", "Add", "Multiply", "Average", "Maximum"])
def test_merging_matches_keras(kind):
    a, b = (RNG.standard_normal((3, 4)).astype(np.float32) for _ in range(2))
    k_out = getattr(keras.layers, kind)()([a, b])
    g_out = getattr(gk.layers, kind)()([a, b])
    np.testing.assert_allclose(g_out.numpy(), knp(k_out), rtol=1e-6)


def test_functional_model_matches_keras():
    """Two inputs, a shared-free graph with Concatenate and two outputs."""

    def build(K):
        a, b = K.Input((6,)), K.Input((4,))
        h = K.layers.Dense(8, activation="relu")(a)
        merged = K.layers.Concatenate()([h, b])
        out1 = K.layers.Dense(3, activation="softmax")(merged)
        out2 = K.layers.Dense(1)(merged)
        return K.Model(inputs=[a, b], outputs=[out1, out2])

    km, gm = build(keras), build(gk)
    gm.set_weights(km.get_weights())
    xa, xb = RNG.standard_normal((5, 6)), RNG.standard_normal((5, 4))
    for k, g in zip(km.predict([xa, xb], verbose=0), gm.predict([xa, xb], verbose=0)):
        np.testing.assert_allclose(g, k, rtol=1e-5, atol=1e-6)
    assert [w.shape for w in gm.get_weights()] == [w.shape for w in km.get_weights()]
