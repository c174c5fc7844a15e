"""Checkpoints: exact round trips, every kind of bad file refused without running code,
and atomic writes that survive SIGKILL."""

import json
import os
import pickle
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy

import gradlab
from gradlab.train import CheckpointError, load, save
from gradlab.train import checkpoint as ckpt


def nested_state():
    rng = np.random.default_rng(11)
    rng.standard_normal(3)  # move the state away from the seed's
    return {
        "model": {
            "fc1.weight": rng.standard_normal((4, 3)).astype(np.float32),
            "fc1.bias": gradlab.zeros(4),
            "bn.num_batches_tracked": np.array(12, dtype=np.int64),
        },
        "optimizer": {
            "state": {
                0: {"step": 3.0, "exp_avg": np.arange(12.0).reshape(4, 3)},
                1: {"step": 3.0, "exp_avg": np.zeros(4)},
            },
            "param_groups": [
                {
                    "lr": 1e-3,
                    "betas": (0.9, 0.999),
                    "eps": 1e-8,
                    "weight_decay": 0,
                    "amsgrad": False,
                    "params": [0, 1],
                }
            ],
        },  # fmt: skip
        "scheduler": {"last_epoch": 4, "base_lrs": [0.1, 0.01], "name": None},
        "rng": rng.bit_generator.state,
        "gradlab_rng": gradlab.get_rng_state(),
        "epoch": 7,
        "batch": 123,
        "huge": 2**200 + 1,
        "negative": -(2**70),
        "floats": [0.1, -0.0, float("inf"), float("-inf"), 1e-320],
        "nested": [[1, [2, [3, np.array([4.5])]]], {"k": []}, [], {}],
        "scalar64": np.array(3.25),
        "int_array": np.arange(5, dtype=np.int64),
        "bool_array": np.array([True, False]),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "weird keys": {
            "$array": "a string",
            "$tuple": 1,
            2.5: "float key",
            None: "none key",
            True: "bool key",
        },  # fmt: skip
        "unicode": "héllo ✓",
    }


def assert_same(a, b, where="state"):
    if isinstance(a, gradlab.Tensor):
        a = a.numpy()
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray), where
        assert a.dtype == b.dtype and a.shape == b.shape, where
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), where
        for k in a:
            assert type(k) is type(list(b)[list(a).index(k)]), where
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    else:
        assert type(a) is type(b) and a == b, where
        if isinstance(a, float) and a == 0:
            assert np.signbit(a) == np.signbit(b), where


def test_round_trip_of_a_nested_state(tmp_path):
    state = nested_state()
    save(state, tmp_path / "ck.safetensors")
    out = load(tmp_path / "ck.safetensors")
    assert_same(state, out)
    assert out["huge"] == 2**200 + 1
    rng = np.random.default_rng()
    rng.bit_generator.state = out["rng"]
    ref = np.random.default_rng(11)
    ref.standard_normal(3)
    ref.standard_normal((4, 3))
    np.testing.assert_array_equal(rng.random(5), ref.random(5))


def test_nan_and_numpy_scalars(tmp_path):
    save({"nan": float("nan"), "np": np.float32(1.5), "i": np.int64(3)}, tmp_path / "c")
    out = load(tmp_path / "c")
    assert np.isnan(out["nan"]) and out["np"] == 1.5 and out["i"] == 3 and type(out["i"]) is int


def test_file_is_plain_safetensors_with_named_tensors(tmp_path):
    save(nested_state(), tmp_path / "c")
    tensors = safetensors.numpy.load_file(tmp_path / "c")
    assert "model.fc1.weight" in tensors and "optimizer.state.0.exp_avg" in tensors


def test_unsupported_values_are_refused_on_save(tmp_path):
    with pytest.raises(CheckpointError, match=r"state\['a'\]\[0\] of type set"):
        save({"a": [{1, 2}]}, tmp_path / "c")
    with pytest.raises(CheckpointError, match="dtype object"):
        save({"a": np.array([object()])}, tmp_path / "c")
    assert not (tmp_path / "c").exists()


class _Touch:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def test_pickle_is_refused_and_never_runs(tmp_path):
    proof = tmp_path / "proof"
    pickle.loads(pickle.dumps(_Touch(proof)))  # the payload does run when unpickled...
    assert proof.exists()
    marker = tmp_path / "marker"
    for protocol in (0, 2, pickle.HIGHEST_PROTOCOL):
        (tmp_path / "evil.ckpt").write_bytes(pickle.dumps(_Touch(marker), protocol=protocol))
        with pytest.raises(CheckpointError) as info:
            load(tmp_path / "evil.ckpt")
        assert "evil.ckpt" in str(info.value) and info.value.reason
        assert not marker.exists()  # ...but load never runs it


def test_torch_save_file_is_refused(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save({"w": torch.ones(3)}, tmp_path / "t.pt")
    with pytest.raises(CheckpointError):
        load(tmp_path / "t.pt")


def small_file(tmp_path):
    state = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "step": 5, "name": "x"}
    save(state, tmp_path / "good")
    return (tmp_path / "good").read_bytes()


def test_every_truncation_is_refused(tmp_path):
    blob = small_file(tmp_path)
    bad = tmp_path / "bad"
    for length in range(len(blob)):
        bad.write_bytes(blob[:length])
        with pytest.raises(CheckpointError):
            load(bad)


def test_every_single_bit_flip_is_refused(tmp_path):
    blob = small_file(tmp_path)
    bad = tmp_path / "bad"
    for position in range(len(blob)):
        for bit in range(8):
            flipped = bytearray(blob)
            flipped[position] ^= 1 << bit
            bad.write_bytes(bytes(flipped))
            with pytest.raises(CheckpointError):
                load(bad)


def test_random_bytes_missing_files_and_foreign_safetensors(tmp_path):
    rng = np.random.default_rng(0)
    bad = tmp_path / "bad"
    for size in (0, 1, 7, 8, 9, 100, 5000):
        bad.write_bytes(rng.integers(0, 256, size, dtype=np.uint8).tobytes())
        with pytest.raises(CheckpointError):
            load(bad)
    header = json.dumps({"__metadata__": {}}).encode()
    bad.write_bytes(len(header).to_bytes(8, "little") + header)
    with pytest.raises(CheckpointError, match="not a gradlab checkpoint"):
        load(bad)
    safetensors.numpy.save_file({"w": np.ones(2)}, tmp_path / "plain.safetensors")
    with pytest.raises(CheckpointError, match="not a gradlab checkpoint"):
        load(tmp_path / "plain.safetensors")
    with pytest.raises(CheckpointError, match="cannot read") as info:
        load(tmp_path / "missing")
    assert info.value.path == str(tmp_path / "missing")
    with pytest.raises(CheckpointError):
        load(tmp_path)  # a directory


def test_write_is_fsynced_then_replaced_and_failure_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ck"
    save({"v": 1}, path)
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(ckpt.os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    save({"v": 2}, path)
    assert len(synced) == 2  # the file, then the directory
    assert load(path) == {"v": 2}

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(ckpt.os, "replace", broken_replace)
    with pytest.raises(CheckpointError, match="ck: cannot write the checkpoint: disk full"):
        save({"v": 3}, path)
    assert load(path) == {"v": 2}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck"]  # the temp file is removed


WRITER = textwrap.dedent(
    """
    import sys
    import numpy as np
    from gradlab.train.checkpoint import save

    path = sys.argv[1]
    i = 0
    while True:
        i += 1
        save({"i": i, "big": np.full(1_500_000, i, dtype=np.float64)}, path)
        print(i, flush=True)
    """
)


def test_sigkill_during_writes_leaves_the_previous_checkpoint(tmp_path):
    """A child writes 12 MB checkpoints in a loop; it is killed as soon as a temp file shows
    up (mid-write), at a random point of a later write each round."""
    path = tmp_path / "ck.safetensors"
    save({"i": 0, "big": np.zeros(1_500_000)}, path)
    chooser = random.Random(1234)
    killed_mid_write = 0
    for _ in range(4):
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
        )
        try:
            completed = [int(child.stdout.readline()) for _ in range(chooser.randint(1, 3))]
            assert completed[-1] >= 1
            deadline = time.monotonic() + 10.0
            while not any(p.suffix == ".tmp" for p in tmp_path.iterdir()):
                assert time.monotonic() < deadline, "the writer never started another write"
            time.sleep(chooser.uniform(0.0, 0.002))
            child.send_signal(signal.SIGKILL)
        finally:
            child.kill()
            child.wait()
            child.stdout.close()
        state = load(path)  # never a partial file at the destination
        assert state["big"].shape == (1_500_000,)
        assert np.all(state["big"] == state["i"])
        assert state["i"] >= completed[-1]
        strays = [p for p in tmp_path.iterdir() if p != path]
        for stray in strays:  # anything else is an unfinished temp file
            assert stray.name.startswith(".ck.safetensors.") and stray.suffix == ".tmp"
            stray.unlink()
        killed_mid_write += bool(strays)
    assert killed_mid_write >= 1  # the kills did land inside writes
