"""Trainer.fit / evaluate / predict: accuracy on digits, determinism, input errors, History."""

import math

import numpy as np
import pytest

import gradlab
from gradlab import nn, optim
from gradlab.data import DataLoader, TensorDataset, load_digits, train_test_split
from gradlab.optim.lr_scheduler import ReduceLROnPlateau, StepLR
from gradlab.train.history import History
from gradlab.train.trainer import Trainer


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits()
    return train_test_split(X / 16, y, test_size=0.25, seed=0, stratify=True)


def _mlp(seed=0, hidden=128):
    gradlab.manual_seed(seed)
    return nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10))


def _trainer(model, lr=3e-3, **kwargs):
    return Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=lr), **kwargs)


def test_mlp_on_digits_reaches_97_percent(digits):
    Xtr, Xte, ytr, yte = digits
    model = _mlp()
    trainer = _trainer(model, metrics=["accuracy"])
    history = trainer.fit(Xtr, ytr, epochs=30, batch_size=32, verbose=0)
    assert len(history.history["loss"]) == 30 and history.epoch == list(range(30))
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["lr"] == [3e-3] * 30
    result = trainer.evaluate(Xte, yte)
    assert set(result) == {"loss", "accuracy"}
    assert result["accuracy"] >= 0.97
    pred = trainer.predict(Xte)
    assert isinstance(pred, np.ndarray) and pred.shape == (len(Xte), 10)
    assert np.mean(pred.argmax(1) == yte) == pytest.approx(result["accuracy"])
    assert model.training  # fit leaves the model in train mode; evaluate restores it


def test_validation_metrics_and_metric_names(digits):
    Xtr, Xte, ytr, yte = digits
    trainer = _trainer(_mlp(hidden=16), metrics=["accuracy", "precision", "recall", "f1"])
    h = trainer.fit(Xtr, ytr, epochs=2, validation_data=(Xte, yte), verbose=0).history
    assert set(h) == {"loss", "accuracy", "precision", "recall", "f1", "val_loss",
                      "val_accuracy", "val_precision", "val_recall", "val_f1", "lr"}  # fmt: skip
    ev = trainer.evaluate(Xte, yte)
    assert ev["loss"] == pytest.approx(h["val_loss"][-1])
    assert ev["f1"] == pytest.approx(h["val_f1"][-1])
    out = trainer.predict(Xte).argmax(1)
    assert ev["f1"] == pytest.approx(gradlab.train.metrics.f1(yte, out, average="macro"))


def test_inputs_tensor_dataset_loader_give_same_history(digits):
    Xtr, _, ytr, _ = digits
    Xtr, ytr = Xtr[:200].astype(np.float32), ytr[:200]
    runs = []
    for kind in ("numpy", "tensor", "dataset", "loader"):
        trainer = _trainer(_mlp(hidden=8))
        if kind == "numpy":
            args = (Xtr, ytr)
        elif kind == "tensor":
            args = (gradlab.tensor(Xtr), gradlab.tensor(ytr))
        elif kind == "dataset":
            args = (TensorDataset(Xtr, ytr),)
        else:
            args = (DataLoader(TensorDataset(Xtr, ytr), batch_size=32),)
        runs.append(trainer.fit(*args, epochs=2, shuffle=False, verbose=0).history["loss"])
    for r in runs[1:]:
        np.testing.assert_allclose(r, runs[0], rtol=1e-6)


def test_same_seed_same_history_different_seed_different(digits):
    Xtr, Xte, ytr, yte = digits

    def run(seed):
        model = _mlp(seed, hidden=16)
        g = np.random.default_rng(seed)
        t = _trainer(model, metrics=["accuracy"])
        return t.fit(Xtr, ytr, epochs=3, validation_data=(Xte, yte), verbose=0, generator=g).history

    a, b, c = run(1), run(1), run(2)
    assert a == b
    assert a["loss"] != c["loss"]


def test_validation_split_takes_the_last_fraction(digits):
    Xtr, _, ytr, _ = digits
    X, y = Xtr[:100], ytr[:100]
    t = _trainer(_mlp(hidden=8))
    h = t.fit(X, y, epochs=1, validation_split=0.2, verbose=0).history
    assert h["val_loss"][0] == pytest.approx(t.evaluate(X[80:], y[80:])["loss"])


def test_scheduler_steps_per_epoch_and_plateau_gets_val_loss(digits):
    Xtr, Xte, ytr, yte = digits
    model = _mlp(hidden=8)
    opt = optim.SGD(model.parameters(), lr=0.1)
    t = Trainer(model, nn.CrossEntropyLoss(), opt, scheduler=StepLR(opt, step_size=1, gamma=0.5))
    h = t.fit(Xtr[:64], ytr[:64], epochs=3, verbose=0).history
    assert h["lr"] == pytest.approx([0.1, 0.05, 0.025])
    opt = optim.SGD(model.parameters(), lr=0.0)  # lr 0: val_loss never improves
    plateau = ReduceLROnPlateau(opt, patience=0, factor=0.5)
    t = Trainer(model, nn.CrossEntropyLoss(), opt, scheduler=plateau)
    t.fit(Xtr[:64], ytr[:64], epochs=2, validation_data=(Xte[:32], yte[:32]), verbose=0)
    assert plateau.best == pytest.approx(t.evaluate(Xte[:32], yte[:32])["loss"])


def test_binary_and_regression_outputs():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    gradlab.manual_seed(0)
    for loss, last in ((nn.BCEWithLogitsLoss(), []), (nn.BCELoss(), [nn.Sigmoid()])):
        model = nn.Sequential(nn.Linear(2, 1), *last)
        t = Trainer(model, loss, optim.Adam(model.parameters(), lr=0.05), metrics=["accuracy"])
        h = t.fit(X, y, epochs=20, verbose=0).history
        assert h["accuracy"][-1] >= 0.95
    target = (X @ np.array([2.0, -1.0]) + 0.5).astype(np.float32)
    model = nn.Linear(2, 1)
    t = Trainer(model, nn.MSELoss(), optim.Adam(model.parameters(), lr=0.05),
                metrics=["mae", "rmse", "r2"])  # fmt: skip
    h = t.fit(X, target, epochs=40, verbose=0).history
    assert h["r2"][-1] > 0.99 and h["rmse"][-1] < 0.2
    assert t.evaluate(X, target)["mae"] == pytest.approx(
        float(np.mean(np.abs(t.predict(X)[:, 0] - target))), rel=1e-5
    )


# ---------------------------------------------------------------------- bad input
def test_bad_inputs_fail_before_training(digits):
    Xtr, _, ytr, _ = digits
    model = _mlp(hidden=8)
    before = {k: v.copy() for k, v in model.state_dict().items()}
    t = _trainer(model)
    with pytest.raises(ValueError, match="x has 100 samples.*y has 99"):
        t.fit(Xtr[:100], ytr[:99], verbose=0)
    with pytest.raises(ValueError, match="empty"):
        t.fit(Xtr[:0], ytr[:0], verbose=0)
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        t.fit(Xtr, ytr, batch_size=0, verbose=0)
    with pytest.raises(ValueError, match=r"fit: the model cannot take samples of shape \(63,\)"):
        t.fit(Xtr[:, :63], ytr, verbose=0)
    bad = ytr.copy()
    bad[5] = 12
    with pytest.raises(
        ValueError, match=r"labels out of range for CrossEntropyLoss.*10 classes.*12"
    ):
        t.fit(Xtr, bad, verbose=0)
    bad[5] = -1
    with pytest.raises(ValueError, match="labels out of range"):
        t.fit(Xtr, bad, verbose=0)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_unknown_metric_and_bad_split():
    model = _mlp(hidden=4)
    with pytest.raises(ValueError, match="unknown metric 'acuracy'"):
        _trainer(model, metrics=["acuracy"])
    with pytest.raises(ValueError, match="validation_split"):
        _trainer(model).fit(np.zeros((10, 64)), np.zeros(10, np.int64), validation_split=1.5)


# ---------------------------------------------------------------------- output
def test_verbose_zero_prints_nothing(digits, capsys):
    Xtr, Xte, ytr, yte = digits
    _trainer(_mlp(hidden=8), metrics=["accuracy"]).fit(
        Xtr[:64], ytr[:64], epochs=2, validation_data=(Xte[:16], yte[:16]), verbose=0
    )
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_verbose_one_prints_one_line_per_epoch_without_a_terminal(digits, capsys):
    Xtr, _, ytr, _ = digits
    _trainer(_mlp(hidden=8), metrics=["accuracy"]).fit(Xtr[:64], ytr[:64], epochs=3, verbose=1)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("Epoch 1/3 - loss: ") and "accuracy: " in lines[0]


# ---------------------------------------------------------------------- History
def test_history_csv_and_json_round_trip(tmp_path):
    h = History()
    h.append(0, {"loss": 1.5, "accuracy": 0.25, "lr": 0.1})
    h.append(1, {"loss": math.nan, "accuracy": 0.5, "lr": 0.1, "val_loss": math.inf})
    h.to_json(tmp_path / "h.json")
    h.to_csv(tmp_path / "h.csv")
    for back in (History.from_json(tmp_path / "h.json"), History.from_csv(tmp_path / "h.csv")):
        assert back.epoch == [0, 1]
        assert back.history["accuracy"] == [0.25, 0.5]
        assert back.history["loss"][0] == 1.5 and math.isnan(back.history["loss"][1])
        assert math.isnan(back.history["val_loss"][0]) and back.history["val_loss"][1] == math.inf
    state = h.state_dict()
    other = History()
    other.load_state_dict(state)
    assert other.epoch == h.epoch and other.history["accuracy"] == h.history["accuracy"]
    assert (tmp_path / "h.csv").read_text().splitlines()[0] == "epoch,accuracy,loss,lr,val_loss"


def test_verbose_one_on_a_terminal_shows_a_progress_bar(digits, capsys, monkeypatch):
    Xtr, _, ytr, _ = digits
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    _trainer(_mlp(hidden=8)).fit(Xtr[:64], ytr[:64], epochs=2, batch_size=32, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "2/2" in out and "loss=" in out
    assert "Epoch 2/2 - loss: " in out


def test_predict_and_evaluate_take_a_dataset(digits):
    Xtr, Xte, ytr, yte = digits
    t = _trainer(_mlp(hidden=8), metrics=["accuracy"])
    ds = TensorDataset(Xte.astype(np.float32), yte)
    # other batch sizes sum in another order: float32 tolerance
    np.testing.assert_allclose(t.predict(ds, batch_size=7), t.predict(Xte), rtol=1e-4, atol=1e-5)
    assert t.evaluate(ds) == pytest.approx(t.evaluate(Xte, yte))


def test_multiclass_focal_loss_takes_class_indices(digits):
    """FocalLoss on (N, C) logits gets integer labels as class indices (not floats), its
    labels are range-checked like CrossEntropyLoss's, and it learns digits."""
    Xtr, Xte, ytr, yte = digits
    model = _mlp()
    trainer = Trainer(
        model, nn.FocalLoss(gamma=2.0), optim.Adam(model.parameters(), lr=3e-3),
        metrics=["accuracy"],
    )  # fmt: skip
    trainer.fit(Xtr, ytr, epochs=5, batch_size=64, verbose=0)
    assert trainer.evaluate(Xte, yte)["accuracy"] >= 0.9
    with pytest.raises(ValueError, match=r"labels out of range for FocalLoss.*\[0, 10\)"):
        trainer.fit(Xtr, np.where(ytr == 3, 10, ytr), epochs=1, verbose=0)
