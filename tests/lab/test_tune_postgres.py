"""Optuna on a real PostgreSQL (started by the test from pgserver's wheels, or Debian's
binaries; Unix socket only): two ``gradlab tune`` processes on one study, one killed
(SIGKILL) mid-trial, and the study ends with exactly the trials asked for, the killed trial
failed by Optuna's heartbeat and run again by the survivor; psycopg 3 as the driver."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from gradlab.lab.tuning.workers import SURPLUS

optuna = pytest.importorskip("optuna")
import postgres_server  # noqa: E402

SRC = Path(__file__).resolve().parents[2] / "src"

CONFIG = """
[data]
name = "make_classification"
n_samples = 200
n_features = 8
seed = 1

[model]
name = "mlp"
hidden_sizes = [8]

[optimizer]
name = "adam"
lr = 1e-2

[training]
epochs = {epochs}
batch_size = 16
validation_split = 0.25
metrics = ["accuracy"]
backup = false

[search]
"optimizer.lr" = {{ type = "log_uniform", low = 1e-3, high = 1e-1 }}

[tune]
metric = "val_accuracy"
trials = 4
pruner = "none"
heartbeat_interval = 1
grace_period = 3
"""


@pytest.fixture(scope="module")
def postgres_url(tmp_path_factory):
    started = postgres_server.start(tmp_path_factory.mktemp("postgres"))
    if started is None:
        pytest.skip(f"no throwaway PostgreSQL: {postgres_server.why_not}")
    url, stop = started
    yield url
    stop()


def _tune(config, out, url, study):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC),
           os.environ.get("PYTHONPATH")]))}  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "gradlab", "tune", str(config), "--storage", url, "--study",
         study, "--out", str(out), "--quiet"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _states(url, study):
    return [t.state.name for t in optuna.load_study(study_name=study, storage=url).trials]


def _wait_running(url, study, count, process, timeout=120):
    """Wait until ``count`` trials of ``study`` are RUNNING at once."""
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, process.communicate()
        try:
            if _states(url, study).count("RUNNING") >= count:
                return
        except KeyError:  # the study is not created yet
            pass
        assert time.monotonic() < deadline, f"never {count} trials running at once"
        time.sleep(0.05)


def _has_heartbeat_settings() -> bool:
    """Whether [tune] takes heartbeat_interval and grace_period (issue 15's killed-worker
    handling, which this test relies on to fail the killed trial within seconds)."""
    from dataclasses import fields

    from gradlab.lab.tuning.settings import TuneSettings

    return {"heartbeat_interval", "grace_period"} <= {f.name for f in fields(TuneSettings)}


@pytest.mark.slow
@pytest.mark.skipif(
    not _has_heartbeat_settings(),
    reason="needs [tune] heartbeat_interval/grace_period and the killed-worker handling of "
    "issue 15 (branch hostile), not merged here yet",
)
def test_two_tune_workers_on_postgres_lose_no_trial_when_one_is_killed(tmp_path, postgres_url):
    config = tmp_path / "tiny.toml"
    config.write_text(textwrap.dedent(CONFIG.format(epochs=60)))
    victim = _tune(config, tmp_path / "victim", postgres_url, "kill")
    _wait_running(postgres_url, "kill", 1, victim)  # the victim is training its first trial
    survivor = _tune(config, tmp_path / "survivor", postgres_url, "kill")
    _wait_running(postgres_url, "kill", 2, survivor)  # both are mid-trial now
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    _out, err = survivor.communicate(timeout=300)
    assert survivor.returncode == 0, err
    assert "Traceback" not in err
    study = optuna.load_study(study_name="kill", storage=postgres_url)
    states = [t.state.name for t in study.trials]
    assert states.count("COMPLETE") == 4 and "RUNNING" not in states, states
    # a worker may also create a trial when the study already has its trials running and give
    # it back unrun (FAIL, marked surplus): bookkeeping, not lost work
    surplus = [t for t in study.trials if t.user_attrs.get(SURPLUS)]
    assert all(t.state.name == "FAIL" and "curve" not in t.user_attrs for t in surplus)
    failed = [t for t in study.trials if t.state.name == "FAIL" and t not in surplus]
    assert len(failed) == 1  # the killed trial, failed by the heartbeat check, then re-run:
    rerun = [t for t in study.trials if t.system_attrs.get("failed_trial") == failed[0].number]
    assert len(rerun) == 1 and rerun[0].params == failed[0].params
    assert rerun[0].state.name == "COMPLETE"


def test_a_plain_postgresql_url_opens_with_psycopg_3(postgres_url):
    import importlib.util

    from gradlab.lab.tuning.storage import open_storage

    if importlib.util.find_spec("psycopg2") is not None:
        pytest.skip("psycopg2 is installed: SQLAlchemy's default driver is then psycopg2")
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)
    storage = open_storage(plain)
    study = optuna.create_study(study_name="plain", storage=storage)
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=2)
    assert len(optuna.load_study(study_name="plain", storage=postgres_url).trials) == 2
