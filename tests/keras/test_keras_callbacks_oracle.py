"""Callbacks fed the same loss sequences as real Keras's: same rates, same stopping epochs.
gradlab's own train.callbacks.ReduceLROnPlateau / LearningRateScheduler are checked too."""

import math

import numpy as np
import pytest
from keras_oracle import keras, knp

from gradlab import keras as gk
from gradlab import optim, train
from gradlab.nn.module import Parameter

SEQUENCES = {
    "plateau": [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.85, 0.85, 0.85, 0.85, 0.84999, 0.7, 0.7, 0.7],
    "noisy": [1.0, 0.8, 0.85, 0.79, 0.81, 0.82, 0.83, 0.78, 0.80, 0.80, 0.81, 0.79, 0.795, 0.9],
    "rising": [0.5 + 0.01 * i for i in range(12)],
}
PLATEAU_ARGS = [
    {"factor": 0.5, "patience": 2},
    {"factor": 0.5, "patience": 0},
    {"factor": 0.2, "patience": 1, "cooldown": 2},
    {"factor": 0.5, "patience": 2, "min_delta": 0.02, "min_lr": 0.03},
    {"factor": 0.5, "patience": 1, "mode": "max"},
]


def _keras_model(lr):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="mse")
    return model


def _keras_run(callback, values, lr=0.1):
    model = _keras_model(lr)
    callback.set_model(model)
    callback.on_train_begin()
    rates, stopped = [], None
    for epoch, v in enumerate(values):
        callback.on_epoch_begin(epoch)
        rates.append(float(knp(model.optimizer.learning_rate)))
        callback.on_epoch_end(epoch, {"val_loss": v, "loss": v})
        if model.stop_training and stopped is None:
            stopped = epoch
    callback.on_train_end()
    return rates, stopped


def _gk_run(callback, values, lr=0.1):
    model = gk.Sequential([gk.Input((1,)), gk.layers.Dense(1)])
    model.compile(optimizer=gk.optimizers.SGD(learning_rate=lr), loss="mse")
    model.optimizer.build(model.trainable_weights)
    callback.set_model(model)
    callback.on_train_begin()
    rates, stopped = [], None
    for epoch, v in enumerate(values):
        callback.on_epoch_begin(epoch)
        rates.append(model.optimizer.learning_rate)
        callback.on_epoch_end(epoch, {"val_loss": v, "loss": v})
        if model.stop_training and stopped is None:
            stopped = epoch
    callback.on_train_end()
    return rates, stopped


class _FakeTrainer:
    def __init__(self, lr):
        self.optimizer = optim.SGD([Parameter(np.zeros(1, np.float32))], lr=lr)
        self.stop_training = False


def _train_run(callback, values, lr=0.1):
    trainer = _FakeTrainer(lr)
    callback.set_trainer(trainer)
    callback.on_train_begin()
    rates = []
    for epoch, v in enumerate(values):
        callback.on_epoch_begin(epoch)
        rates.append(trainer.optimizer.param_groups[0]["lr"])
        callback.on_epoch_end(epoch, {"val_loss": v, "loss": v})
    return rates, None


@pytest.mark.parametrize("seq", sorted(SEQUENCES))
@pytest.mark.parametrize("args", range(len(PLATEAU_ARGS)))
def test_reduce_lr_on_plateau_matches_keras(seq, args):
    values, kwargs = SEQUENCES[seq], PLATEAU_ARGS[args]
    expected, _ = _keras_run(keras.callbacks.ReduceLROnPlateau(**kwargs), values)
    got, _ = _gk_run(gk.callbacks.ReduceLROnPlateau(**kwargs), values)
    assert got == pytest.approx(expected, rel=1e-6)
    own, _ = _train_run(train.ReduceLROnPlateau(**kwargs), values)
    assert own == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("seq", sorted(SEQUENCES))
@pytest.mark.parametrize(
    "kwargs",
    [
        {"patience": 0},
        {"patience": 2},
        {"patience": 3, "min_delta": 0.01},
        {"patience": 1, "baseline": 0.8},
        {"patience": 2, "start_from_epoch": 4},
    ],
)
def test_early_stopping_matches_keras(seq, kwargs):
    values = SEQUENCES[seq]
    _, expected = _keras_run(keras.callbacks.EarlyStopping(**kwargs), values)
    _, got = _gk_run(gk.callbacks.EarlyStopping(**kwargs), values)
    assert got == expected


def step_decay(epoch):  # the notes' one-argument schedule
    initial_lr, drop, epochs_drop = 0.01, 0.5, 10
    return initial_lr * (drop ** (epoch // epochs_drop))


def halve(epoch, lr):
    return lr * 0.5 if epoch % 3 == 2 else lr


@pytest.mark.parametrize("schedule", [step_decay, halve, lambda epoch: 0.01 * math.cos(epoch / 10)])
def test_learning_rate_scheduler_matches_keras(schedule):
    values = [1.0] * 25
    expected, _ = _keras_run(keras.callbacks.LearningRateScheduler(schedule), values)
    got, _ = _gk_run(gk.callbacks.LearningRateScheduler(schedule), values)
    assert got == pytest.approx(expected, rel=1e-6)
    own, _ = _train_run(train.LearningRateScheduler(schedule), values)
    assert own == pytest.approx(expected, rel=1e-6)
