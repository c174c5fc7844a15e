"""What training shows where: a terminal keeps its bar and per-epoch lines, a notebook gets a
live bar per epoch that ends with the epoch's loss and metrics (tqdm's widget with ipywidgets,
text otherwise), anything else one line per epoch; compare, tune and the lr range test share
the same bars."""

import numpy as np
import pytest

import gradlab
from gradlab import nn, optim
from gradlab.train import Trainer
from gradlab.train import progress as P


class FakeBar:
    """Stands in for tqdm's notebook widget: records what the bar was told."""

    made = []

    def __init__(self, total, desc, unit="it", leave=True):
        self.total, self.desc, self.n, self.postfix, self.closed = total, desc, 0, "", False
        FakeBar.made.append(self)

    def update(self, n=1):
        self.n += n

    def set_postfix(self, refresh=True, **values):
        self.postfix = ", ".join(f"{k}={v}" for k, v in values.items())

    def set_postfix_str(self, text, refresh=True):
        self.postfix = text

    def close(self):
        self.closed = True


@pytest.fixture
def notebook(monkeypatch):
    """A Jupyter kernel with ipywidgets, as far as gradlab can tell."""
    FakeBar.made = []
    monkeypatch.setattr(P, "in_notebook", lambda: True)
    monkeypatch.setattr(P, "_widget_tqdm", lambda: FakeBar)
    return FakeBar.made


def _fit(verbose=1, epochs=2, **kwargs):
    gradlab.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = nn.Linear(3, 2)
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                      metrics=["accuracy"])  # fmt: skip
    return trainer.fit(x, y, epochs=epochs, batch_size=10, validation_split=0.25,
                       verbose=verbose, **kwargs)  # fmt: skip


def test_display_mode(monkeypatch):
    assert P.display_mode() == "plain"  # pytest captures stdout: not a tty

    class Tty:
        def isatty(self):
            return True

    assert P.display_mode(Tty()) == "terminal"
    monkeypatch.setattr(P, "in_notebook", lambda: True)
    assert P.display_mode(Tty()) == "notebook"


def test_fit_in_a_notebook_draws_a_widget_bar_per_epoch_with_loss_and_metrics(notebook, capsys):
    history = _fit()
    assert [bar.desc for bar in notebook] == ["Epoch 1/2", "Epoch 2/2"]
    for epoch, bar in enumerate(notebook):
        assert bar.closed and bar.total == 3 and bar.n == 3  # 30 training samples, batch 10
        logs = history.logs(epoch)
        assert bar.postfix == " - ".join(
            f"{k}: {logs[k]:.4g}" for k in ("loss", "accuracy", "val_loss", "val_accuracy", "lr")
        )
    assert capsys.readouterr().out == ""  # no extra lines: the bars hold the values


def test_fit_in_a_notebook_without_ipywidgets_draws_a_text_bar(monkeypatch, capsys):
    monkeypatch.setattr(P, "in_notebook", lambda: True)
    monkeypatch.setattr(P, "_widget_tqdm", lambda: None)
    history = _fit()
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "3/3" in out
    last = history.logs()
    assert f"val_accuracy: {last['val_accuracy']:.4g}" in out.splitlines()[-1]


def test_fit_off_a_terminal_prints_one_line_per_epoch(capsys):
    history = _fit()
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("Epoch 1/2 - loss: ")
    assert f"accuracy: {history.logs(0)['accuracy']:.4g}" in lines[0]
    _fit(verbose=0)
    assert capsys.readouterr().out == ""


def test_terminal_keeps_its_bar_and_epoch_line(capsys):
    show = P.Progress(1, 2, 3, mode="terminal")
    bar = show.bar(0)
    for loss in (0.9, 0.8, 0.7):
        bar.update(loss)
    bar.close()
    show.epoch_end(0, {"loss": 0.8, "accuracy": 0.5})
    show.close()
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "3/3" in out and "loss=0.7000" in out
    assert out.rstrip().endswith("Epoch 1/2 - loss: 0.8 - accuracy: 0.5")


def test_verbose_2_is_one_line_per_epoch_in_a_notebook(notebook, capsys):
    _fit(verbose=2)
    assert notebook == [] and capsys.readouterr().out.count("Epoch ") == 2


def test_a_bar_left_open_is_closed(notebook):
    show = P.Progress(1, 3, 4)
    bar = show.bar(0, initial=2)
    bar.update(logs={"loss": 0.5, "mae": 0.25})
    assert notebook[0].n == 3 and notebook[0].postfix == "loss: 0.5, mae: 0.25"
    show.bar(1)  # the next epoch began before epoch_end: the first bar is finished
    assert notebook[0].closed and not notebook[1].closed
    show.close()
    assert notebook[1].closed


def test_progress_bar_is_the_widget_in_a_notebook_and_text_elsewhere(notebook):
    bar = P.progress_bar(5, "compare", unit="epoch")
    assert isinstance(bar, FakeBar) and bar.desc == "compare"
    text = P.progress_bar(5, "compare", mode="plain", disable=True)
    assert not isinstance(text, FakeBar)
    text.close()


def test_lr_range_test_shows_a_bar_in_a_notebook(notebook):
    from gradlab.explain import lr_range_test

    gradlab.manual_seed(0)
    x = np.random.default_rng(0).normal(size=(32, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = nn.Linear(3, 2)
    result = lr_range_test(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                           x, y, steps=12, batch_size=8)  # fmt: skip
    (bar,) = notebook
    assert bar.desc == "lr range test" and bar.closed and bar.n == len(result.lrs)
    assert bar.postfix.startswith(f"lr {result.lrs[-1]:.3g}, loss ")


def test_compare_ticker_shows_the_run_and_its_last_values():
    from gradlab.lab.compare.runner import _ticker

    bar = FakeBar(3, "compare")
    tick = _ticker(bar, "adam, seed 0")
    tick({"loss": 0.5, "val_loss": 0.75, "val_accuracy": 0.9, "lr": 0.001})
    assert bar.n == 1
    assert bar.postfix == "adam, seed 0, loss: 0.5, val_loss: 0.75, val_accuracy: 0.9"


def test_tune_trial_bar_counts_finished_trials_with_the_best_value(notebook):
    optuna = pytest.importorskip("optuna")
    from gradlab.lab.tuning.study import _TrialBar

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    with _TrialBar(study, 4, "demo", None) as trials:
        study.optimize(lambda t: (t.suggest_float("a", 0, 1) - 0.5) ** 2, n_trials=4,
                       callbacks=trials.callbacks)  # fmt: skip
    (bar,) = notebook
    assert bar.desc == "tune demo" and bar.n == 4 and bar.closed
    assert bar.postfix.startswith("trial 3: complete ")
    assert bar.postfix.endswith(f", best {study.best_value:.4g}")
    with _TrialBar(study, 4, "demo", None) as again:  # nothing left to run: no bar
        assert again.bar is None and again.callbacks == []
