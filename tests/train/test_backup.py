"""BackupAndRestore: when it writes, that it runs after the other callbacks, its arguments,
and the progress output of a resumed fit."""

import numpy as np
import pytest

import gradlab
from gradlab import nn, optim
from gradlab.train import training_state
from gradlab.train.backup import BackupAndRestore
from gradlab.train.callbacks import Callback
from gradlab.train.trainer import Trainer


class Order(Callback):
    def __init__(self, name, log):
        self.name, self.log = name, log

    def on_batch_end(self, batch, logs=None):
        self.log.append(self.name)


class Stop(Callback):
    """Stop training at the end of global batch ``at`` (counted from 1)."""

    def __init__(self, at):
        self.at, self.seen = at, 0

    def on_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.at:
            self.trainer.stop_training = True


def _data(n=50):
    rng = np.random.default_rng(1)
    return rng.normal(size=(n, 4)).astype(np.float32), rng.integers(0, 2, size=n)


def _trainer(callbacks):
    gradlab.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return Trainer(model, nn.CrossEntropyLoss(), opt, callbacks=callbacks)


def test_saves_every_epoch_or_every_n_batches(tmp_path):
    x, y = _data()  # 5 batches of 10 per epoch
    per_epoch = BackupAndRestore(tmp_path / "e.ckpt")
    _trainer([per_epoch]).fit(x, y, epochs=3, batch_size=10, verbose=0)
    assert per_epoch.saves == 3
    assert training_state.read(tmp_path / "e.ckpt")["position"] == {"epoch": 3, "batch": 0}
    per_batches = BackupAndRestore(tmp_path / "b.ckpt", save_freq=4)
    _trainer([per_batches]).fit(x, y, epochs=3, batch_size=10, verbose=0)
    assert per_batches.saves == 3  # after global batches 4, 8, 12
    state = training_state.read(tmp_path / "b.ckpt")
    assert state["position"] == {"epoch": 2, "batch": 2}
    assert state["callbacks"][0]["state"] == {"batches": 12}


def test_runs_after_every_other_callback(tmp_path):
    log = []

    class Spy(BackupAndRestore):
        def save(self):
            log.append("backup")

    callbacks = [Order("a", log), Spy(tmp_path / "x.ckpt", save_freq=1), Order("b", log)]
    _trainer(callbacks).fit(*_data(10), epochs=1, batch_size=10, verbose=0)
    assert log == ["a", "b", "backup"]


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "batch", None])
def test_bad_save_freq(bad, tmp_path):
    with pytest.raises(ValueError, match="save_freq must be 'epoch' or a positive number"):
        BackupAndRestore(tmp_path / "x.ckpt", save_freq=bad)


def test_a_run_stopped_within_an_epoch_resumes_to_the_same_end(tmp_path):
    """A callback stops training after global batch 7 (epoch 1, batch 2), right where a
    checkpoint is written: the resumed fit trains no more batches and ends epoch 1 as
    the uninterrupted fit did."""
    x, y = _data()

    def run(resume):
        t = _trainer([Stop(7), BackupAndRestore(tmp_path / "s.ckpt", save_freq=7)])
        h = t.fit(x, y, epochs=4, batch_size=10, verbose=0,
                  resume_from=tmp_path / "s.ckpt" if resume else None)  # fmt: skip
        return h, {k: np.array(getattr(v, "data", v)) for k, v in t.model.state_dict().items()}

    h, w = run(False)
    assert h.epoch == [0, 1]
    state = training_state.read(tmp_path / "s.ckpt")
    assert state["position"] == {"epoch": 1, "batch": 2} and state["stop_training"]
    h2, w2 = run(True)
    assert h2.history == h.history and h2.epoch == h.epoch
    assert all(np.array_equal(w[k], w2[k]) for k in w)


def test_a_resumed_fit_prints_its_progress(tmp_path, capsys, monkeypatch):
    x, y = _data()
    _trainer([BackupAndRestore(tmp_path / "p.ckpt", save_freq=7)]).fit(
        x, y, epochs=3, batch_size=10, verbose=0
    )  # last checkpoint after global batch 14: epoch 2, batch 4
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    _trainer([BackupAndRestore(tmp_path / "p.ckpt", save_freq=7)]).fit(
        x, y, epochs=3, batch_size=10, verbose=1, resume_from=tmp_path / "p.ckpt"
    )
    out = capsys.readouterr().out
    assert "Epoch 3/3" in out and "5/5" in out and "loss=" in out
    assert "Epoch 3/3 - loss: " in out and "Epoch 2/3" not in out
