"""The course notes' Keras programs run on gradlab with only their imports changed.

The programs are in ``notes_programs/`` as the notes print them (imports changed, the
converted document's lost indentation restored, pasted output left out). Data have the real
shapes (CIFAR-10 from a small cache in Keras's format; the notes' own make_classification).
"""

import math
import runpy
from pathlib import Path

import numpy as np
import pytest
from keras_cache import write_cifar10

import gradlab
import gradlab as tf

PROGRAMS = Path(__file__).parent / "notes_programs"


@pytest.fixture(autouse=True)
def _quiet_plots(monkeypatch):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setattr(plt, "show", lambda *a, **k: plt.close("all"))


def run(name, **globals_):
    gradlab.manual_seed(0)
    return runpy.run_path(str(PROGRAMS / name), init_globals=globals_)


def test_tf_alias_gives_keras_and_math():
    assert tf.keras.layers.Dense is gradlab.keras.layers.Dense
    assert tf.math.exp(-0.05 * 2) == pytest.approx(math.exp(-0.1))
    assert isinstance(tf.math.exp(-0.05 * 2), np.float32)


@pytest.mark.slow
def test_example12_binary_classifier(capsys):
    pytest.importorskip("sklearn")
    ns = run("example12_binary_classifier.py")
    out = capsys.readouterr().out
    assert "Epoch 20/20" in out and "precision" in out
    assert list(ns["history"].history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert ns["test_accuracy"] > 0.8  # the notes: 0.865 (Keras's random start differs)
    assert ns["y_pred_probs"].shape == (200,)


@pytest.mark.slow
def test_example14_four_optimizers_cnn(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    write_cifar10(tmp_path / "datasets", per_batch=13, n_test=16)  # 65 training images
    ns = run("example14_optimizers_cnn.py")
    histories = ns["history_per_optimizer"]
    assert list(histories) == ["SGD", "Adam", "RMSprop", "Adagrad"]
    for history in histories.values():
        assert len(history.history["val_accuracy"]) == 10
        assert all(np.isfinite(history.history["loss"]))
    out = capsys.readouterr().out
    assert "Training with Adagrad optimizer" in out and "2/2 - " in out


def test_step_decay_callback_001():
    ns = run("schedules_step_decay_001.py")
    assert isinstance(ns["lr_scheduler"], gradlab.keras.callbacks.LearningRateScheduler)


@pytest.mark.slow
def test_schedules_002():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    model = tf.keras.Sequential(
        [tf.keras.Input((4,)), tf.keras.layers.Dense(1, activation="sigmoid")]
    )
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    ns = run(
        "schedules_002.py",
        tf=tf,
        model=model,
        x_train=x,
        y_train=y,
        x_val=x[:16],
        y_val=y[:16],
        total_epochs=50,
    )
    f32 = lambda v: float(np.float32(v))  # noqa: E731 - the optimizer keeps float32 rates
    assert ns["STEP_RATES"] == [f32(0.01 * 0.5 ** (e // 10)) for e in range(50)]
    assert ns["EXPONENTIAL_RATES"] == pytest.approx(
        [0.01 * math.exp(-0.05 * e) for e in range(50)], rel=1e-6
    )
    assert ns["COSINE_RATES"] == pytest.approx(
        [0.01 * (1 + math.cos(math.pi * e / 50)) / 2 for e in range(50)], rel=1e-6, abs=1e-9
    )
    rates = ns["PLATEAU_RATES"]
    assert len(rates) == 50 and all(
        b in (a, a * 0.5) or b == pytest.approx(a * 0.5) for a, b in zip(rates, rates[1:])
    )


@pytest.mark.slow
def test_example13_optuna_search(capsys):
    pytest.importorskip("optuna")
    pytest.importorskip("sklearn")
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    ns = run("example13_optuna.py")
    assert len(ns["study"].trials) == 20
    assert set(ns["study"].best_params) == {"learning_rate", "batch_size", "optimizer"}
    assert "Best hyperparameters" in capsys.readouterr().out
