"""Training state: every optimizer and lr scheduler goes on exactly after its state_dict went
through a checkpoint file; resume_from refuses what does not fit, before changing anything."""

import math

import numpy as np
import pytest

import gradlab
from gradlab import nn, optim
from gradlab.data import DataLoader
from gradlab.data.transforms import GaussianNoise
from gradlab.optim import lr_scheduler as S
from gradlab.train import checkpoint, training_state
from gradlab.train.backup import BackupAndRestore
from gradlab.train.callbacks import Callback, CSVLogger, EarlyStopping, GradientFlow
from gradlab.train.trainer import Trainer

OPTIMIZERS = {
    "SGD": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "SGD-dampening": lambda p: optim.SGD(p, lr=0.1, momentum=0.5, dampening=0.2),
    "Adagrad": lambda p: optim.Adagrad(p, lr=0.1, lr_decay=1e-2, initial_accumulator_value=0.1),
    "RMSprop": lambda p: optim.RMSprop(p, lr=0.01, momentum=0.9, centered=True, weight_decay=0.1),
    "Adam": lambda p: optim.Adam(p, lr=0.05, amsgrad=True, weight_decay=1e-2),
    "AdamW": lambda p: optim.AdamW(p, lr=0.05),
    "NAdam": lambda p: optim.NAdam(p, lr=0.05, decoupled_weight_decay=True, weight_decay=0.1),
}
SCHEDULERS = {
    "StepLR": lambda o: S.StepLR(o, step_size=2, gamma=0.5),
    "MultiStepLR": lambda o: S.MultiStepLR(o, milestones=[2, 5], gamma=0.3),
    "ExponentialLR": lambda o: S.ExponentialLR(o, gamma=0.9),
    "LinearLR": lambda o: S.LinearLR(o, start_factor=0.2, total_iters=5),
    "LambdaLR": lambda o: S.LambdaLR(o, lambda e: 0.9**e),
    "SequentialLR": lambda o: S.SequentialLR(
        o, [S.LinearLR(o, start_factor=0.5, total_iters=3), S.ExponentialLR(o, 0.9)], [3]
    ),
    "CosineAnnealingLR": lambda o: S.CosineAnnealingLR(o, T_max=5, eta_min=1e-3),
    "CosineAnnealingWarmRestarts": lambda o: S.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=2),
    "CyclicLR": lambda o: S.CyclicLR(o, 0.01, 0.1, step_size_up=3, mode="triangular2"),
    "OneCycleLR": lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=12, three_phase=True),
    "ReduceLROnPlateau": lambda o: S.ReduceLROnPlateau(o, patience=0, factor=0.5, cooldown=1),
}


def _trajectory(make_opt, make_sched, steps=10, cut=None, tmp_path=None):
    """Parameters and lrs after ``steps`` steps; at step ``cut`` the optimizer and the
    scheduler go through a checkpoint file into new objects built the same way."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 3)).astype(np.float32)
    y = rng.normal(size=(8, 2)).astype(np.float32)

    def build():
        gradlab.manual_seed(1)
        model = nn.Linear(3, 2)
        opt = make_opt(model.parameters())
        return model, opt, make_sched(opt)

    model, opt, sched = build()
    lrs = []
    for step in range(steps):
        if step == cut:
            path = tmp_path / "state.ckpt"
            checkpoint.save({"model": model.state_dict(), "opt": opt.state_dict(),
                             "sched": sched.state_dict()}, path)  # fmt: skip
            state = checkpoint.load(path)
            model, opt, sched = build()
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["opt"])
            sched.load_state_dict(state["sched"])
        opt.zero_grad()
        loss = ((model(gradlab.tensor(x)) - gradlab.tensor(y)) ** 2).mean()
        loss.backward()
        opt.step()
        if isinstance(sched, S.ReduceLROnPlateau):
            sched.step(1.0)  # never improves: the lr drops with patience and cooldown
        else:
            sched.step()
        lrs.append([(g["lr"], g.get("momentum"), g.get("betas")) for g in opt.param_groups])
    return [p.numpy().copy() for p in model.parameters()], lrs


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_goes_on_exactly_after_a_checkpoint(name, tmp_path):
    make = OPTIMIZERS[name]
    sched = SCHEDULERS["StepLR"]
    params, lrs = _trajectory(make, sched)
    params2, lrs2 = _trajectory(make, sched, cut=4, tmp_path=tmp_path)
    assert lrs2 == lrs
    for a, b in zip(params, params2):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_every_scheduler_goes_on_exactly_after_a_checkpoint(name, tmp_path):
    make_opt = OPTIMIZERS["Adam" if name == "OneCycleLR" else "SGD"]
    params, lrs = _trajectory(make_opt, SCHEDULERS[name])
    params2, lrs2 = _trajectory(make_opt, SCHEDULERS[name], cut=5, tmp_path=tmp_path)
    assert lrs2 == lrs
    assert len({lr[0][0] for lr in lrs}) > 1  # the schedule did move the lr
    for a, b in zip(params, params2):
        assert np.array_equal(a, b)


# ---------------------------------------------------------------------- resume_from errors
def _data(n=96):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 6)).astype(np.float32), rng.integers(0, 3, size=n)


def _setup(tmp_path, hidden=8, callbacks=None):
    gradlab.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, hidden), nn.ReLU(), nn.Dropout(0.1), nn.Linear(hidden, 3))
    opt = optim.Adam(model.parameters(), lr=1e-2)
    if callbacks is None:
        callbacks = [BackupAndRestore(tmp_path / "b.ckpt"), CSVLogger(tmp_path / "log.csv")]
    return Trainer(model, nn.CrossEntropyLoss(), opt, metrics=["accuracy"], callbacks=callbacks)


def _weights(trainer):
    return {k: np.array(getattr(v, "data", v)) for k, v in trainer.model.state_dict().items()}


def test_resume_from_a_missing_file_names_the_path(tmp_path):
    x, y = _data()
    with pytest.raises(FileNotFoundError, match="resume_from") as info:
        _setup(tmp_path).fit(x, y, verbose=0, resume_from=tmp_path / "nope.ckpt")
    assert info.value.filename == str(tmp_path / "nope.ckpt")
    assert "nope.ckpt" in str(info.value)


def test_resume_from_a_weights_only_checkpoint_is_refused(tmp_path):
    x, y = _data()
    trainer = _setup(tmp_path)
    checkpoint.save(trainer.model.state_dict(), tmp_path / "w.ckpt")
    with pytest.raises(checkpoint.CheckpointError, match="not a training state"):
        trainer.fit(x, y, verbose=0, resume_from=tmp_path / "w.ckpt")


def test_a_checkpoint_that_does_not_fit_is_refused_before_training(tmp_path):
    x, y = _data()
    _setup(tmp_path).fit(x, y, epochs=2, batch_size=16, verbose=0)
    other = _setup(tmp_path, hidden=5, callbacks=[EarlyStopping(monitor="loss")])
    before = _weights(other)
    with pytest.raises(ValueError) as info:
        other.fit(x[:80], y[:80], epochs=3, batch_size=16, verbose=0,
                  resume_from=tmp_path / "b.ckpt")  # fmt: skip
    message = str(info.value)
    assert "'0.weight' has shape (8, 6) in the checkpoint, (5, 6) in the model" in message
    assert "callbacks: the checkpoint has ['BackupAndRestore', 'CSVLogger']" in message
    assert "'samples': 96" in message and "'samples': 80" in message
    after = _weights(other)
    assert all(np.array_equal(before[k], after[k]) for k in before)
    same = _setup(tmp_path)
    with pytest.raises(ValueError, match="epochs=1, but the checkpoint has trained 2 epochs"):
        same.fit(x, y, epochs=1, batch_size=16, verbose=0, resume_from=tmp_path / "b.ckpt")


def test_training_state_outside_fit_is_an_error(tmp_path):
    with pytest.raises(RuntimeError, match="no training in progress"):
        _setup(tmp_path).training_state()


def test_resume_with_more_epochs_continues_like_one_longer_run(tmp_path):
    """fit 2 epochs (the backup keeps the final state), then fit to 5 from it: the weights,
    History and CSV log of one 5-epoch fit."""
    x, y = _data()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    long = _setup(tmp_path / "a")
    h_long = long.fit(x, y, epochs=5, batch_size=16, verbose=0, generator=np.random.default_rng(4))
    short = _setup(tmp_path / "b")
    short.fit(x, y, epochs=2, batch_size=16, verbose=0, generator=np.random.default_rng(4))
    more = _setup(tmp_path / "b")
    h = more.fit(x, y, epochs=5, batch_size=16, verbose=0, generator=np.random.default_rng(99),
                 resume_from=tmp_path / "b" / "b.ckpt")  # fmt: skip
    assert h.history == h_long.history and h.epoch == h_long.epoch == list(range(5))
    a, b = _weights(long), _weights(more)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert (tmp_path / "a" / "log.csv").read_text() == (tmp_path / "b" / "log.csv").read_text()


def test_a_run_stopped_by_early_stopping_stays_stopped_when_resumed(tmp_path):
    x, y = _data()

    def trainer():
        stop = EarlyStopping(monitor="loss", patience=0, min_delta=10.0)  # stops at epoch 1
        return _setup(tmp_path, callbacks=[stop, BackupAndRestore(tmp_path / "b.ckpt")])

    first = trainer()
    h = first.fit(x, y, epochs=6, batch_size=16, verbose=0)
    assert h.epoch == [0, 1]
    again = trainer()
    h2 = again.fit(x, y, epochs=6, batch_size=16, verbose=0, resume_from=tmp_path / "b.ckpt")
    assert h2.history == h.history and h2.epoch == [0, 1]
    assert again.callbacks.callbacks[0].stopped_epoch == 1
    a, b = _weights(first), _weights(again)
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_training_state_holds_the_partial_epoch(tmp_path):
    x, y = _data(40)
    flow = GradientFlow()
    trainer = _setup(tmp_path, callbacks=[flow, BackupAndRestore(tmp_path / "b.ckpt", 3)])
    trainer.fit(x, y, epochs=1, batch_size=8, verbose=0)  # 5 batches: saved after the 3rd
    state = training_state.read(tmp_path / "b.ckpt")
    assert state["position"] == {"epoch": 0, "batch": 3}
    progress = state["epoch_progress"]
    assert progress["count"] == 24 and progress["outputs"].shape == (24, 3)
    assert progress["targets"].dtype == np.int64 and progress["lr"] == 1e-2
    assert math.isfinite(progress["total"])
    assert state["callbacks"][0]["state"]["epoch_batches"] == 3
    assert sorted(state["rng"]["now"]) == ["default"]
    assert state["rng"]["epoch_start"]["default"]["bit_generator"] == "PCG64"


class _Noisy(gradlab.data.Dataset):
    """Samples with Gaussian noise drawn per access from the transform's own generator."""

    def __init__(self, x, y, seed):
        self.x, self.y = x, y
        self.noise = GaussianNoise(std=0.3, generator=np.random.default_rng(seed))

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.noise(self.x[i]), self.y[i]


class _Crash(Exception):
    pass


class _CrashAt(Callback):
    def __init__(self, at):
        self.at, self.seen = at, 0

    def on_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.at:
            raise _Crash


def test_generators_of_the_model_and_the_data_pipeline_are_restored(tmp_path):
    """Shuffling, noise added in the dataset and Dropout each draw from their own
    generator; a run that crashes after a checkpoint and is resumed ends like the run
    that did not crash."""
    x, y = _data(60)

    def run(crash_at=None, resume=False):
        gradlab.manual_seed(0)
        model = nn.Sequential(nn.Linear(6, 8), nn.Dropout(0.3, generator=np.random.default_rng(2)),
                              nn.Linear(8, 3))  # fmt: skip
        loader = DataLoader(_Noisy(x, y, 1), batch_size=8, shuffle=True,
                            generator=np.random.default_rng(3))  # fmt: skip
        callbacks = [_CrashAt(crash_at), BackupAndRestore(tmp_path / "n.ckpt", save_freq=5)]
        t = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-2),
                    callbacks=callbacks)  # fmt: skip
        assert sorted(training_state.find_generators(model, loader)) == [
            "default", "loader.dataset.noise.generator", "loader.generator", "model.1.generator"
        ]  # fmt: skip
        h = t.fit(loader, epochs=3, verbose=0, resume_from=tmp_path / "n.ckpt" if resume else None)
        return h.history, _weights(t)

    h, w = run()
    with pytest.raises(_Crash):
        run(crash_at=13)  # last checkpoint after global batch 10: epoch 1, batch 2
    assert training_state.read(tmp_path / "n.ckpt")["position"] == {"epoch": 1, "batch": 2}
    h2, w2 = run(resume=True)
    assert h2 == h
    assert all(np.array_equal(w[k], w2[k]) for k in w)
