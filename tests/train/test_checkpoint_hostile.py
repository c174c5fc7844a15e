"""Checkpoints against hostile paths and states (issue 15's library items): FIFOs and
devices refused without reading, deep nesting and cycles refused clearly, a full disk
reported naming the file, temp files of killed writers reclaimed."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from gradlab import atomic
from gradlab.train import CheckpointError, load, save
from gradlab.train import checkpoint as ckpt

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.ckpt"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(CheckpointError, match="pipe.ckpt: not a checkpoint: a FIFO"):
        load(fifo)
    assert time.monotonic() - started < 5  # no writer ever opens it: reading would block


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_device_is_refused_without_reading():
    with pytest.raises(CheckpointError, match="/dev/zero: not a checkpoint: a device"):
        load("/dev/zero")


def test_directory_is_refused(tmp_path):
    with pytest.raises(CheckpointError, match="a directory"):
        load(tmp_path)


def _with_header(path: Path, header_text: str) -> Path:
    blob = header_text.encode()
    path.write_bytes(len(blob).to_bytes(8, "little") + blob)
    return path


def test_deeply_nested_header_is_a_checkpoint_error(tmp_path):
    path = _with_header(tmp_path / "deep.ckpt", "[" * 100_000 + "]" * 100_000)
    with pytest.raises(CheckpointError, match="nested too deeply"):
        load(path)


def test_deeply_nested_structure_is_a_checkpoint_error(tmp_path):
    path = tmp_path / "ok.ckpt"
    save({"a": 1}, path)
    blob = path.read_bytes()
    size = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8 : 8 + size])
    structure = "[" * 50_000 + "]" * 50_000
    header["__metadata__"]["structure"] = structure
    header["__metadata__"]["sha256"] = ckpt._digest(structure, {})
    _with_header(path, json.dumps(header))
    with pytest.raises(CheckpointError, match="nested"):
        load(path)
    header["__metadata__"]["structure"] = "[" * 400 + "]" * 400  # json parses it; too deep
    header["__metadata__"]["sha256"] = ckpt._digest(header["__metadata__"]["structure"], {})
    _with_header(path, json.dumps(header))
    with pytest.raises(CheckpointError, match="nested deeper than"):
        load(path)


def test_deeply_nested_state_is_refused_at_save(tmp_path):
    state: list = []
    inner = state
    for _ in range(5000):
        inner.append([])
        inner = inner[0]
    with pytest.raises(CheckpointError, match="nested deeper than 100 levels"):
        save(state, tmp_path / "x.ckpt")
    assert list(tmp_path.iterdir()) == []


def test_self_referencing_state_is_refused(tmp_path):
    state = {"model": {"w": np.zeros(2)}}
    state["model"]["again"] = state
    with pytest.raises(CheckpointError, match=r"state\['model'\]\['again'\].*contains itself"):
        save(state, tmp_path / "x.ckpt")
    shared = np.zeros(3)
    listed = [1]
    save({"a": shared, "b": shared, "c": listed, "d": listed}, tmp_path / "ok.ckpt")  # no cycle


class _FullDisk:
    """A file whose writes fail as on a full disk."""

    def __init__(self, f):
        self.f = f

    def write(self, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name):
        return getattr(self.f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()


def test_full_disk_is_a_checkpoint_error_naming_the_file(tmp_path, monkeypatch):
    path = tmp_path / "run.ckpt"
    save({"v": 1}, path)
    real = os.fdopen
    monkeypatch.setattr(atomic.os, "fdopen", lambda *a, **k: _FullDisk(real(*a, **k)))
    with pytest.raises(CheckpointError) as caught:
        save({"v": np.zeros(1000)}, path)
    assert str(caught.value).startswith(str(path))
    assert "No space left on device" in str(caught.value) and "disk is full" in str(caught.value)
    monkeypatch.undo()
    assert load(path) == {"v": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.ckpt"]


WRITER = textwrap.dedent(
    """
    import sys
    import numpy as np
    from gradlab.train.checkpoint import save

    while True:
        save({"big": np.ones(2_000_000)}, sys.argv[1])
    """
)


def test_temp_files_of_killed_writers_are_reclaimed(tmp_path):
    path = tmp_path / "backup.ckpt"
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    env = dict(os.environ, PYTHONPATH=str(SRC))
    for _ in range(2):  # two killed writers, each caught mid-write
        child = subprocess.Popen([sys.executable, str(script), str(path)], env=env)
        try:
            deadline = time.monotonic() + 60
            while not any(p.name.endswith(".tmp") for p in tmp_path.iterdir()):
                assert time.monotonic() < deadline and child.poll() is None
                time.sleep(0.001)
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
    stale = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert stale  # SIGKILL gives no chance to clean up
    save({"v": 1}, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup.ckpt", "writer.py"]


def test_reclaim_leaves_live_writers_alone(tmp_path):
    path = tmp_path / "f.json"
    mine = atomic.temp_path(path)
    mine.write_text("being written")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        theirs = path.with_name(mine.name.replace(f"-{os.getpid()}-", f"-{sleeper.pid}-"))
        theirs.write_text("being written")
        other_host = path.with_name(f".f.json.00000000-{sleeper.pid}-abcdef01.tmp")
        other_host.write_text("another machine")
        assert atomic.reclaim_stale(path) == []
        sleeper.kill()
        sleeper.wait()
        assert atomic.reclaim_stale(path) == [theirs]
        old = time.time() - atomic.STALE_AGE - 10
        os.utime(other_host, (old, old))
        assert atomic.reclaim_stale(path) == [other_host]
        assert mine.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_two_writers_never_share_a_temp_name(tmp_path):
    names = {atomic.temp_path(tmp_path / "x").name for _ in range(100)}
    assert len(names) == 100
