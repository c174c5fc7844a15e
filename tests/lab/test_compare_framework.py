"""The `gradlab compare` framework: the registry, options, bad input, the missing-dependency
message, the summary helpers and the per-layer gradient callback."""

import argparse
import sys

import numpy as np
import pytest

import gradlab
from gradlab import nn
from gradlab.commands import compare
from gradlab.lab.compare import EXPERIMENTS, CompareError, get_experiment, resolve_options
from gradlab.lab.compare.callbacks import LayerGradients, StopOnNaN
from gradlab.lab.compare.experiment import stack_ragged
from gradlab.lab.compare.output import cell, text_table
from gradlab.train import Trainer


def run(*argv) -> int:
    parser = argparse.ArgumentParser(prog="gradlab")
    compare.add_parser(parser.add_subparsers(dest="command"))
    args, extras = parser.parse_known_args(["compare", *argv, "--no-progress"])
    return args.handler(args, extras)


def test_registry_and_help_agree(capsys):
    assert list(EXPERIMENTS)[:5] == ["activations", "optimizers", "schedules", "losses",
                                     "initializers"]  # fmt: skip
    for name in list(EXPERIMENTS)[:5]:
        experiment = get_experiment(name)
        assert experiment.name == name and experiment.summary and experiment.notes
        assert experiment.default_data in experiment.datasets
    with pytest.raises(SystemExit):
        run("--help")
    shown = capsys.readouterr().out
    assert "usage: gradlab compare" in shown and "--epochs N" in shown
    for name in EXPERIMENTS:  # every registered experiment, with its summary
        assert f"\n  {name} " in shown
    assert "ReLU, sigmoid, tanh, leaky ReLU, ELU, swish" in shown


def test_unknown_experiment_lists_the_valid_ones(capsys):
    assert run("nope") == 2
    err = capsys.readouterr().err
    assert "unknown experiment 'nope'" in err
    for name in EXPERIMENTS:
        assert name in err
    with pytest.raises(CompareError, match="choose one of: activations, optimizers"):
        get_experiment("nope")


def test_no_experiment_and_list(capsys):
    assert run() == 2
    assert "choose an experiment: activations, optimizers" in capsys.readouterr().err
    assert run("--list") == 0
    listed = capsys.readouterr().out
    for name in EXPERIMENTS:
        assert f"{name}: " in listed
    assert "auto, cifar10, digits" in listed


def test_bad_options(tmp_path, capsys):
    assert run("activations", "--epochs", "0", "--out", str(tmp_path)) == 2
    assert "--epochs must be a positive integer, got 0" in capsys.readouterr().err
    assert run("activations", "--limit", "-3", "--out", str(tmp_path)) == 2
    assert "--limit must be an integer >= 0" in capsys.readouterr().err
    assert run("activations", "--variants", "relu,bogus", "--epochs", "1",
               "--out", str(tmp_path)) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "unknown variant(s) 'bogus'" in err and "relu, sigmoid, tanh" in err
    assert not (tmp_path / "report.md").exists()


def test_resolve_options_defaults():
    experiment = get_experiment("activations")
    options = resolve_options(experiment)
    assert (options.data, options.epochs, options.seeds) == ("digits", 15, 3)
    assert options.limit is None and str(options.out) == "runs/compare-activations"
    assert resolve_options(experiment, limit=0).limit is None
    assert resolve_options(experiment, limit=50, epochs=2, seeds=1).limit == 50


def test_missing_matplotlib_names_the_extra(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    assert run("activations", "--epochs", "1", "--out", str(tmp_path)) == 1
    err = capsys.readouterr().err
    assert "matplotlib is not installed" in err
    assert "pip install 'gradlab[lab]'" in err
    assert not (tmp_path / "report.md").exists()


def test_variant_subset(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    pytest.importorskip("sklearn")
    out = tmp_path / "sub"
    assert run("activations", "--variants", "relu,tanh", "--epochs", "1", "--seeds", "1",
               "--limit", "100", "--out", str(out)) == 0  # fmt: skip
    report = (out / "report.md").read_text()
    assert "| relu |" in report and "| tanh |" in report and "| sigmoid |" not in report
    assert f"report: {out / 'report.md'}" in capsys.readouterr().out


def test_summary_helpers():
    assert cell(np.array([0.5])) == "0.5"
    assert cell(np.array([1.0, 3.0])) == "2 ± 1"
    assert cell(np.array([1.0, np.nan])) == "1 (1/2)"
    assert cell(np.array([np.nan]), missing="never") == "never"
    table = text_table(["a", "bb"], [["xyz", "1"]]).splitlines()
    assert table == ["a    bb", "---  --", "xyz  1"]
    stacked = stack_ragged([[1, 2], [3]])
    np.testing.assert_array_equal(stacked, [[1, 2], [3, np.nan]])


def test_layer_gradients_match_hand_computed_backprop():
    """Linear(3, 4) → Linear(4, 2) with MSE: ∂L/∂z2 = 2(z2 − y)/(N·2), ∂L/∂z1 = ∂L/∂z2 W2."""
    gradlab.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 3)).astype(np.float32)
    y = rng.standard_normal((5, 2)).astype(np.float32)
    w1, b1 = model[0].weight.numpy().astype(np.float64), model[0].bias.numpy().astype(np.float64)
    w2, b2 = model[1].weight.numpy().astype(np.float64), model[1].bias.numpy().astype(np.float64)
    z1 = x @ w1.T + b1
    z2 = z1 @ w2.T + b2
    d2 = 2 * (z2 - y) / z2.size
    d1 = d2 @ w2
    gradients = LayerGradients([("0", model[0]), ("1", model[1])])
    trainer = Trainer(model, nn.MSELoss(), gradlab.optim.SGD(model.parameters(), lr=0.1),
                      callbacks=[gradients])  # fmt: skip
    trainer.fit(x, y, epochs=1, batch_size=5, shuffle=False, verbose=0)
    np.testing.assert_allclose(gradients.at_init["signal"],
                               [np.linalg.norm(d1), np.linalg.norm(d2)], rtol=1e-4)  # fmt: skip
    np.testing.assert_allclose(gradients.at_init["weight"],
                               [np.linalg.norm(d1.T @ x), np.linalg.norm(d2.T @ z1)],
                               rtol=1e-4)  # fmt: skip
    assert gradients.signal == [gradients.at_init["signal"]]  # one batch in the epoch
    assert gradients._handles == []  # hooks removed after training


def test_stop_on_nan_stops_quietly(capsys):
    gradlab.manual_seed(0)
    model = nn.Linear(2, 1)
    x = np.array([[1.0, 2.0], [np.inf, 0.0]], dtype=np.float32)
    y = np.zeros((2, 1), dtype=np.float32)
    stop = StopOnNaN()
    with np.errstate(invalid="ignore", over="ignore"):
        trainer = Trainer(model, nn.MSELoss(), gradlab.optim.SGD(model.parameters(), lr=0.1),
                          callbacks=[stop])  # fmt: skip
        history = trainer.fit(x, y, epochs=3, batch_size=1, shuffle=False, verbose=0)
    assert stop.stopped_at == (1, 2)
    assert len(history.history["loss"]) == 1
    assert capsys.readouterr().out == ""


def test_through_the_gradlab_command(monkeypatch, capsys):
    from gradlab import cli

    if compare not in cli.SUBCOMMANDS:  # until the lead lists it
        monkeypatch.setattr(cli, "SUBCOMMANDS", [*cli.SUBCOMMANDS, compare])
    assert cli.main(["compare", "--list"]) == 0
    assert "activations: ReLU, sigmoid" in capsys.readouterr().out
    assert cli.main(["compare", "activations", "--bogus"]) == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err
