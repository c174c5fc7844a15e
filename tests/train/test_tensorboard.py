"""TensorBoard callback: the event files hold History's values, step by step; batch losses,
histograms; the message when tensorboardX is missing.

The files are read back record by record (TFRecord framing: length, masked CRC-32C of the
length, data, masked CRC-32C of the data; both CRCs verified) and parsed with tensorboardX's
protobuf ``Event`` class; with the ``tensorboard`` package installed, its own
``EventAccumulator`` reads them too.
"""

import struct
import sys

import numpy as np
import pytest

import gradlab
from gradlab import nn, optim
from gradlab.data import load_digits, train_test_split
from gradlab.optim.lr_scheduler import StepLR
from gradlab.train.tensorboard import TensorBoard
from gradlab.train.trainer import Trainer

EPOCHS = 3


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits()
    return train_test_split(X[:400] / 16, y[:400], test_size=0.25, seed=0)


def _events(folder):
    """Every Event of every event file in ``folder``, in file order."""
    event_pb2 = pytest.importorskip("tensorboardX.proto.event_pb2")
    from tensorboardX.record_writer import masked_crc32c

    files = sorted(folder.glob("events.out.tfevents.*"))
    assert files, f"no event file in {folder}"
    events = []
    for path in files:
        data = path.read_bytes()
        at = 0
        while at < len(data):
            header = data[at : at + 8]
            (length,) = struct.unpack("<Q", header)
            (header_crc,) = struct.unpack("<I", data[at + 8 : at + 12])
            assert header_crc == masked_crc32c(header)
            body = data[at + 12 : at + 12 + length]
            (body_crc,) = struct.unpack("<I", data[at + 12 + length : at + 16 + length])
            assert body_crc == masked_crc32c(body)
            events.append(event_pb2.Event.FromString(body))
            at += 16 + length
    return events


def _scalars(folder) -> dict:
    """tag -> list of (step, value) in the order written."""
    out = {}
    for event in _events(folder):
        for value in event.summary.value:
            if value.HasField("simple_value"):
                out.setdefault(value.tag, []).append((event.step, value.simple_value))
    return out


def _fit(tmp_path, digits, **kwargs):
    """3 epochs of a small MLP on digits, the lr halved each epoch (so "lr" varies)."""
    Xtr, Xte, ytr, yte = digits
    gradlab.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    board = TensorBoard(tmp_path / "run", **kwargs)
    trainer = Trainer(
        model,
        nn.CrossEntropyLoss(),
        optimizer,
        metrics=["accuracy"],
        callbacks=[board],
        scheduler=StepLR(optimizer, step_size=1, gamma=0.5),
    )
    history = trainer.fit(
        Xtr, ytr, epochs=EPOCHS, batch_size=32, validation_data=(Xte, yte), verbose=0
    )
    return board, history


def test_epoch_scalars_equal_the_history(tmp_path, digits):
    pytest.importorskip("tensorboardX")
    board, history = _fit(tmp_path, digits)
    train = _scalars(tmp_path / "run" / "train")
    validation = _scalars(tmp_path / "run" / "validation")
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert set(train) == {"epoch_loss", "epoch_accuracy", "epoch_lr"}  # no batch_loss
    assert set(validation) == {"epoch_loss", "epoch_accuracy"}
    for name, values in history.history.items():
        run, base = (validation, name[4:]) if name.startswith("val_") else (train, name)
        written = run[f"epoch_{base}"]
        assert [step for step, _ in written] == list(range(EPOCHS)), name
        # simple_value is a float32: the logged float64, rounded once
        assert [v for _, v in written] == [float(np.float32(h)) for h in values], name
    assert history.history["lr"] == [0.05, 0.025, 0.0125]
    assert history.history["loss"][-1] < history.history["loss"][0]  # it did train
    assert board._writers == {}  # closed at the end of fit


def test_batch_loss_every_n_batches_and_histograms(tmp_path, digits):
    pytest.importorskip("tensorboardX")
    board, history = _fit(tmp_path, digits, update_freq=4, histogram_freq=2)
    batches_per_epoch = -(-300 // 32)  # 300 training samples: 10 batches
    assert board.train_batches == EPOCHS * batches_per_epoch
    events = _events(tmp_path / "run" / "train")
    batch = [(e.step, v.simple_value) for e in events for v in e.summary.value
             if v.tag == "batch_loss"]  # fmt: skip
    assert [step for step, _ in batch] == list(range(4, EPOCHS * batches_per_epoch + 1, 4))
    assert all(np.isfinite(v) and v > 0 for _, v in batch)
    histograms = {}
    for event in events:
        for value in event.summary.value:
            if value.HasField("histo"):
                histograms.setdefault(value.tag, []).append((event.step, value.histo))
    names = ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert sorted(histograms) == sorted(names)
    for name in names:
        assert [step for step, _ in histograms[name]] == [0, 2]  # epochs 0 and 2
    # the last histogram (epoch 2, the final weights) describes the model's weights
    weight = board.trainer.model[0].weight.numpy()
    _, histo = histograms["0.weight"][-1]
    assert histo.num == weight.size
    assert histo.min == pytest.approx(float(weight.min()))
    assert histo.max == pytest.approx(float(weight.max()))
    assert histo.sum == pytest.approx(float(weight.astype(np.float64).sum()), abs=1e-6)
    other = TensorBoard(board.log_dir)
    other.load_state_dict(board.state_dict())  # the batch step survives a resume
    assert other.train_batches == EPOCHS * batches_per_epoch


def test_tensorboard_reads_the_files(tmp_path, digits):
    pytest.importorskip("tensorboardX")
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    _, history = _fit(tmp_path, digits)
    reader = accumulator.EventAccumulator(str(tmp_path / "run" / "validation"))
    reader.Reload()
    loss = [(s.step, s.value) for s in reader.Scalars("epoch_loss")]
    assert loss == [(e, float(np.float32(v))) for e, v in enumerate(history["val_loss"])]


def test_bad_arguments(tmp_path):
    pytest.importorskip("tensorboardX")
    for bad in (0, -1, "step", 1.5, True):
        with pytest.raises(ValueError, match="update_freq must be 'epoch', 'batch' or a posi"):
            TensorBoard(tmp_path, update_freq=bad)
    with pytest.raises(ValueError, match="histogram_freq must be a non-negative integer"):
        TensorBoard(tmp_path, histogram_freq=-1)
    assert TensorBoard(tmp_path, update_freq="batch").every == 1


def test_missing_tensorboardx_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)  # `import tensorboardX` fails
    with pytest.raises(ImportError) as info:
        TensorBoard(tmp_path)
    message = str(info.value)
    assert message.startswith(
        "TensorBoard needs the tensorboard extra: pip install 'gradlab[tensorboard]'"
    )
    assert "pip install tensorboardX" in message
    assert info.value.name == "tensorboardX"
    assert not any(tmp_path.iterdir())  # nothing written
