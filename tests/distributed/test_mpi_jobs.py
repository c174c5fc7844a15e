"""Real MPI jobs of 2 ranks (mpiexec from the mpich wheel, in a loopback-only network
namespace where permitted): the weights and logs of data-parallel training equal one
process's on the full batch, stop decisions and failures reach every rank, and a
distributed run resumes exactly."""

import importlib.util
import json
import re

import numpy as np
import pytest

pytest.importorskip("mpi4py")
import mpi_launch  # noqa: E402

pytestmark = pytest.mark.skipif(mpi_launch.mpiexec() is None, reason="no mpiexec")

ATOL = 2e-6  # float32 sums in another order: two half-batch gradients averaged


def _check(done):
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"


def _weights(folder, rank=0):
    return np.load(folder / f"weights-{rank}.npy")


def _history(folder, rank=0):
    return json.loads((folder / f"history-{rank}.json").read_text())


def test_raw_loop_on_two_ranks_gives_the_weights_of_one_process_on_the_full_batch(tmp_path):
    _check(mpi_launch.run_alone("raw_loop.py", tmp_path / "one", 16, 3))
    _check(mpi_launch.run(2, "raw_loop.py", tmp_path / "two", 16, 3))
    one = _weights(tmp_path / "one")
    two0, two1 = _weights(tmp_path / "two", 0), _weights(tmp_path / "two", 1)
    np.testing.assert_array_equal(two0, two1)  # every rank steps with the same gradients
    np.testing.assert_allclose(two0, one, rtol=0, atol=ATOL)


def test_fit_on_two_ranks_gives_the_weights_and_logs_of_one_process(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    _check(mpi_launch.run_alone("fit.py", one, 32, 4))
    tensorboard = ("tensorboard",) if importlib.util.find_spec("tensorboardX") else ()
    _check(mpi_launch.run(2, "fit.py", two, 16, 4, *tensorboard))
    np.testing.assert_array_equal(_weights(two, 0), _weights(two, 1))
    np.testing.assert_allclose(_weights(two), _weights(one), rtol=0, atol=ATOL)
    h1, h2 = _history(one), _history(two)
    assert _history(two, 1) == h2  # every rank holds the same History
    assert sorted(h1) == sorted(h2)
    for key in h1:
        np.testing.assert_allclose(h2[key], h1[key], rtol=1e-6, err_msg=key)
    # the files are written once, by rank 0: one header and one row per epoch
    rows = (two / "history.csv").read_text().splitlines()
    assert len(rows) == 5 and rows[0].startswith("epoch,")
    if tensorboard:  # event files of one process (their names end in its pid)
        events = list((two / "tb").rglob("events.out.tfevents.*"))
        assert len(events) == 2 and len({p.name.split(".")[-2] for p in events}) == 1, events
    assert sorted(p.name for p in two.glob("model-*.safetensors")) == [
        f"model-{e}.safetensors" for e in (1, 2, 3, 4)
    ]


def test_a_stop_asked_for_on_one_rank_stops_every_rank(tmp_path):
    done = mpi_launch.run(2, "fit.py", tmp_path, 8, 3, "stop_rank=1")
    _check(done)
    # rank 1 stopped after its 2nd batch; rank 0 stopped with it (no hang, same History)
    assert _history(tmp_path, 0) == _history(tmp_path, 1)
    assert len(_history(tmp_path, 0)["loss"]) == 1
    np.testing.assert_array_equal(_weights(tmp_path, 0), _weights(tmp_path, 1))


@pytest.mark.parametrize("crash_rank", [1, -1], ids=["one-rank", "every-rank"])
def test_a_rank_that_raises_ends_the_job_with_its_error(tmp_path, crash_rank):
    done = mpi_launch.run(
        2, "fit.py", tmp_path, 8, 4, "crash_at=1.2", f"crash_rank={crash_rank}", timeout=60
    )
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "RuntimeError: deliberate failure on rank" in output
    assert "aborting all 2 ranks" in output


def test_a_killed_distributed_run_resumes_exactly(tmp_path):
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    options = ("shuffle", "save_freq=3")
    _check(mpi_launch.run(2, "fit.py", whole, 8, 4, *options))
    crashed = mpi_launch.run(2, "fit.py", broken, 8, 4, *options, "crash_at=2.1", "crash_rank=1")
    assert crashed.returncode != 0
    assert len((broken / "history.csv").read_text().splitlines()) == 3  # epochs 0, 1 ended
    _check(mpi_launch.run(2, "fit.py", broken, 8, 4, *options, "resume"))
    for rank in (0, 1):
        np.testing.assert_array_equal(_weights(broken, rank), _weights(whole, rank))
        assert _history(broken, rank) == _history(whole, rank)
    assert (broken / "history.csv").read_text() == (whole / "history.csv").read_text()


def test_collectives_and_no_sync_on_two_ranks():
    done = mpi_launch.run(2, "collectives.py", timeout=60)
    _check(done)
    # the ranks share one stdout, so their lines may interleave
    assert sorted(re.findall(r"ok \d", done.stdout)) == ["ok 0", "ok 1"]


def test_fit_under_mpiexec_without_a_process_group_warns():
    done = mpi_launch.run(2, "no_group.py", timeout=60)
    _check(done)
    assert re.findall(r"WARNED|SILENT", done.stdout) == ["WARNED", "WARNED"]
