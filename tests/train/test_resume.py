"""Exact resume: a training run killed with SIGKILL and resumed from its BackupAndRestore
checkpoint in a fresh process ends with exactly the weights (bit for bit), History,
GradientFlow norms and CSV log of the run that was never interrupted.

The runs themselves are in resume_run.py (see its docstring for the two configurations).
"""

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import resume_run as R

from gradlab.train import training_state

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
SCRIPT = str(Path(R.__file__).resolve())


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The uninterrupted run of each configuration, in this process."""
    runs = {}
    for config in ("adam", "sgd"):
        workdir = tmp_path_factory.mktemp(f"full-{config}")
        runs[config] = R.run(config, workdir, save_freq="epoch")
    return runs


def child(config, workdir, save_freq, *flags):
    return subprocess.run(
        [sys.executable, SCRIPT, config, str(workdir), str(save_freq), *map(str, flags)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_same_run(result, expected):
    assert list(result["weights"]) == list(expected["weights"])
    for name, weight in expected["weights"].items():
        assert result["weights"][name].dtype == weight.dtype == np.float32
        assert np.array_equal(result["weights"][name], weight), name
    assert result["history"] == expected["history"]
    assert result["norms"] == expected["norms"]
    assert result["csv"] == expected["csv"]


def kill_at(config, workdir, save_freq, batch):
    """Run a child that SIGKILLs itself at the end of global batch ``batch``; return the
    position of the checkpoint it left."""
    killed = child(config, workdir, save_freq, "--kill-at", batch)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not (workdir / "result.json").exists()
    state = training_state.read(workdir / "backup.ckpt")
    return state["position"]["epoch"], state["position"]["batch"]


@pytest.mark.parametrize("config", ["adam", "sgd"])
def test_resume_after_a_kill_mid_epoch_equals_the_uninterrupted_run_bit_for_bit(
    config, uninterrupted, tmp_path
):
    # a checkpoint every 7 batches: the last before the kill is after global batch 28,
    # batch 10 of epoch 1 (19 batches per epoch); batches 29 and 30 are trained, then lost
    assert kill_at(config, tmp_path, 7, 30) == (1, 28 - R.BATCHES)
    resumed = child(config, tmp_path, 7, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert_same_run(R.load_result(tmp_path), uninterrupted[config])


def test_resume_at_an_epoch_boundary(uninterrupted, tmp_path):
    assert kill_at("adam", tmp_path, "epoch", 2 * R.BATCHES + 7) == (2, 0)
    # resumed in this process: a process that has trained before gives the same run too
    assert_same_run(R.run("adam", tmp_path, "epoch", resume=True), uninterrupted["adam"])


def test_resume_from_a_checkpoint_after_the_last_batch_of_an_epoch(uninterrupted, tmp_path):
    # the checkpoint after global batch 19 is within epoch 0, all of its batches trained:
    # the resumed run ends epoch 0 (metrics, validation, schedulers) without a batch
    assert kill_at("sgd", tmp_path, R.BATCHES, R.BATCHES + 4) == (0, R.BATCHES)
    assert_same_run(R.run("sgd", tmp_path, R.BATCHES, resume=True), uninterrupted["sgd"])


def test_a_kill_from_outside_at_a_random_moment_leaves_a_resumable_checkpoint(
    uninterrupted, tmp_path
):
    """The parent kills a child that writes a checkpoint after every batch, at a random
    moment once the first is written (possibly during a write): the file at the path is
    always a complete checkpoint, and resuming from it gives the uninterrupted run."""
    path = tmp_path / "backup.ckpt"
    proc = subprocess.Popen(
        [sys.executable, SCRIPT, "adam", str(tmp_path), "1", "--delay", "0.01"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60.0
        while not path.exists():
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "the child never wrote a checkpoint"
            time.sleep(0.002)
        time.sleep(random.Random(5).uniform(0.0, 0.2))
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL  # killed before it finished
    for stray in tmp_path.glob(".backup.ckpt.*.tmp"):  # the write the kill interrupted
        stray.unlink()
    position = training_state.read(path)["position"]
    assert (position["epoch"], position["batch"]) < (R.EPOCHS - 1, R.BATCHES)  # not the last
    assert_same_run(R.run("adam", tmp_path, 1, resume=True), uninterrupted["adam"])
