"""Config validation: every problem of a file at once, one line each, ``file: key: message``."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gradlab.lab.config import ConfigError, load_config

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "configs"

GOOD = """
[data]
name = "digits"
view = "image"

[model]
name = "cnn"

[optimizer]
name = "sgd"
lr = 0.05
momentum = 0.9

[schedule]
name = "step"
step_size = 3

[training]
epochs = 4

[callbacks.early_stopping]
patience = 2
"""


def write(tmp_path, text: str, name: str = "run.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(tmp_path, text: str, **kwargs) -> list[str]:
    path = write(tmp_path, text, "bad.toml")
    with pytest.raises(ConfigError) as caught:
        load_config(path, **kwargs)
    prefix = f"{path}: "
    assert all(line.startswith(prefix) for line in caught.value.problems)
    assert str(caught.value) == "\n".join(caught.value.problems)
    return [line[len(prefix) :] for line in caught.value.problems]


def test_a_good_config_fills_defaults(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    assert config.data == {
        "name": "digits",
        "view": "image",
        "test_size": 0.2,
        "standardize": True,
        "seed": 0,
    }
    assert config.model == {"name": "cnn"}
    assert config.loss["name"] == "cross_entropy"  # the default for a classification task
    assert config.optimizer["name"] == "sgd" and config.optimizer["lr"] == 0.05
    assert config.optimizer["momentum"] == 0.9 and config.optimizer["nesterov"] is False
    assert config.schedule == {"name": "step", "step_size": 3, "gamma": 0.1, "per": "epoch"}
    assert config.training["epochs"] == 4 and config.training["batch_size"] == 32
    assert config.training["metrics"] == ["accuracy"]
    assert config.callbacks["early_stopping"]["patience"] == 2
    assert config.callbacks["early_stopping"]["monitor"] == "val_loss"
    assert config.derived["task"] == "classification"


def test_every_kind_of_problem_is_reported_at_once(tmp_path):
    text = """
    [data]
    name = "digits"
    colour = "red"

    [model]
    name = "mlp"
    hidden_sizes = "wide"

    [optimizer]
    name = "sgd"
    lr = -0.1

    [schedule]
    name = "step"
    step_size = 2
    per = "week"

    [training]
    batch_size = 32
    """
    assert problems(tmp_path, text) == [
        "data.colour: unknown key; expected one of max_samples, name, seed, standardize, "
        "test_size, view",
        "model.hidden_sizes: expected a list of integers, got 'wide' (string)",
        "optimizer.lr: must be > 0, got -0.1",
        "schedule.per: must be one of 'epoch', 'batch'; got 'week'",
        "training.epochs: missing required key",
    ]


def test_issue_example_line(tmp_path):
    text = (
        '[data]\nname = "iris"\n[model]\nname = "mlp"\n[optimizer]\nlr = -0.1\n'
        "[training]\nepochs = 1\n"
    )
    path = write(tmp_path, text, "bad.toml")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.problems == [f"{path}: optimizer.lr: must be > 0, got -0.1"]


def test_unknown_names_list_the_valid_ones(tmp_path):
    text = """
    [data]
    name = "digitz"
    [model]
    name = "transformer"
    [loss]
    name = "hinge"
    [optimizer]
    name = "lbfgs"
    [schedule]
    name = "warmup"
    [training]
    epochs = 1
    [callbacks.tensorboard]
    [search]
    """
    found = problems(tmp_path, text)
    assert found[0].startswith("search: unknown section; expected one of data, model, loss,")
    assert found[1].startswith("data.name: unknown dataset 'digitz'; expected one of 'digits', ")
    assert "'mnist'" in found[1] and "'cifar10'" in found[1]
    assert found[2].startswith("model.name: unknown model 'transformer'; expected one of 'mlp',")
    assert "'lstm'" in found[2] and "'resnet'" in found[2] and "'autoencoder'" in found[2]
    assert found[3].startswith("loss.name: unknown loss 'hinge'; expected one of ")
    assert found[4].startswith(
        "optimizer.name: unknown optimizer 'lbfgs'; expected one of "
        "'sgd', 'adam', 'adamw', 'rmsprop', 'adagrad', 'nadam'"
    )
    assert found[5].startswith("schedule.name: unknown schedule 'warmup'; expected one of ")
    assert "'one_cycle'" in found[5] and "'plateau'" in found[5]
    assert found[6].startswith("callbacks.tensorboard: unknown callback; expected one of ")
    assert len(found) == 7


def test_model_keys_bind_to_the_constructor(tmp_path):
    text = """
    [data]
    name = "digits"
    [model]
    name = "mlp"
    hidden = [3]
    in_features = 64
    dropout = 1.5
    activation = "swishy"
    [training]
    epochs = 1
    """
    found = problems(tmp_path, text)
    assert "model.in_features: set from the data; remove it from the config" in found
    assert (
        "model.hidden: unknown key; expected one of activation, batch_norm, dropout, hidden_sizes"
    ) in found
    assert "model.dropout: must be < 1, got 1.5" in found
    assert any(
        line.startswith("model.activation: must be one of ") and "'relu'" in line for line in found
    )
    assert len(found) == 4


def test_wrong_types_and_ranges(tmp_path):
    text = """
    [data]
    name = "make_classification"
    n_samples = 10.5
    n_classes = 1
    [model]
    name = "mlp"
    [optimizer]
    name = "adam"
    betas = [0.9]
    [training]
    epochs = "ten"
    batch_size = true
    validation_split = 1.0
    """
    assert problems(tmp_path, text) == [
        "data.n_samples: expected an integer, got 10.5 (float)",
        "data.n_classes: must be >= 2, got 1",
        "optimizer.betas: expected a list of 2 values, got 1",
        "training.epochs: expected an integer, got 'ten' (string)",
        "training.batch_size: expected an integer, got true (boolean)",
        "training.validation_split: must be < 1, got 1.0",
    ]


def test_missing_sections_and_non_tables(tmp_path):
    assert problems(tmp_path, 'optimizer = "adam"\n') == [
        "optimizer: expected a table [optimizer], got 'adam'",
        "data: missing required section [data]",
        "model: missing required section [model]",
        "training.epochs: missing required key",
    ]


def test_sections_are_checked_against_each_other(tmp_path):
    text = """
    [data]
    name = "iris"
    [model]
    name = "cnn"
    [loss]
    name = "mse"
    [training]
    epochs = 1
    validation_split = 0.0
    [callbacks.early_stopping]
    monitor = "val_loss"
    """
    found = problems(tmp_path, text)
    assert found[0] == (
        "data.view: 'iris' is tabular, so only 'flat' works; got 'image' (model 'cnn' needs "
        "'image' data)"
    )
    assert found[1].startswith(
        "loss.name: 'mse' is a regression loss, but the task is "
        "classification (data 'iris'); use one of 'cross_entropy'"
    )
    assert found[2] == (
        "callbacks.early_stopping.monitor: 'val_loss' is not logged; expected "
        "one of 'loss', 'accuracy'"
    )


def test_binary_loss_needs_two_classes(tmp_path):
    text = (
        '[data]\nname = "digits"\n[model]\nname = "mlp"\n[loss]\nname = "bce_with_logits"\n'
        "[training]\nepochs = 1\n"
    )
    (line,) = problems(tmp_path, text)
    assert line.startswith(
        "loss.name: 'bce_with_logits' is a binary loss (0/1 labels, one "
        "logit), but the task is classification"
    )


def test_invalid_toml_is_one_line(tmp_path):
    (line,) = problems(tmp_path, "[data\nname = 1\n")
    assert line.startswith("invalid TOML: ")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "absent.toml")
    assert caught.value.problems[0].startswith(f"{tmp_path / 'absent.toml'}: cannot read")


def test_extra_sections_are_validated_with_the_file_prefix(tmp_path):
    seen = []

    def check_search(table, name):
        seen.append((dict(table), name))
        return [] if table.get("trials", 0) > 0 else [f"{name}.trials: must be > 0"]

    good = GOOD + "\n[search]\ntrials = 3\n"
    config = load_config(write(tmp_path, good), extra_sections={"search": check_search})
    assert config.extra == {"search": {"trials": 3}}
    assert seen == [({"trials": 3}, "search")]
    assert problems(
        tmp_path, GOOD + "\n[search]\ntrials = 0\n", extra_sections={"search": check_search}
    ) == ["search.trials: must be > 0"]


def test_with_overrides_validates_again(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    other = config.with_overrides(
        {"optimizer.lr": 0.2, "training.epochs": 2, "callbacks.early_stopping.patience": 7}
    )
    assert other.optimizer["lr"] == 0.2 and other.training["epochs"] == 2
    assert other.callbacks["early_stopping"]["patience"] == 7
    assert config.optimizer["lr"] == 0.05  # the original is unchanged
    with pytest.raises(ConfigError) as caught:
        config.with_overrides({"optimizer.lr": -1.0, "training.batch_size": 0})
    assert [p.split(": ", 1)[1] for p in caught.value.problems] == [
        "optimizer.lr: must be > 0, got -1.0",
        "training.batch_size: must be >= 1, got 0",
    ]


def test_model_file_is_bound_by_its_signature(tmp_path):
    from gradlab.lab.model_file import load_model_file

    (tmp_path / "my_models_cfg.py").write_text(
        textwrap.dedent("""
        from gradlab.models.mlp import MLP

        def tiny(in_features, out_features, width: int = 8):
            return MLP(in_features, hidden_sizes=[width], out_features=out_features)
    """)
    )
    user = load_model_file(f"{tmp_path / 'my_models_cfg.py'}:tiny")
    text = """
    [data]
    name = "iris"
    [model]
    width = 4
    [training]
    epochs = 1
    """
    config = load_config(write(tmp_path, text), model_file=user)
    assert config.model == {"file": "my_models_cfg.py:tiny", "view": "flat", "width": 4}
    assert config.with_overrides({"model.width": 5}).model["width"] == 5
    bad = text.replace("width = 4", "width = 'x'\ndepth = 2")
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, bad), model_file=user)
    assert [p.split(": ", 1)[1] for p in caught.value.problems] == [
        "model.width: expected an integer, got 'x' (string)",
        "model.depth: unknown key; expected one of width",
    ]


def test_every_example_config_validates():
    paths = sorted(EXAMPLES.glob("train_*.toml"))
    assert len(paths) >= 8
    for path in paths:
        config = load_config(path)
        assert config.training["epochs"] >= 1, path


def test_special_loops_follow_the_model_and_check_their_sections(tmp_path):
    gan = """
    [data]
    name = "gaussian_mixture"
    [model]
    name = "gan"
    [training]
    epochs = 2
    """
    config = load_config(write(tmp_path, gan))
    assert config.derived["loop"] == "gan" and config.training["loop"] == "gan"
    assert config.loss == {"name": "gan", "saturating": False}
    assert config.training == {
        "epochs": 2, "steps_per_epoch": 100, "batch_size": 128, "seed": 0, "loop": "gan"
    }  # fmt: skip
    bad = (
        gan
        + """
    validation_split = 0.1
    [loss]
    name = "cross_entropy"
    [schedule]
    name = "step"
    step_size = 2
    [callbacks.early_stopping]
    """
    )
    assert problems(tmp_path, bad) == [
        "loss.name: the 'gan' loop trains on its own objective; use name = 'gan' (keys: "
        "saturating) or leave [loss] out; got 'cross_entropy'",
        "training.validation_split: unknown key; expected one of batch_size, epochs, loop, "
        "seed, steps_per_epoch",
        "schedule: the 'gan' loop takes no lr schedule; remove [schedule]",
        "callbacks: the 'gan' loop takes no callbacks; remove [callbacks.early_stopping]",
    ]
    assert problems(tmp_path, GOOD.replace("epochs = 4", "epochs = 4\nloop = 'gan'")) == [
        "training.loop: 'gan' trains model 'gan'; model 'cnn' trains with loop 'fit'"
    ]


def test_perceptron_learns_by_its_rule(tmp_path):
    text = """
    [data]
    name = "breast_cancer"
    [model]
    name = "perceptron"
    [optimizer]
    lr = 0.5
    [training]
    epochs = 3
    """
    config = load_config(write(tmp_path, text))
    assert config.optimizer == {"name": "perceptron", "lr": 0.5} and config.loss == {}
    assert config.training["metrics"] == ["accuracy"]
    bad = text.replace("lr = 0.5", "name = 'adam'\nlr = 0.5").replace(
        "epochs = 3", "epochs = 3\nbatch_size = 4\n[loss]\nname = 'bce_with_logits'"
    )
    found = problems(tmp_path, bad)
    assert [line.split(":")[0] for line in found] == [
        "loss",
        "optimizer.name",
        "training.batch_size",
    ]
    assert found[1].endswith("use name = 'perceptron' (keys: lr) or leave it out; got 'adam'")
    digits = text.replace("breast_cancer", "digits")
    assert problems(tmp_path, digits) == [
        "model.name: 'perceptron' learns binary classification (labels 0/1), but data 'digits' "
        "is classification; use data such as 'breast_cancer', 'moons', 'imbalanced_binary', "
        "'make_classification (n_classes = 2)'"
    ]


def test_seq2seq_forecaster_and_recommender_data(tmp_path):
    seq2seq = """
    [data]
    name = "reversal_pairs"
    [model]
    name = "seq2seq"
    [loss]
    name = "mse"
    [schedule]
    name = "cyclic"
    max_lr = 0.1
    [training]
    epochs = 1
    metrics = ["accuracy"]
    """
    assert problems(tmp_path, seq2seq) == [
        "loss.name: the 'seq2seq' loop trains on its own objective; use name = "
        "'cross_entropy' (keys: label_smoothing) or leave [loss] out; got 'mse'",
        "schedule.per: the 'seq2seq' loop steps a schedule per epoch; got 'batch'",
        "training.metrics: unknown key; expected one of batch_size, clip, epochs, loop, seed, "
        "validation, validation_split",
    ]
    tail = "[training]\nepochs = 1\n"
    assert problems(
        tmp_path, "[data]\nname = 'reversal_pairs'\n[model]\nname = 'mlp'\n" + tail
    ) == ["model: 'mlp' reads flat input but data 'reversal_pairs' is token sequences"]
    forecaster = "[data]\nname = 'digits'\n[model]\nname = 'forecaster'\nhorizon = 2\n" + tail
    assert problems(tmp_path, forecaster) == [
        "model.horizon: set from the data; remove it from the config",
        "model.name: 'forecaster' learns regression (real targets), but data 'digits' is "
        "classification; use data such as 'seasonal_series', 'diabetes', "
        "'regression_with_outliers'",
    ]
    ratings = "[data]\nname = 'synthetic_ratings'\n[model]\nname = 'neural_cf'\n" + tail
    config = load_config(write(tmp_path, ratings))
    assert config.loss["name"] == "mse" and config.training["metrics"] == ["rmse"]
    assert problems(tmp_path, ratings.replace("neural_cf", "mlp")) == [
        "model: 'mlp' reads flat input but data 'synthetic_ratings' is (user, item) pairs"
    ]
