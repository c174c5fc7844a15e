"""``gradlab tune --scheduler`` over Dask: the study's workers run as tasks on a local
2-process cluster on 127.0.0.1 against one SQLite file; the study ends with exactly the
trials asked for and the same best parameters as a serial run (the random sampler draws
trial k from (seed, k), so the trials do not depend on which process ran them); the CLI
runs a tiny real config there; the same on a throwaway PostgreSQL; an in-memory storage and
a bad --jobs are refused."""

import json

import pytest

optuna = pytest.importorskip("optuna")
pytest.importorskip("distributed")

from test_tune_command import _config, _run  # noqa: E402
from test_tuning_study import make_config  # noqa: E402
from test_tuning_workers import slow_fake_train  # noqa: E402

from gradlab.lab.tuning import tune  # noqa: E402
from gradlab.lab.tuning.workers import SURPLUS, finished_count  # noqa: E402

# what best_params.json says about the best trial (storage and counts name the run)
SAME = ("sampler", "metric", "direction", "objective", "best_value", "best_trial", "params",
        "overrides")  # fmt: skip


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:  # fmt: skip
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        yield cluster


def _best(folder):
    saved = json.loads((folder / "best_params.json").read_text())
    return {key: saved[key] for key in SAME}


@pytest.mark.slow
def test_tune_on_a_dask_cluster_finishes_n_trials_with_the_serial_best(
    tmp_path, cluster, monkeypatch
):
    from gradlab.lab.tuning import dask_workers

    counts = []
    run = dask_workers.run_workers_on_dask
    monkeypatch.setattr(dask_workers, "run_workers_on_dask",
                        lambda *a, **k: counts.append(run(*a, **k)) or counts[-1])  # fmt: skip
    config = make_config(pruner="none", sampler="random")
    serial = tune(config, trials=6, out_dir=tmp_path / "serial", train=slow_fake_train,
                  verbose=0)  # fmt: skip
    result = tune(config, trials=6, out_dir=tmp_path / "dask", train=slow_fake_train,
                  scheduler=cluster.scheduler_address, verbose=0)  # fmt: skip
    study = result.study
    assert len(counts[0]) == 2 and sum(counts[0]) == 6  # one task per Dask worker, all 6 there
    assert finished_count(study) == 6 and result.counts["complete"] == 6
    ran = [t for t in study.get_trials(deepcopy=False) if not t.user_attrs.get(SURPLUS)]
    assert sorted(t.number for t in ran) == list(range(6))  # none lost, none run twice
    assert _best(tmp_path / "dask") == _best(tmp_path / "serial")
    assert result.best_params == serial.best_params


@pytest.mark.slow
def test_tune_on_a_dask_cluster_with_a_postgresql_storage(tmp_path, tmp_path_factory, cluster):
    import postgres_server

    started = postgres_server.start(tmp_path_factory.mktemp("postgres"))
    if started is None:
        pytest.skip(f"no throwaway PostgreSQL: {postgres_server.why_not}")
    url, stop = started
    try:
        config = make_config(pruner="none", sampler="random")
        tune(config, trials=4, out_dir=tmp_path / "serial", train=slow_fake_train, verbose=0)
        result = tune(config, trials=4, storage=url, study_name="dask", out_dir=tmp_path / "pg",
                      train=slow_fake_train, scheduler=cluster.scheduler_address,
                      verbose=0)  # fmt: skip
        assert finished_count(result.study) == 4 and result.counts["complete"] == 4
        assert _best(tmp_path / "pg") == _best(tmp_path / "serial")
    finally:
        stop()


@pytest.mark.slow
def test_tune_command_runs_a_real_config_on_the_dask_cluster(tmp_path, cluster, capsys):
    out = tmp_path / "out"
    argv = (_config(tmp_path), "--trials", 3, "--jobs", 3, "--out", out, "--quiet")
    assert _run(*argv, "--scheduler", cluster.scheduler_address) == 0
    study = optuna.load_study(study_name="tiny", storage=f"sqlite:///{out / 'study.db'}")
    assert finished_count(study) == 3
    saved = json.loads((out / "best_params.json").read_text())
    assert saved["best_trial"] == study.best_trial.number
    assert saved["params"] == study.best_trial.params


@pytest.mark.parametrize(
    ("flags", "message"),
    [(["--storage", "memory"], "--scheduler needs a storage the Dask workers share"),
     (["--jobs", "0"], "--jobs must be >= 1")],
)  # fmt: skip
def test_scheduler_refuses_a_memory_storage_and_bad_jobs(tmp_path, capsys, flags, message):
    assert _run(_config(tmp_path), "--scheduler", "tcp://127.0.0.1:9", *flags) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
