"""Workers sharing one study: two independent processes on one SQLite file finish exactly N
trials between them (none lost, none duplicated), ``jobs=2`` worker processes do the same,
and a trial that finds the study already has its N trials claimed ends without training."""

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")

from test_tuning_study import FakeConfig, fake_train, make_config  # noqa: E402

from gradlab.lab.tuning import tune  # noqa: E402
from gradlab.lab.tuning.workers import SURPLUS, finished_count, run_worker  # noqa: E402

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1] / "src"


def slow_fake_train(config, out_dir=None, callbacks=(), verbose=0):
    """The fake run, 0.2 s long, so that two workers' trials interleave."""
    time.sleep(0.2)
    return fake_train(config, out_dir, callbacks, verbose)


def _numbers(study):
    return sorted(t.number for t in study.get_trials(deepcopy=False))


WORKER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    sys.path[:0] = [{here!r}, {src!r}]
    from test_tuning_workers import make_config, slow_fake_train, RUNS_BY_PROCESS
    from gradlab.lab.tuning import tune
    ready = Path({tmp!r}) / f"ready-{{sys.argv[1]}}"
    ready.touch()
    while len(list(Path({tmp!r}).glob("ready-*"))) < 2:  # start together
        time.sleep(0.02)
    tune(make_config(pruner="none"), trials={n}, storage={url!r}, study_name="shared",
         train=slow_fake_train, verbose=0)
    print("finished", len(RUNS_BY_PROCESS()))
""")


def RUNS_BY_PROCESS():
    from test_tuning_study import RUNS

    return RUNS


def test_two_independent_processes_share_n_trials(tmp_path):
    n = 12
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    code = WORKER.format(here=str(HERE), src=str(SRC), tmp=str(tmp_path), n=n, url=url)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), str(SRC)])}
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(i)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env)
        for i in range(2)
    ]  # fmt: skip
    outputs = [p.communicate(timeout=240) for p in procs]
    for proc, (_out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err
    mine = [int(out.split()[-1]) for out, _ in outputs]
    study = optuna.load_study(study_name="shared", storage=url)
    states = [t.state.name for t in study.trials]
    finished = states.count("COMPLETE")
    surplus = [t for t in study.trials if t.user_attrs.get(SURPLUS)]
    assert finished == n, states  # none lost, none extra
    assert sum(mine) == n and min(mine) > 0, mine  # both worked, each trial trained once
    assert _numbers(study) == list(range(len(study.trials)))
    assert len(study.trials) == n + len(surplus)  # a surplus slot never trains
    params = [tuple(sorted(t.params.items())) for t in study.trials if t.state.name == "COMPLETE"]
    assert len(set(params)) == n  # the two workers drew different parameters


def test_jobs_runs_worker_processes_on_one_storage(tmp_path):
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    result = tune(make_config(pruner="none"), trials=6, storage=url, jobs=2,
                  train=slow_fake_train, verbose=0)  # fmt: skip
    assert result.counts["complete"] == 6 and result.counts["running"] == 0
    assert result.best_value == max(t.value for t in result.study.trials if t.value is not None)


def test_jobs_need_a_shared_storage():
    with pytest.raises(ValueError, match="needs a storage the processes share"):
        tune(make_config(), trials=2, jobs=2, train=fake_train, verbose=0)


def test_a_trial_beyond_the_claimed_slots_ends_without_training():
    study = optuna.create_study(direction="maximize")
    done = study.ask()
    study.tell(done, 0.5)
    study.ask(), study.ask()  # two trials running elsewhere: 3 slots of 3 are claimed
    calls = []
    ran = run_worker(study, lambda trial: calls.append(trial.number) or 1.0, 3)
    assert ran == 0 and calls == []  # without a heartbeat it cannot wait for them: it returns
    assert len(study.trials) == 3  # and starts no trial
    assert finished_count(study) == 1
    # two workers starting the last slot at once: the later trial is surplus, never trains
    study = optuna.create_study(direction="maximize")
    study.tell(study.ask(), 0.5)

    def racing(trial):
        calls.append(trial.number)
        if trial.number == 1:
            study.ask()  # another worker claims a slot while this trial trains
        return 1.0

    calls.clear()
    run_worker(study, racing, 2)
    states = [(t.number, t.state.name, t.user_attrs.get(SURPLUS)) for t in study.trials]
    assert calls == [1] and states[:2] == [(0, "COMPLETE", None), (1, "COMPLETE", None)]


def test_run_worker_does_nothing_on_a_finished_study():
    study = optuna.create_study()
    study.optimize(lambda t: 1.0, n_trials=3)
    assert run_worker(study, lambda t: 1.0, 3) == 0 and len(study.trials) == 3
    assert run_worker(study, lambda t: 1.0, 5) == 2 and len(study.trials) == 5


def test_an_objective_error_fails_its_trial_and_stops_the_worker():
    study = optuna.create_study()

    def broken(trial):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        run_worker(study, broken, 4)
    assert [t.state.name for t in study.trials] == ["FAIL"]


def test_fake_config_is_what_the_workers_pickle():
    import pickle

    config = make_config()
    assert isinstance(pickle.loads(pickle.dumps(config)), FakeConfig)
