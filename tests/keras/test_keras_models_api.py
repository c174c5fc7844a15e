"""Keras model-building styles and callbacks inside fit."""

import csv

import numpy as np
import pytest

from gradlab import keras as gk

RNG = np.random.default_rng(0)
X = RNG.standard_normal((48, 6)).astype(np.float32)
Y = (X[:, 0] > 0).astype(np.int64)


def test_subclassed_model_trains():
    class Net(gk.Model):
        def __init__(self):
            super().__init__()
            self.hidden = gk.layers.Dense(8, activation="relu")
            self.out = gk.layers.Dense(2, activation="softmax")

        def call(self, x):
            return self.out(self.hidden(x))

    model = Net()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["acc"])
    history = model.fit(X, Y, epochs=2, verbose=0)
    assert list(history.history) == ["acc", "loss"]
    assert [w.shape for w in model.get_weights()] == [(6, 8), (8,), (8, 2), (2,)]


def test_sequential_built_from_the_first_batch_and_by_add():
    model = gk.Sequential()
    model.add(gk.layers.Dense(4, activation="relu"))
    model.add(gk.layers.Dense(1, activation="sigmoid"))
    assert not model.built
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    model.fit(X, Y, epochs=1, verbose=0)
    assert model.built and model.count_params() == 6 * 4 + 4 + 4 + 1


def test_functional_model_with_dict_inputs_and_shared_layer():
    a, b = gk.Input((6,), name="a"), gk.Input((6,), name="b")
    shared = gk.layers.Dense(3)
    out = gk.layers.Add()([shared(a), shared(b)])
    model = gk.Model(inputs=[a, b], outputs=out)
    assert len(model.trainable_weights) == 2
    y = model.predict({"a": X, "b": X}, verbose=0)
    np.testing.assert_allclose(y, 2 * model.predict([X, np.zeros_like(X)], verbose=0)
                               - model.predict([np.zeros_like(X), np.zeros_like(X)], verbose=0),
                               rtol=1e-5, atol=1e-6)  # fmt: skip


def test_callbacks_in_fit(tmp_path):
    model = gk.Sequential([gk.Input((6,)), gk.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=gk.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    log = tmp_path / "log.csv"
    ckpt = tmp_path / "w-{epoch:02d}.weights.h5"
    stop = gk.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=10.0)
    history = model.fit(
        X, Y, epochs=5, validation_split=0.25, verbose=0,
        callbacks=[gk.callbacks.CSVLogger(log), gk.callbacks.ModelCheckpoint(
            str(ckpt), save_weights_only=True), stop],
    )  # fmt: skip
    assert history.epoch == [0, 1] and stop.stopped_epoch == 1
    with open(log, newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [float(r["loss"]) for r in rows] == pytest.approx(history.history["loss"])
    assert (tmp_path / "w-01.weights.h5").exists() and (tmp_path / "w-02.weights.h5").exists()
    with pytest.raises(NotImplementedError, match="save_weights_only"):
        gk.callbacks.ModelCheckpoint(str(tmp_path / "m.keras"))


def test_terminate_on_nan_stops():
    model = gk.Sequential([gk.Input((6,)), gk.layers.Dense(1)])
    model.compile(optimizer=gk.optimizers.SGD(1e6), loss="mse")
    y = np.full((48, 1), 1e30, np.float32)
    history = model.fit(X, y, epochs=3, batch_size=4, verbose=0,
                        callbacks=[gk.callbacks.TerminateOnNaN()])  # fmt: skip
    assert len(history.epoch) == 1


def test_validation_split_takes_the_last_samples():
    model = gk.Sequential([gk.Input((6,)), gk.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history = model.fit(X, Y, epochs=1, validation_split=0.25, shuffle=False, verbose=0)
    expected = model.evaluate(X[36:], Y[36:], verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(expected, rel=1e-6)


def test_freezing_a_model_freezes_its_layers_and_batchnorm_infers():
    model = gk.Sequential([gk.Input((6,)), gk.layers.Dense(3), gk.layers.BatchNormalization()])
    model.trainable = False
    assert not model.layers[1].trainable and model.trainable_weights == []
    assert len(model.non_trainable_weights) == 6
    bn = model.layers[1]
    before = bn.get_weights()
    model.layers[1].train()
    bn(RNG.standard_normal((8, 3)).astype(np.float32), training=True)
    for a, b in zip(before, bn.get_weights()):
        np.testing.assert_array_equal(a, b)
