"""Keras optimizers: gradlab.keras's trajectories equal real Keras's over 50 steps."""

import numpy as np
import pytest
from keras_oracle import keras, knp

from gradlab import keras as gk
from gradlab.nn.module import Parameter

TARGET = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
START = np.random.default_rng(2).standard_normal((4, 3)).astype(np.float32)


def grad_of(w):
    """A gradient that depends on the weights (a tilted quadratic), so paths can diverge."""
    return (2.0 * (w - TARGET) + 0.3 * np.sin(3 * w)).astype(np.float32)


CASES = {
    "sgd": lambda O: O.SGD(learning_rate=0.05),
    "sgd_momentum": lambda O: O.SGD(learning_rate=0.01, momentum=0.9),
    "sgd_nesterov": lambda O: O.SGD(learning_rate=0.01, momentum=0.9, nesterov=True),
    "adam": lambda O: O.Adam(learning_rate=0.01),
    "adam_amsgrad": lambda O: O.Adam(learning_rate=0.01, amsgrad=True),
    "adamw": lambda O: O.AdamW(learning_rate=0.01),
    "rmsprop": lambda O: O.RMSprop(learning_rate=0.01),
    "rmsprop_momentum_centered": lambda O: O.RMSprop(
        learning_rate=0.01, momentum=0.5, centered=True
    ),
    "adagrad": lambda O: O.Adagrad(learning_rate=0.05),
    "nadam": lambda O: O.Nadam(learning_rate=0.01),
    "sgd_clipnorm": lambda O: O.SGD(learning_rate=0.05, clipnorm=0.5),
    "adam_global_clipnorm": lambda O: O.Adam(learning_rate=0.01, global_clipnorm=0.5),
    "rmsprop_clipvalue": lambda O: O.RMSprop(learning_rate=0.01, clipvalue=0.1),
    "sgd_weight_decay": lambda O: O.SGD(learning_rate=0.05, weight_decay=0.1),
    "adam_exponential_schedule": lambda O: O.Adam(
        learning_rate=O.schedules.ExponentialDecay(0.05, decay_steps=5, decay_rate=0.8)
    ),
    "sgd_cosine_schedule": lambda O: O.SGD(
        learning_rate=O.schedules.CosineDecay(0.1, 30), momentum=0.5
    ),
    "sgd_piecewise_schedule": lambda O: O.SGD(
        learning_rate=O.schedules.PiecewiseConstantDecay([10, 20], [0.1, 0.05, 0.01])
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_trajectory_matches_keras(case):
    k_opt, g_opt = CASES[case](keras.optimizers), CASES[case](gk.optimizers)
    k_var = keras.Variable(START.copy())
    g_var = Parameter(START.copy())
    for step in range(50):
        k_opt.apply_gradients([(keras.ops.convert_to_tensor(grad_of(knp(k_var))), k_var)])
        g_opt.apply_gradients([(grad_of(g_var.numpy()), g_var)])
        np.testing.assert_allclose(
            g_var.numpy(), knp(k_var), rtol=2e-5, atol=2e-6, err_msg=f"{case}: step {step + 1}"
        )
    assert g_opt.iterations == 50


@pytest.mark.parametrize("name", ["sgd", "adam", "adamw", "rmsprop", "adagrad", "nadam"])
def test_defaults_match_keras(name):
    k_opt, g_opt = keras.optimizers.get(name), gk.optimizers.get(name)
    assert g_opt.learning_rate == pytest.approx(float(knp(k_opt.learning_rate)))
    for attr in (
        "epsilon",
        "rho",
        "momentum",
        "initial_accumulator_value",
        "beta_1",
        "beta_2",
        "weight_decay",
        "nesterov",
        "centered",
        "amsgrad",
    ):
        if hasattr(k_opt, attr):
            assert getattr(g_opt, attr) == getattr(k_opt, attr), attr


@pytest.mark.parametrize(
    "schedule",
    [
        lambda S: S.ExponentialDecay(0.1, 10, 0.5, staircase=True),
        lambda S: S.InverseTimeDecay(0.1, 10, 0.5),
        lambda S: S.PolynomialDecay(0.1, 20, 0.001, power=2.0),
        lambda S: S.PolynomialDecay(0.1, 20, cycle=True),
        lambda S: S.CosineDecay(0.1, 30, alpha=0.1, warmup_target=0.2, warmup_steps=5),
        lambda S: S.CosineDecayRestarts(0.1, 7, t_mul=2.0, m_mul=0.8, alpha=0.05),
        lambda S: S.CosineDecayRestarts(0.1, 7, t_mul=1.0),
    ],
)
def test_schedules_match_keras(schedule):
    k, g = schedule(keras.optimizers.schedules), schedule(gk.optimizers.schedules)
    for step in range(60):
        assert g(step) == pytest.approx(float(knp(k(step))), rel=1e-5, abs=1e-8), step


def test_an_optimizer_is_a_gradlab_optimizer():
    from gradlab.optim.optimizer import Optimizer

    opt = gk.optimizers.SGD(0.1)
    opt.build([Parameter(np.zeros(3, np.float32))])
    assert isinstance(opt, Optimizer) and opt.param_groups[0]["lr"] == pytest.approx(0.1)
    opt.learning_rate = 0.5
    assert opt.param_groups[0]["lr"] == 0.5
