"""``gradlab train CONFIG`` under ``mpiexec -n 2``: the weights of one process on the full
batch, the run's files written once (by rank 0), exact ``--resume``, and a failure on the
ranks ending the job with the error."""

import numpy as np
import pytest

pytest.importorskip("mpi4py")
pytest.importorskip("sklearn")
import mpi_launch  # noqa: E402
from safetensors.numpy import load_file  # noqa: E402

pytestmark = pytest.mark.skipif(mpi_launch.mpiexec() is None, reason="no mpiexec")

CONFIG = """
[data]
name = "digits"
view = "flat"
max_samples = 640       # 384 training samples: shards of equal size, no padding

[model]
name = "mlp"
hidden_sizes = [16]
activation = "relu"

[optimizer]
name = "sgd"
lr = 0.05

[training]
epochs = 2
batch_size = 64
shuffle = false
metrics = ["accuracy"]
"""


def _check(done):
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"


def _weights(folder):
    return load_file(str(folder / "model.safetensors"))


@pytest.mark.slow
def test_train_command_on_two_ranks_matches_one_process_and_resumes(tmp_path):
    config = tmp_path / "mlp.toml"
    config.write_text(CONFIG)
    one, two = tmp_path / "one", tmp_path / "two"
    _check(mpi_launch.run_alone("gradlab", "train", config, "--out", one, "--quiet"))
    done = mpi_launch.run(2, "gradlab", "train", config, "--out", two,
                          "--set", "training.batch_size=32")  # fmt: skip
    _check(done)
    assert done.stdout.count("wrote ") == 3  # rank 0 alone reports (report, history, model)
    assert done.stdout.count("Epoch 2/2") == 1
    a, b = _weights(one), _weights(two)
    for name in a:
        np.testing.assert_allclose(b[name], a[name], rtol=0, atol=2e-6, err_msg=name)
    assert len((two / "history.csv").read_text().splitlines()) == 3

    # one more epoch from the backup equals a 3-epoch run from the start
    more = ("--set", "training.batch_size=32", "--set", "training.epochs=3", "--quiet")
    _check(mpi_launch.run(2, "gradlab", "train", config, "--out", two, "--resume", *more))
    _check(mpi_launch.run(2, "gradlab", "train", config, "--out", tmp_path / "three", *more))
    resumed, whole = _weights(two), _weights(tmp_path / "three")
    for name in whole:
        np.testing.assert_array_equal(resumed[name], whole[name])


def test_a_failure_on_the_ranks_ends_the_job_with_the_error(tmp_path):
    config = tmp_path / "mlp.toml"
    config.write_text(CONFIG)
    done = mpi_launch.run(2, "gradlab", "train", config, "--out", tmp_path / "none",
                          "--resume", timeout=60)  # fmt: skip
    assert done.returncode != 0
    assert "nothing to resume" in done.stderr
