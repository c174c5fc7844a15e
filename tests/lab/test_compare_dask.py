"""``gradlab compare`` over Dask: every (variant, seed) a task on the workers of a local
2-process cluster on 127.0.0.1, through ``--jobs 2`` and through ``--scheduler tcp://...``;
the report's numbers and ``results.json`` are the serial run's, and the public
``train_run`` trains one (variant, seed) alone to the same numbers."""

import json

import pytest

pytest.importorskip("distributed")
pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")

from gradlab.cli import main  # noqa: E402
from gradlab.lab.compare import get_experiment, resolve_options  # noqa: E402
from gradlab.lab.compare.runner import select_variants, train_run  # noqa: E402

TIMING = ("seconds", "train_seconds", "trace_seconds")


def _numbers(value):
    """results.json without the wall times (the only thing a worker may change)."""
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items() if k not in TIMING}
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    return value


def _results(folder):
    return _numbers(json.loads((folder / "results.json").read_text()))


def _compare(folder, *more):
    # 'mae' and 'weighted' leave one variant in each of the two parts: the workers must
    # select the same variants and parts as the driver
    argv = ["compare", "losses", "--epochs", "2", "--seeds", "2", "--variants", "mae,weighted",
            "--no-progress", "--out", str(folder), *more]  # fmt: skip
    assert main(argv) == 0


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serial")
    _compare(folder)
    return _results(folder)


@pytest.mark.slow
def test_compare_on_a_local_dask_cluster_gives_the_serial_numbers(tmp_path, serial):
    from distributed import LocalCluster

    assert [len(p["runs"]) for p in serial["parts"]] == [2, 2]
    _compare(tmp_path / "jobs", "--jobs", "2")
    assert _results(tmp_path / "jobs") == serial
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:  # fmt: skip
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        _compare(tmp_path / "scheduler", "--scheduler", cluster.scheduler_address)
    assert _results(tmp_path / "scheduler") == serial


def test_train_run_trains_one_variant_and_seed_alone(tmp_path, serial):
    experiment = get_experiment("losses")
    options = resolve_options(experiment, epochs=2, seeds=2, out=tmp_path / "x",
                              variants=("mae", "weighted"))  # fmt: skip
    parts = experiment.parts(options)
    select_variants("test", parts, options.variants)
    run = train_run(experiment, parts[1], "weighted", 1, options)
    expected = next(r for r in serial["parts"][1]["runs"] if r["seed"] == 1)
    assert run.variant == "weighted" and run.seed == 1
    assert _numbers(run.history) == expected["history"]


@pytest.mark.parametrize(
    ("flags", "message"),
    [(["--jobs", "0"], "--jobs must be >= 1"),
     (["--jobs", "2", "--scheduler", "tcp://127.0.0.1:8786"], "give one of them")],
)  # fmt: skip
def test_bad_cluster_flags_exit_2_with_one_line(tmp_path, capsys, flags, message):
    assert main(["compare", "losses", "--out", str(tmp_path), *flags]) == 2
    assert message in capsys.readouterr().err
