"""Example 13 (notes 002 Q7, optimizers): an Optuna search over the learning rate, the batch
size and the optimizer, 20 trials, best parameters printed.

The notes' program: ``make_classification(n_samples=1000, n_features=20,
random_state=42)``, an 80/20 train/validation split, StandardScaler; Dense 64 ReLU, Dense 32
ReLU, Dense 1 sigmoid, binary cross-entropy, 20 epochs; the objective draws
``learning_rate`` log-uniform in 1e-5..1e-2, ``batch_size`` from 32, 64, 128 and
``optimizer`` from adam or sgd (SGD with momentum 0.9), and returns the last epoch's
``val_accuracy``; ``optuna.create_study(direction='maximize').optimize(objective,
n_trials=20)`` and ``print(study.best_params)``.

gradlab runs the same study with ``gradlab.lab.tuning.tune`` on the config below (the text
of ``examples/configs/tune_example13.toml``, so ``gradlab tune`` on that file is this
example): TPE seeded 0 (Optuna's default sampler is TPE, unseeded in the notes), in-memory
storage, no pruning (the notes report no intermediate values, so nothing is pruned), the
full 20 epochs per trial. Differences, and why: the net ends in a logit with
``bce_with_logits`` (the stable form of sigmoid + BCE); a gradlab config always keeps a
test split, so the data is 640 train / 160 validation / 200 test instead of 800 / 200.

The notes print no numbers, so the checks are what a correct search must satisfy: 20
trials completed, every drawn value inside the declared space, every sgd trial trained with
momentum 0.9 and no adam trial with it, the best value is the largest trial value, and the
best validation accuracy reaches a floor. Over study seeds 0..9 the best val_accuracy was
0.8625..0.8875 (160 validation samples, one = 0.00625); the floor 0.84 is about four samples
below the lowest, far above a search that failed (0.5).
"""

from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover (Python 3.10)
    import tomli as tomllib

from gradlab.lab.reproduce.registry import Report, register

CONFIG = """
[data]
name = "make_classification"
n_samples = 1000
n_features = 20
seed = 42
test_size = 0.2
standardize = true

[model]
name = "mlp"
hidden_sizes = [64, 32]

[loss]
name = "bce_with_logits"

[optimizer]
name = "adam"
lr = 1e-3

[training]
epochs = 20
batch_size = 32
validation_split = 0.2
metrics = ["accuracy"]
seed = 0

[search]
"optimizer.lr" = { type = "log_uniform", low = 1e-5, high = 1e-2 }
"training.batch_size" = { type = "categorical", choices = [32, 64, 128] }
"optimizer.name" = { type = "categorical", choices = ["adam", "sgd"], with = { sgd = { "optimizer.momentum" = 0.9 } } }

[tune]
metric = "val_accuracy"
direction = "maximize"
objective = "final"
trials = 20
sampler = "tpe"
seed = 0
pruner = "none"
"""  # noqa: E501
"""The config of the study: examples/configs/tune_example13.toml's tables."""

TRIALS = 20
FLOOR = 0.84


def config():
    """The example's :class:`~gradlab.lab.config.Config` (with ``[search]`` and ``[tune]``)."""
    from gradlab.lab.config import parse_config
    from gradlab.lab.tuning import EXTRA_SECTIONS

    return parse_config(tomllib.loads(CONFIG), None, EXTRA_SECTIONS, text=CONFIG)


@register(
    13,
    "optuna-search",
    "Optuna search: lr log-uniform 1e-5..1e-2, batch 32/64/128, adam or sgd(momentum 0.9), "
    "20 trials",
    source="002 Q7",
)
def optuna_search() -> Report:
    from gradlab.lab.tuning import tune

    report = Report()
    result = tune(config(), trials=TRIALS, storage="memory", study_name="example13", verbose=0)
    study, space = result.study, result.space
    trials = sorted(study.trials, key=lambda t: t.number)
    report.print("make_classification(1000, 20, random_state=42), standardized; 640 train, "
                 "160 validation, 200 test")  # fmt: skip
    report.print(
        "MLP 20-64-32-1 (ReLU, logit), bce_with_logits, 20 epochs; TPE seeded 0, 20 trials"
    )
    report.print("value = the last epoch's val_accuracy")
    report.print()
    report.print(f"  {'trial':>5}  {'optimizer':<9}  {'lr':>10}  {'batch':>5}  val_accuracy")
    for trial in trials:
        p = trial.params
        report.print(
            f"  {trial.number:>5}  {p['optimizer.name']:<9}  {p['optimizer.lr']:>10.3e}  "
            f"{p['training.batch_size']:>5}  {trial.value:.4f}"
        )
    report.print()
    report.print(f"Best hyperparameters: {result.best_params}")
    report.print(f"best trial {result.best_trial}: val_accuracy = {result.best_value:.4f}")

    complete = [t for t in trials if t.state.name == "COMPLETE"]
    report.check("trials completed", len(complete), TRIALS)
    outside = [t.number for t in trials if not space.contains(t.params)]
    report.check("trials with a value outside the declared space", outside, [])
    wrong = [
        t.number
        for t in trials
        if (t.params["optimizer.name"] == "sgd")
        != (t.user_attrs["overrides"].get("optimizer.momentum") == 0.9)
    ]
    report.check("trials where momentum 0.9 does not go with sgd", wrong, [])
    report.check("best parameters inside the space", space.contains(result.best_params), True)
    report.check("best value = max over trials", result.best_value, max(t.value for t in complete),
                 tolerance=0.0)  # fmt: skip
    report.check(
        f"best val_accuracy {result.best_value:.4f} >= {FLOOR}", result.best_value >= FLOOR, True
    )
    return report
