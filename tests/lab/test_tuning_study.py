"""gradlab.lab.tuning.tune against a fake training function (fast, exact): the trial count,
pruning that ends the trainer cleanly, the objective (final or best), resuming a SQLite
study, storage and study-mismatch errors, the samplers' seeding, and the output files."""

import json
import math
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
import tomllib

optuna = pytest.importorskip("optuna")

from gradlab.lab.toml_text import to_toml  # noqa: E402
from gradlab.lab.tuning import tune  # noqa: E402
from gradlab.lab.tuning.objective import PruningCallback  # noqa: E402
from gradlab.lab.tuning.samplers import make_sampler  # noqa: E402
from gradlab.lab.tuning.search_space import SearchSpace  # noqa: E402
from gradlab.lab.tuning.settings import TuneSettings  # noqa: E402
from gradlab.lab.tuning.storage import StorageError, open_storage  # noqa: E402
from gradlab.lab.tuning.study import StudyMismatchError  # noqa: E402

SEARCH = {
    "optimizer.lr": {"type": "log_uniform", "low": 1e-5, "high": 1e-2},
    "training.batch_size": {"type": "categorical", "choices": [32, 64, 128]},
    "optimizer.name": {"type": "categorical", "choices": ["adam", "sgd"],
                       "with": {"sgd": {"optimizer.momentum": 0.9}}},
}  # fmt: skip
EPOCHS = 5


@dataclass
class FakeConfig:
    path: object = None
    extra: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)

    def with_overrides(self, overrides):
        return FakeConfig(self.path, self.extra, {**self.values, **overrides})


def goal(values) -> float:
    """The accuracy a fake run reaches: best near lr 1e-3; sgd only good with momentum."""
    lr = values.get("optimizer.lr", 1e-3)
    bonus = 0.02 if values.get("optimizer.name") == "adam" else 0.02 * values.get(
        "optimizer.momentum", 0.0)  # fmt: skip
    return 0.9 - 0.05 * (math.log10(lr) + 3) ** 2 + bonus


def curve(values) -> list[float]:
    """Rises to goal, then dips by 0.01 at the last epoch (so best != final)."""
    top = goal(values)
    points = [top * (1 - 0.5 ** (e + 1)) for e in range(EPOCHS)]
    points[-1] = points[-2] - 0.01
    return points


RUNS = []


def fake_train(config, out_dir=None, callbacks=(), verbose=0):
    trainer = SimpleNamespace(stop_training=False)
    for cb in callbacks:
        cb.set_trainer(trainer)
    ran = []
    for epoch, value in enumerate(curve(config.values)):
        ran.append(value)
        for cb in callbacks:
            cb.on_epoch_end(epoch, {"loss": 1 - value, "val_accuracy": value})
        if trainer.stop_training:
            break
    RUNS.append((dict(config.values), len(ran)))
    return SimpleNamespace(history=SimpleNamespace(history={"val_accuracy": ran}))


def make_config(path="fake/study.toml", **tune_keys):
    settings = {"metric": "val_accuracy", "seed": 0, **tune_keys}
    return FakeConfig(path, {"search": SEARCH, "tune": settings})


def test_tune_finishes_n_trials_and_the_best_is_the_max():
    result = tune(make_config(pruner="none"), trials=12, train=fake_train, verbose=0)
    trials = result.study.trials
    assert len(trials) == 12 and all(t.state.name == "COMPLETE" for t in trials)
    assert result.best_value == max(t.value for t in trials)
    assert result.space.contains(result.best_params)
    # the value is the final epoch's, and the trial trained the overrides it drew
    best = result.study.best_trial
    overrides = best.user_attrs["overrides"]
    assert best.value == pytest.approx(curve(overrides)[-1])
    assert (overrides["optimizer.name"] == "sgd") == ("optimizer.momentum" in overrides)
    assert result.best_overrides == overrides


def test_objective_best_takes_the_best_epoch():
    result = tune(make_config(pruner="none", objective="best"), trials=3, train=fake_train,
                  verbose=0)  # fmt: skip
    for trial in result.study.trials:
        assert trial.value == pytest.approx(max(curve(trial.user_attrs["overrides"])))


def test_median_pruning_stops_the_trainer_and_marks_the_trial_pruned():
    RUNS.clear()
    result = tune(make_config(pruner_startup_trials=2, pruner_warmup_epochs=1), trials=16,
                  train=fake_train, verbose=0)  # fmt: skip
    pruned = [t for t in result.study.trials if t.state.name == "PRUNED"]
    assert pruned, "trials far from lr 1e-3 must fall behind the median"
    assert result.counts["complete"] + result.counts["pruned"] == 16
    for trial in pruned:
        epochs = len(trial.user_attrs["curve"])
        assert 2 <= epochs < EPOCHS  # warm-up epoch 0 is never pruned; stopped early
        assert max(trial.intermediate_values) == epochs - 1
    # the fake trainer saw stop_training and stopped: its runs are as short as the curves
    assert sorted(n for _, n in RUNS if n < EPOCHS) == sorted(
        len(t.user_attrs["curve"]) for t in pruned)  # fmt: skip


def test_pruning_callback_prunes_a_diverged_run_and_names_missing_metrics():
    trial = SimpleNamespace(report=lambda *a, **k: None, should_prune=lambda: False)
    callback = PruningCallback(trial, "val_accuracy")
    callback.set_trainer(SimpleNamespace(stop_training=False))
    callback.on_epoch_end(0, {"val_accuracy": float("nan")})
    assert callback.pruned_at == 0 and callback.trainer.stop_training
    with pytest.raises(ValueError, match=r"'val_acc' is not logged.*\['loss', 'val_accuracy'\]"):
        PruningCallback(trial, "val_acc").on_epoch_end(0, {"loss": 1.0, "val_accuracy": 0.5})


def _sqlite(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 's.db'}"


def test_a_sqlite_study_resumes_where_it_stopped(tmp_path):
    config = make_config(pruner="none")
    first = tune(config, trials=4, storage=_sqlite(tmp_path), train=fake_train, verbose=0)
    assert (tmp_path / "s.db").is_file()
    first_params = [t.params for t in first.study.trials]
    second = tune(config, trials=7, storage=_sqlite(tmp_path), train=fake_train, verbose=0)
    trials = sorted(second.study.trials, key=lambda t: t.number)
    assert [t.number for t in trials] == list(range(7))
    assert [t.params for t in trials[:4]] == first_params  # kept, not re-run
    again = tune(config, trials=7, storage=_sqlite(tmp_path), train=fake_train, verbose=0)
    assert len(again.study.trials) == 7  # nothing missing: nothing runs


def test_a_resumed_study_must_optimize_the_same_thing(tmp_path):
    tune(
        make_config(pruner="none"),
        trials=1,
        storage=_sqlite(tmp_path),
        train=fake_train,
        verbose=0,
    )
    other = make_config(pruner="none", direction="minimize")
    with pytest.raises(StudyMismatchError, match="made to maximize.*asks to minimize"):
        tune(other, trials=2, storage=_sqlite(tmp_path), train=fake_train, verbose=0)
    config = make_config(pruner="none", objective="best")
    with pytest.raises(StudyMismatchError, match="another objective"):
        tune(config, trials=2, storage=_sqlite(tmp_path), train=fake_train, verbose=0)


@pytest.mark.parametrize(
    ("url", "fragment"),
    [("nonsense", "is not a URL"),
     ("bogus://host/db", "cannot open storage bogus://host/db"),
     ("sqlite:////nonexistent-dir/x/study.db", "unable to open database file"),
     ("postgresql://user:secret@127.0.0.1:1/db", "postgresql://user:***@127.0.0.1:1/db")],
)  # fmt: skip
def test_a_bad_storage_url_is_one_line_without_the_password(url, fragment):
    with pytest.raises(StorageError) as caught:
        open_storage(url)
    message = str(caught.value)
    assert fragment in message and "\n" not in message and "secret" not in message


def test_samplers_are_seeded_and_workers_never_share_a_sequence():
    space = SearchSpace.parse(SEARCH)

    def drawn(kind, seed, n=6):
        settings = TuneSettings(seed=seed)
        study = optuna.create_study(sampler=make_sampler(kind, space, settings))
        study.optimize(lambda t: goal(space.suggest(t)), n_trials=n)
        return [t.params for t in study.trials]

    for kind in ("random", "tpe", "grid"):
        assert drawn(kind, 0) == drawn(kind, 0), kind
    assert drawn("random", 0) != drawn("random", 1)
    # seeds 0 and 1 share no draw (trial seeds are hashed, not seed + number)
    lrs0 = {p["optimizer.lr"] for p in drawn("random", 0)}
    assert not lrs0 & {p["optimizer.lr"] for p in drawn("random", 1)}


def test_grid_search_visits_every_point_once_then_stops():
    result = tune(make_config(pruner="none", grid_points=2), trials=50, sampler="grid",
                  train=fake_train, verbose=0)  # fmt: skip
    points = [tuple(sorted(t.params.items())) for t in result.study.trials]
    assert len(points) == 2 * 3 * 2 == len(set(points))  # 12 points, then the study stopped
    assert {p["optimizer.lr"] for p in (t.params for t in result.study.trials)} == {1e-5, 1e-2}


def test_outputs_best_params_report_plots_and_toml(tmp_path):
    result = tune(make_config(), trials=8, out_dir=tmp_path, train=fake_train, verbose=0)
    saved = json.loads((tmp_path / "best_params.json").read_text())
    assert saved["params"] == result.best_params and saved["best_value"] == result.best_value
    assert saved["metric"] == "val_accuracy" and saved["direction"] == "maximize"
    counts = saved["counts"]
    assert counts["complete"] + counts["pruned"] == 8
    for name in ("optimization_history.png", "param_importances.png", "report.md"):
        assert (tmp_path / name).stat().st_size > 0, name
    report = (tmp_path / "report.md").read_text()
    assert f"Trial {result.best_trial}: val_accuracy = {result.best_value:.6g}." in report
    assert "## Parameter importance" in report and "| optimizer.lr |" in report
    assert report.count("\n| ") >= 8 + 1  # one row per trial (and more tables)
    assert "best_config" not in result.files  # a FakeConfig has no raw tables to write


def test_importance_with_one_completed_trial_is_a_sentence_not_a_crash(tmp_path):
    result = tune(make_config(pruner="none"), trials=1, out_dir=tmp_path, train=fake_train,
                  verbose=0)  # fmt: skip
    report = (tmp_path / "report.md").read_text()
    assert "Parameter importance needs at least two completed trials" in report
    assert "param_importances" not in result.files
    assert (tmp_path / "optimization_history.png").is_file()


def test_to_toml_round_trips():
    sections = {"optimizer": {"name": "sgd", "lr": 1e-05, "momentum": 0.9, "nesterov": False,
                              "betas": [0.9, 0.999], "skip": None},
                "callbacks": {"early_stopping": {"patience": 3, "monitor": "val_loss"}},
                "data": {"name": 'quote " and \\ backslash', "n": 7}}  # fmt: skip
    back = tomllib.loads(to_toml(sections))
    sections["optimizer"].pop("skip")
    assert back == sections
