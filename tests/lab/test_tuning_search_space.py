"""gradlab.lab.tuning: the [search] and [tune] sections: parsing, every kind of problem, the
grid, the overrides with per-choice fixed fields, and the check against a real config."""

import math
import textwrap

import pytest

from gradlab.lab.config import ConfigError, load_config
from gradlab.lab.tuning import EXTRA_SECTIONS, SearchSpace, TuneSettings
from gradlab.lab.tuning.search_space import validate_search
from gradlab.lab.tuning.settings import validate_tune

NOTES_SPACE = {
    "optimizer.lr": {"type": "log_uniform", "low": 1e-5, "high": 1e-2},
    "training.batch_size": {"type": "categorical", "choices": [32, 64, 128]},
    "optimizer.name": {
        "type": "categorical",
        "choices": ["adam", "sgd"],
        "with": {"sgd": {"optimizer.momentum": 0.9}},
    },
}

BASE = """
[data]
name = "make_classification"
n_samples = 120
n_features = 6
[model]
name = "mlp"
hidden_sizes = [8]
[optimizer]
name = "adam"
lr = 1e-3
[training]
epochs = 1
metrics = ["accuracy"]
"""


def _write(tmp_path, text, name="c.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


class FakeTrial:
    """Records suggest_* calls and answers the low end / first choice."""

    def __init__(self):
        self.calls = []

    def suggest_float(self, name, low, high, step=None, log=False):
        self.calls.append(("float", name, low, high, step, log))
        return low

    def suggest_int(self, name, low, high, step=1, log=False):
        self.calls.append(("int", name, low, high, step, log))
        return high

    def suggest_categorical(self, name, choices):
        self.calls.append(("categorical", name, tuple(choices)))
        return choices[-1]


def test_the_notes_space_parses_and_suggests_with_the_fixed_momentum():
    space = SearchSpace.parse(NOTES_SPACE)
    assert space.names == ["optimizer.lr", "training.batch_size", "optimizer.name"]
    trial = FakeTrial()
    overrides = space.suggest(trial)
    assert trial.calls == [
        ("float", "optimizer.lr", 1e-5, 1e-2, None, True),
        ("categorical", "training.batch_size", (32, 64, 128)),
        ("categorical", "optimizer.name", ("adam", "sgd")),
    ]
    # the last choice (sgd) brings its fixed momentum; the drawn values come first
    assert overrides == {"optimizer.lr": 1e-5, "training.batch_size": 128,
                         "optimizer.name": "sgd", "optimizer.momentum": 0.9}  # fmt: skip
    assert space.overrides({"optimizer.name": "adam"}) == {"optimizer.name": "adam"}


def test_int_and_uniform_draws_pass_their_step_and_log():
    space = SearchSpace.parse({
        "model.width": {"type": "int", "low": 8, "high": 64, "step": 8},
        "model.depth": {"type": "int", "low": 1, "high": 8, "log": True},
        "optimizer.weight_decay": {"type": "uniform", "low": 0.0, "high": 0.1, "step": 0.025},
    })  # fmt: skip
    trial = FakeTrial()
    assert space.suggest(trial) == {"model.width": 64, "model.depth": 8,
                                    "optimizer.weight_decay": 0.0}  # fmt: skip
    assert trial.calls == [("int", "model.width", 8, 64, 8, False),
                           ("int", "model.depth", 1, 8, 1, True),
                           ("float", "optimizer.weight_decay", 0.0, 0.1, 0.025, False)]  # fmt: skip


def test_dotted_keys_and_subtables_mean_the_same_as_quoted_keys():
    nested = {"optimizer": {"lr": NOTES_SPACE["optimizer.lr"]},
              "training": {"batch_size": NOTES_SPACE["training.batch_size"]}}  # fmt: skip
    space = SearchSpace.parse(nested)
    assert space.names == ["optimizer.lr", "training.batch_size"]


def test_every_problem_is_reported_at_once_one_line_each():
    problems = validate_search({
        "lr": {"type": "log_uniform", "low": 1e-5, "high": 1e-2},
        "optimizer.a": {"type": "loguniform", "low": 1, "high": 2},
        "optimizer.b": {"type": "log_uniform", "low": 0.0, "high": 1.0},
        "optimizer.c": {"type": "uniform", "low": 2.0, "high": 1.0},
        "optimizer.d": {"type": "int", "low": 1.5, "high": 4},
        "optimizer.e": {"type": "categorical", "choices": []},
        "optimizer.f": {"type": "categorical", "choices": ["x", "x"]},
        "optimizer.g": {"type": "categorical", "choices": ["x"], "with": {"y": {"a.b": 1}}},
        "optimizer.h": {"type": "uniform", "low": 0.0, "high": 1.0, "choices": [1]},
        "optimizer.i": {"type": "int", "low": 1, "high": 9, "step": 0},
        "optimizer.j": 3,
    }, "search")  # fmt: skip
    expected = [
        "search.lr: a searched field is named section.field",
        "search.optimizer.a.type: must be one of log_uniform, uniform, int, categorical, "
        "got 'loguniform'",
        "search.optimizer.b.low: a log scale needs low > 0, got 0.0",
        "search.optimizer.c: low must be < high, got low=2.0, high=1.0",
        "search.optimizer.d.low: must be an integer, got 1.5",
        "search.optimizer.e.choices: must be a non-empty list, got []",
        "search.optimizer.f.choices: each choice must appear once, repeated: ['x']",
        "search.optimizer.g.with.y: 'y' is not one of the choices ['x']",
        "search.optimizer.h: unknown key 'choices' for type 'uniform'",
        "search.optimizer.i.step: must be an integer >= 1, got 0",
        "search.optimizer.j: expected a table with a type",
    ]  # fmt: skip
    assert len(problems) == len(expected), problems
    for line, start in zip(problems, expected):
        assert line.startswith(start), (line, start)


def test_a_field_cannot_be_both_searched_and_fixed_by_a_choice():
    space = dict(NOTES_SPACE)
    space["optimizer.momentum"] = {"type": "uniform", "low": 0.0, "high": 0.99}
    (problem,) = validate_search(space, "search")
    assert problem.startswith("search.optimizer.name.with.sgd.optimizer.momentum: "
                              "optimizer.momentum is searched")  # fmt: skip


def test_grid_discretizes_ranges_and_keeps_choices():
    space = SearchSpace.parse({
        **NOTES_SPACE,
        "model.width": {"type": "int", "low": 8, "high": 72, "step": 8},
        "model.height": {"type": "int", "low": 8, "high": 64, "step": 8},
        "model.depth": {"type": "int", "low": 1, "high": 2},
        "optimizer.weight_decay": {"type": "uniform", "low": 0.0, "high": 1e-3},
    })  # fmt: skip
    grid = space.grid(3)
    assert grid["optimizer.lr"] == pytest.approx([1e-5, 10**-3.5, 1e-2], rel=1e-12)
    assert grid["optimizer.lr"][0] == 1e-5 and grid["optimizer.lr"][-1] == 1e-2  # exact ends
    assert grid["training.batch_size"] == [32, 64, 128]
    assert grid["optimizer.name"] == ["adam", "sgd"]
    assert grid["model.width"] == [8, 40, 72]
    assert grid["model.height"] in ([8, 32, 64], [8, 40, 64])  # 36 is a tie: either neighbour
    assert grid["model.depth"] == [1, 2]  # fewer values than points: all of them
    assert grid["optimizer.weight_decay"] == pytest.approx([0.0, 5e-4, 1e-3])
    assert space.grid_size(3) == 3 * 3 * 2 * 3 * 3 * 2 * 3
    for name, values in grid.items():
        for value in values:
            assert space.by_name[name].contains(value), (name, value)


def test_contains_checks_names_ranges_and_choice_types():
    space = SearchSpace.parse(NOTES_SPACE)
    good = {"optimizer.lr": 1e-3, "training.batch_size": 64, "optimizer.name": "sgd"}
    assert space.contains(good)
    assert not space.contains({**good, "optimizer.lr": 0.5})
    assert not space.contains({**good, "training.batch_size": 64.0})  # a float is not 64
    assert not space.contains({**good, "optimizer.name": "rmsprop"})
    assert not space.contains({"optimizer.lr": 1e-3})


def test_tune_settings_defaults_direction_and_problems():
    assert TuneSettings.parse(None).resolved_direction == "minimize"  # val_loss
    settings = TuneSettings.parse({"metric": "val_accuracy", "trials": 7, "sampler": "grid"})
    assert (settings.resolved_direction, settings.trials, settings.sampler) == (
        "maximize", 7, "grid")  # fmt: skip
    assert TuneSettings.parse({"metric": "val_accuracy", "direction": "minimize"}
                              ).resolved_direction == "minimize"  # fmt: skip
    section = {"sampler": "bayes", "trials": 0, "pruner": "hyperband", "objective": "last",
               "grid_points": 1, "colour": 1}  # fmt: skip
    problems = validate_tune(section, "tune")
    assert problems == [
        "tune.colour: unknown key (allowed: direction, grace_period, grid_points, "
        "heartbeat_interval, metric, objective, pruner, pruner_startup_trials, "
        "pruner_warmup_epochs, sampler, seed, tpe_startup_trials, trials)",
        "tune.objective: must be one of final, best, got 'last'",
        "tune.sampler: must be one of tpe, random, grid, got 'bayes'",
        "tune.pruner: must be one of median, none, got 'hyperband'",
        "tune.trials: must be an integer >= 1, got 0",
        "tune.grid_points: must be an integer >= 2, got 1",
    ]


def test_load_config_reports_search_and_tune_problems_with_the_file(tmp_path):
    path = _write(tmp_path, BASE + """
    [search]
    "optimizer.lr" = { type = "log_uniform", low = -1.0, high = 1e-2 }
    [tune]
    sampler = "annealing"
    """)  # fmt: skip
    with pytest.raises(ConfigError) as caught:
        load_config(path, extra_sections=EXTRA_SECTIONS)
    assert caught.value.problems == [
        f"{path}: search.optimizer.lr.low: a log scale needs low > 0, got -1.0",
        f"{path}: tune.sampler: must be one of tpe, random, grid, got 'annealing'",
    ]


def test_check_space_names_fields_and_values_the_config_rejects(tmp_path):
    from gradlab.lab.tuning.study import check_space, space_and_settings

    path = _write(tmp_path, BASE + """
    [search]
    "optimizer.lrr" = { type = "log_uniform", low = 1e-5, high = 1e-2 }
    "optimizer.name" = { type = "categorical", choices = ["adam", "sgd"], \
    with = { sgd = { "optimizer.momentum" = 1.5 } } }
    "training.batch_size" = { type = "categorical", choices = [32, 64] }
    """)  # fmt: skip
    config = load_config(path, extra_sections=EXTRA_SECTIONS)
    space, _ = space_and_settings(config)
    problems = check_space(config, space)
    assert problems, "an unknown field and a bad momentum must be found"
    assert all(line.startswith("search: with ") for line in problems)
    lrr = [line for line in problems if "optimizer.lrr = 1e-05" in line]
    assert lrr and "lrr" in lrr[0].split(": ", 2)[2]
    momentum = [line for line in problems if "optimizer.momentum = 1.5" in line]
    assert momentum and "momentum" in momentum[0].split(": ", 2)[2]
    assert not any("training.batch_size" in line for line in problems)


def test_log_grid_points_are_evenly_spaced_in_log_space():
    space = SearchSpace.parse({"optimizer.lr": NOTES_SPACE["optimizer.lr"]})
    values = space.grid(4)["optimizer.lr"]
    logs = [math.log10(v) for v in values]
    assert logs == pytest.approx([-5, -4, -3, -2])


@pytest.mark.parametrize("name", ["tune_example13.toml", "tune_digits.toml"])
def test_the_example_tuning_configs_load_and_fit_their_config(name):
    from pathlib import Path

    from gradlab.lab.tuning.study import check_space, space_and_settings

    path = Path(__file__).resolve().parents[2] / "examples" / "configs" / name
    config = load_config(path, extra_sections=EXTRA_SECTIONS)
    space, settings = space_and_settings(config)
    assert check_space(config, space) == []
    assert settings.metric == "val_accuracy" and settings.resolved_direction == "maximize"
