"""Killed ``gradlab tune`` workers lose no trial (issue 15): a worker killed mid-trial
(SIGKILL, SIGTERM; independent processes and ``--jobs`` pool workers) leaves the study
with exactly the trials asked for, by Optuna's heartbeat (a stale trial is failed and its
parameters re-run) while the survivors wait; SIGTERM fails the running trial at once."""

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")

from test_tuning_study import make_config  # noqa: E402
from tune_kill_helpers import marked_train  # noqa: E402

from gradlab.lab.tuning import tune  # noqa: E402

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1] / "src"
FAST = {"heartbeat_interval": 1, "grace_period": 2}

SCRIPT = textwrap.dedent("""
    import sys
    sys.path[:0] = [{here!r}, {src!r}]
    from test_tuning_study import make_config
    from tune_kill_helpers import marked_train
    from gradlab.lab.tuning import tune
    tune(make_config(pruner="none", heartbeat_interval=1, grace_period=2), trials={n},
         storage={url!r}, study_name="s", train=marked_train, verbose=0)
""")


def _start(tmp_path, url, n, seconds):
    code = SCRIPT.format(here=str(HERE), src=str(SRC), n=n, url=url)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), str(SRC)]),
        "GRADLAB_TEST_MARKERS": str(tmp_path),
        "GRADLAB_TEST_TRIAL_SECONDS": str(seconds),
    }
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip


def _wait_training(tmp_path, pid, timeout=120):
    deadline = time.monotonic() + timeout
    while not list(tmp_path.glob(f"training-{pid}-*")):
        assert time.monotonic() < deadline, "the worker never started a trial"
        time.sleep(0.02)


def _states(url) -> list[str]:
    return [t.state.name for t in optuna.load_study(study_name="s", storage=url).trials]


def _finished(url) -> int:
    return sum(s in ("COMPLETE", "PRUNED") for s in _states(url))


def test_sigkilled_worker_trial_is_rerun_by_the_survivor(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    victim = _start(tmp_path, url, 4, seconds=30)
    _wait_training(tmp_path, victim.pid)
    survivor = _start(tmp_path, url, 4, seconds=0.2)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    _out, err = survivor.communicate(timeout=240)
    assert survivor.returncode == 0, err
    assert "Traceback" not in err
    study = optuna.load_study(study_name="s", storage=url)
    states = [t.state.name for t in study.trials]
    assert states.count("COMPLETE") == 4 and "RUNNING" not in states, states
    killed = study.trials[0]
    assert killed.state.name == "FAIL"  # failed by the heartbeat, then re-run:
    retried = [t for t in study.trials if t.system_attrs.get("failed_trial") == killed.number]
    assert len(retried) == 1 and retried[0].params == killed.params
    assert retried[0].state.name == "COMPLETE"


def test_a_rerun_within_the_grace_period_still_finishes_every_trial(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    victim = _start(tmp_path, url, 3, seconds=30)
    _wait_training(tmp_path, victim.pid)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    rerun = _start(tmp_path, url, 3, seconds=0.1)  # at once: the heartbeat is still fresh
    _out, err = rerun.communicate(timeout=240)
    assert rerun.returncode == 0, err
    assert _finished(url) == 3 and "RUNNING" not in _states(url)


def test_sigterm_fails_the_running_trial_at_once(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    victim = _start(tmp_path, url, 3, seconds=60)
    _wait_training(tmp_path, victim.pid)
    started = time.monotonic()
    victim.send_signal(signal.SIGTERM)
    victim.communicate(timeout=60)
    assert time.monotonic() - started < 30  # not the 60 s trial
    states = _states(url)
    assert states[0] == "FAIL" and "RUNNING" not in states, states  # no grace period needed
    rerun = _start(tmp_path, url, 3, seconds=0.1)
    _out, err = rerun.communicate(timeout=240)
    assert rerun.returncode == 0, err
    assert _finished(url) == 3


def _kill_first_trainer(tmp_path, sig, killed: list):
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        markers = sorted(tmp_path.glob("training-*"))
        if markers:
            pid = int(markers[0].name.split("-")[1])
            os.kill(pid, sig)
            killed.append(pid)
            return
        time.sleep(0.02)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_pool_worker_does_not_stop_the_study(tmp_path, monkeypatch, sig):
    monkeypatch.setenv("GRADLAB_TEST_MARKERS", str(tmp_path))
    monkeypatch.setenv("GRADLAB_TEST_TRIAL_SECONDS", "0.5")
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    killed: list = []
    killer = threading.Thread(target=_kill_first_trainer, args=(tmp_path, sig, killed))
    killer.start()
    result = tune(make_config(pruner="none", **FAST), trials=5, storage=url, jobs=2,
                  train=marked_train, verbose=0)  # fmt: skip
    killer.join()
    assert killed and killed[0] != os.getpid()
    assert result.counts["complete"] == 5 and result.counts["running"] == 0
    assert result.counts["failed"] == 1  # the killed worker's trial, re-run by the other


def test_sigterm_to_gradlab_tune_exits_143_with_one_line(tmp_path):
    from test_tune_command import CLI, CONFIG

    config = tmp_path / "tiny.toml"
    text = CONFIG.replace("epochs = 3", "epochs = 400")
    config.write_text(textwrap.dedent(text))
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.Popen([sys.executable, "-c", CLI, "tune", str(config), "--trials", "2",
                             "--out", str(out), "--quiet"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    db = out / "study.db"
    deadline = time.monotonic() + 120
    while True:
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        if db.exists():
            try:  # closed at once: an open read would hold the lock the worker needs
                with contextlib.closing(sqlite3.connect(db, timeout=5)) as connection:
                    rows = connection.execute(
                        "select count(*) from trials where state = 'RUNNING'"
                    ).fetchall()
                if rows[0][0]:
                    break
            except sqlite3.OperationalError:  # the tables are being created
                pass
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "Traceback" not in err and "terminated (SIGTERM)" in err
    states = [t.state.name for t in optuna.load_study(
        study_name="tiny", storage=f"sqlite:///{db}").trials]  # fmt: skip
    assert states[0] == "FAIL" and "RUNNING" not in states


def test_two_processes_writing_one_out_directory_neither_crash_nor_print_tracebacks(tmp_path):
    from test_tune_command import CLI, CONFIG

    config = tmp_path / "tiny.toml"
    config.write_text(textwrap.dedent(CONFIG))
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    argv = ["tune", str(config), "--trials", "6", "--out", str(out)]  # one study.db, one out
    procs = [subprocess.Popen([sys.executable, "-c", CLI, *argv], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]  # fmt: skip
    for proc in procs:
        _out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert "Traceback" not in err, err
        assert "SurplusTrial" not in err
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    assert (out / "best_params.json").stat().st_size > 0


def test_a_running_trial_that_never_had_a_heartbeat_is_failed_and_rerun(tmp_path):
    """A worker killed between Optuna creating its trial and starting its heartbeat."""
    from gradlab.lab.tuning.storage import open_storage
    from gradlab.lab.tuning.workers import run_worker

    url = f"sqlite:///{tmp_path / 'h.db'}"
    study = optuna.create_study(storage=open_storage(url, heartbeat_interval=1, grace_period=2),
                                study_name="h", direction="maximize")  # fmt: skip
    with pytest.warns(UserWarning, match="Heartbeat"):
        orphan = study.ask()  # RUNNING, and no heartbeat was ever recorded for it
    started = time.monotonic()
    ran = run_worker(study, lambda trial: 1.0, 3)
    assert ran == 3 and time.monotonic() - started < 60
    states = {t.number: t.state.name for t in study.get_trials(deepcopy=False)}
    assert states[orphan.number] == "FAIL" and "RUNNING" not in states.values()
