"""Callbacks: hook order, early stopping, checkpoints, NaN termination, lr, CSV, grad flow."""

import csv

import numpy as np
import pytest

import gradlab
from gradlab import nn, optim
from gradlab.data import load_digits, train_test_split
from gradlab.optim.lr_scheduler import StepLR
from gradlab.train import checkpoint
from gradlab.train.callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    GradientFlow,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from gradlab.train.trainer import Trainer


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits()
    return train_test_split(X / 16, y, test_size=0.25, seed=0, stratify=True)


def _mlp(seed=0, hidden=16):
    gradlab.manual_seed(seed)
    return nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10))


class Recorder(Callback):
    """Records every hook call and a copy of the weights at each epoch end."""

    def __init__(self):
        self.calls, self.weights = [], []

    def on_train_begin(self, logs=None):
        self.calls.append("train_begin")

    def on_train_end(self, logs=None):
        self.calls.append("train_end")

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(f"epoch_begin {epoch}")

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(f"epoch_end {epoch} {sorted(logs)}")
        self.weights.append({k: v.copy() for k, v in self.trainer.model.state_dict().items()})

    def on_batch_begin(self, batch, logs=None):
        self.calls.append(f"batch_begin {batch}")

    def on_batch_end(self, batch, logs=None):
        self.calls.append(f"batch_end {batch} {sorted(logs)}")


def _assert_state_equal(a, b):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(np.asarray(a[k]), np.asarray(b[k]))


def test_hooks_are_called_in_order(digits):
    Xtr, Xte, ytr, yte = digits
    rec = Recorder()
    model = _mlp()
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                      metrics=["accuracy"], callbacks=[rec])  # fmt: skip
    trainer.fit(Xtr[:20], ytr[:20], epochs=2, batch_size=10, verbose=0,
                validation_data=(Xte[:10], yte[:10]))  # fmt: skip
    assert rec.trainer is trainer
    keys = ["accuracy", "loss", "lr", "val_accuracy", "val_loss"]
    batch = ["batch", "loss", "size"]

    def epoch(e):
        return [f"epoch_begin {e}", "batch_begin 0", f"batch_end 0 {batch}",
                "batch_begin 1", f"batch_end 1 {batch}", f"epoch_end {e} {keys}"]  # fmt: skip

    assert rec.calls == ["train_begin", *epoch(0), *epoch(1), "train_end"]


def test_base_callback_is_a_no_op():
    cb = Callback()
    for hook in ("on_train_begin", "on_train_end"):
        assert getattr(cb, hook)({}) is None
    for hook in ("on_epoch_begin", "on_epoch_end", "on_batch_begin", "on_batch_end"):
        assert getattr(cb, hook)(0, {}) is None
    assert cb.state_dict() == {}
    cb.load_state_dict({})
    with pytest.raises(TypeError, match="Callback objects"):
        Trainer(_mlp(), nn.CrossEntropyLoss(), None, callbacks=[object()])


# ---------------------------------------------------------------------- EarlyStopping
def test_early_stopping_on_overfitting_restores_best_weights(digits):
    Xtr, Xte, ytr, yte = digits
    rec = Recorder()
    stop = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    model = _mlp(hidden=64)
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-2),
                      callbacks=[rec, stop])  # fmt: skip
    h = trainer.fit(Xtr[:60], ytr[:60], epochs=200, batch_size=20, verbose=0,
                    validation_data=(Xte, yte)).history  # fmt: skip
    n = len(h["val_loss"])
    assert n < 200
    best = int(np.argmin(h["val_loss"]))
    assert stop.best_epoch == best and stop.stopped_epoch == n - 1 == best + 3
    assert stop.best == h["val_loss"][best]
    _assert_state_equal(model.state_dict(), rec.weights[best])
    assert trainer.evaluate(Xte, yte)["loss"] == pytest.approx(h["val_loss"][best], rel=1e-6)


def test_early_stopping_min_delta_mode_and_no_restore(digits):
    Xtr, _, ytr, _ = digits
    rec = Recorder()
    stop = EarlyStopping(monitor="accuracy", min_delta=2.0, patience=2)  # never improves by 2
    assert stop.mode == "max"
    model = _mlp()
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-2),
                      metrics=["accuracy"], callbacks=[rec, stop])  # fmt: skip
    h = trainer.fit(Xtr[:60], ytr[:60], epochs=10, batch_size=20, verbose=0).history
    assert len(h["loss"]) == 3 and stop.best_epoch == 0 and stop.stopped_epoch == 2
    _assert_state_equal(model.state_dict(), rec.weights[-1])  # not restored
    state = stop.state_dict()
    other = EarlyStopping(monitor="accuracy")
    other.load_state_dict(state)
    assert (other.wait, other.best, other.best_epoch) == (stop.wait, stop.best, 0)


def test_early_stopping_missing_monitor_lists_logged_names(digits):
    Xtr, _, ytr, _ = digits
    model = _mlp()
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                      callbacks=[EarlyStopping()])  # fmt: skip
    with pytest.raises(
        ValueError, match=r"monitor='val_loss' is not in the logs.*\['loss', 'lr'\]"
    ):
        trainer.fit(Xtr[:20], ytr[:20], epochs=2, verbose=0)


# ---------------------------------------------------------------------- NaN + checkpoints
class NaNAfter(nn.Module):
    """The MLP, but the ``nan_at``-th training forward call returns NaN."""

    def __init__(self, nan_at):
        super().__init__()
        self.net = _mlp()
        self.nan_at, self.calls = nan_at, 0

    def forward(self, x):
        out = self.net(x)
        if self.training:
            self.calls += 1
            if self.calls == self.nan_at:
                return out * float("nan")
        return out


def test_terminate_on_nan_keeps_last_good_checkpoint(digits, tmp_path, capsys):
    Xtr, Xte, ytr, yte = digits
    path = tmp_path / "last.safetensors"
    rec, nan = Recorder(), TerminateOnNaN()
    model = NaNAfter(nan_at=4 * 2 + 3)  # 4 batches per epoch: epoch 3, batch 3
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-2),
                      metrics=["accuracy"],
                      callbacks=[rec, nan, ModelCheckpoint(path, monitor="loss")])  # fmt: skip
    h = trainer.fit(Xtr[:200], ytr[:200], epochs=10, batch_size=50, verbose=0,
                    validation_data=(Xte[:20], yte[:20])).history  # fmt: skip
    assert nan.message == "TerminateOnNaN: loss is nan at epoch 3, batch 3; stopping training"
    assert nan.message in capsys.readouterr().out
    assert len(h["loss"]) == 3 and np.isnan(h["loss"][2]) and np.isfinite(h["loss"][1])
    assert model.calls == 11  # stopped right after the NaN batch
    assert not np.isfinite(model.net[0].weight.numpy()).all()  # the NaN step did happen
    _assert_state_equal(checkpoint.load(path), rec.weights[1])  # epoch 2's weights


def test_model_checkpoint_save_best_only_and_path_format(digits, tmp_path):
    Xtr, Xte, ytr, yte = digits
    rec = Recorder()
    best = ModelCheckpoint(tmp_path / "best.safetensors", monitor="val_accuracy",
                           save_best_only=True)  # fmt: skip
    every = ModelCheckpoint(tmp_path / "e{epoch:02d}.safetensors")
    model = _mlp()
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-2),
                      metrics=["accuracy"], callbacks=[rec, best, every])  # fmt: skip
    h = trainer.fit(Xtr[:100], ytr[:100], epochs=4, batch_size=25, verbose=0,
                    validation_data=(Xte[:50], yte[:50])).history  # fmt: skip
    assert sorted(p.name for p in tmp_path.glob("e*")) == [
        f"e0{i}.safetensors" for i in (1, 2, 3, 4)
    ]
    _assert_state_equal(checkpoint.load(tmp_path / "e02.safetensors"), rec.weights[1])
    i = int(np.argmax(h["val_accuracy"]))
    _assert_state_equal(checkpoint.load(tmp_path / "best.safetensors"), rec.weights[i])
    assert best.best == h["val_accuracy"][i]


# ---------------------------------------------------------------------- lr callbacks
def test_learning_rate_scheduler_per_epoch_batch_and_function(digits):
    Xtr, _, ytr, _ = digits
    model = _mlp()
    for per, expected in (("epoch", [0.1, 0.05, 0.025]), ("batch", [0.1, 0.025, 0.00625])):
        opt = optim.SGD(model.parameters(), lr=0.1)
        cb = LearningRateScheduler(StepLR(opt, step_size=1, gamma=0.5), per=per)
        h = Trainer(model, nn.CrossEntropyLoss(), opt, callbacks=[cb]).fit(
            Xtr[:40], ytr[:40], epochs=3, batch_size=20, verbose=0
        )
        assert h.history["lr"] == pytest.approx(expected)
    opt = optim.SGD(model.parameters(), lr=1.0)
    cb = LearningRateScheduler(lambda epoch, lr: 0.5 / (epoch + 1))
    h = Trainer(model, nn.CrossEntropyLoss(), opt, callbacks=[cb]).fit(
        Xtr[:40], ytr[:40], epochs=3, verbose=0
    )
    assert h.history["lr"] == pytest.approx([0.5, 0.25, 0.5 / 3])
    with pytest.raises(ValueError, match="per must be"):
        LearningRateScheduler(None, per="step")


def test_one_step_for_a_plateau_scheduler_in_trainer_and_callback(digits):
    """optim's ReduceLROnPlateau is stepped with the monitored loss both ways: given to the
    Trainer and through the LearningRateScheduler callback (the one ``advance``)."""
    Xtr, _, ytr, _ = digits
    lrs = []
    for use_callback in (False, True):
        model = _mlp()
        opt = optim.SGD(model.parameters(), lr=0.1)
        plateau = optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0, threshold=10)
        trainer = (
            Trainer(model, nn.CrossEntropyLoss(), opt, callbacks=[LearningRateScheduler(plateau)])
            if use_callback
            else Trainer(model, nn.CrossEntropyLoss(), opt, scheduler=plateau)
        )
        h = trainer.fit(Xtr[:40], ytr[:40], epochs=3, batch_size=20, verbose=0)
        lrs.append(h.history["lr"])
    # threshold 10 (relative): no epoch counts as better, so each one cuts the lr
    assert lrs[0] == lrs[1] == pytest.approx([0.1, 0.05, 0.025])


def test_reduce_lr_on_plateau_callback(digits):
    Xtr, _, ytr, _ = digits
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    cb = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=10.0)
    # better only when 10 below best
    h = Trainer(model, nn.CrossEntropyLoss(), opt, callbacks=[cb]).fit(
        Xtr[:40], ytr[:40], epochs=4, verbose=0
    )
    # epoch 0 sets best (from inf); every later epoch is bad and, with patience 0, cuts
    assert h.history["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.025])
    assert opt.param_groups[0]["lr"] == pytest.approx(0.0125)  # the cut after epoch 3
    assert cb.state_dict()["wait"] == 0


# ---------------------------------------------------------------------- CSV, gradient flow
def test_csv_logger_matches_history(digits, tmp_path):
    Xtr, Xte, ytr, yte = digits
    path = tmp_path / "log.csv"
    model = _mlp()
    h = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                metrics=["accuracy"], callbacks=[CSVLogger(path)]).fit(
        Xtr[:40], ytr[:40], epochs=3, verbose=0, validation_data=(Xte[:20], yte[:20]))  # fmt: skip
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2]
    assert list(rows[0]) == ["epoch", "accuracy", "loss", "lr", "val_accuracy", "val_loss"]
    for name, values in h.history.items():
        assert [float(r[name]) for r in rows] == values


def test_gradient_flow_averages_batch_norms(digits):
    Xtr, _, ytr, _ = digits

    class Norms(Callback):  # the norms each batch, computed independently
        def __init__(self):
            self.seen = []

        def on_batch_end(self, batch, logs=None):
            w = self.trainer.model[0].weight.grad
            self.seen.append(float(np.sqrt((np.asarray(w, np.float64) ** 2).sum())))

    flow, check = GradientFlow(), Norms()
    model = _mlp()
    Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
            callbacks=[flow, check]).fit(Xtr[:60], ytr[:60], epochs=2, batch_size=20,
                                         verbose=0)  # fmt: skip
    assert list(flow.norms) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert all(len(v) == 2 for v in flow.norms.values())
    assert flow.norms["0.weight"] == pytest.approx(
        [np.mean(check.seen[:3]), np.mean(check.seen[3:])]
    )
    assert all(v > 0 for vs in flow.norms.values() for v in vs)


def test_csv_logger_state_rewrites_the_file_as_it_was(tmp_path):
    """load_state_dict leaves the file as it was when the state was taken: what was there
    before the fit (append=True), then the rows written up to then; later rows dropped."""
    path = tmp_path / "log.csv"
    path.write_text("old content\r\n", encoding="utf-8", newline="")
    logger = CSVLogger(path, append=True)
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 1.5, "lr": 0.1})
    state = logger.state_dict()
    expected = path.read_bytes()
    assert expected == b"old content\r\n0,1.5,0.1\r\n"  # append to a file: no header
    logger.on_epoch_end(1, {"loss": 1.25, "lr": 0.1})  # written after the state was taken
    again = CSVLogger(path, append=True)
    again.on_train_begin()
    again.load_state_dict(state)
    assert path.read_bytes() == expected
    again.on_epoch_end(1, {"loss": 1.0, "lr": 0.1})
    assert path.read_bytes() == expected + b"1,1.0,0.1\r\n"
    path.unlink()  # append=False: the file is made again from the state
    fresh = CSVLogger(path)
    fresh.on_train_begin()
    fresh.on_epoch_end(0, {"loss": 2.0})
    state = fresh.state_dict()
    fresh.on_train_begin()  # a new fit deletes the file
    fresh.load_state_dict(state)
    assert path.read_bytes() == b"epoch,loss\r\n0,2.0\r\n"


def test_gradient_flow_state_holds_the_epoch_in_progress():
    flow = GradientFlow()
    flow.norms, flow._sums, flow._batches = {"w": [1.0]}, {"w": 2.5}, 3
    other = GradientFlow()
    other.load_state_dict(flow.state_dict())
    assert (other.norms, other._sums, other._batches) == ({"w": [1.0]}, {"w": 2.5}, 3)
