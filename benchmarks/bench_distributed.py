"""Data-parallel scaling over MPI: the same training on 1 and on 2 ranks of this machine.

Workload: ``Trainer.fit`` of the MLP 784-256-128-10 (SGD, momentum 0.9, cross-entropy) on
16,384 samples of 784 float32 features, a global batch of 256 (256 / R per rank on R ranks,
so every configuration makes the same 64 optimizer steps per epoch and the same updates),
no metrics, no validation. Each configuration runs as one ``mpiexec -n R`` job that trains
one warm-up epoch and then ``--epochs`` timed epochs, ``--rounds`` times, the configurations
interleaved; the table gives the median and the best epoch (rank 0's wall time; the ranks
step together) and samples per second. On a machine shared with other work, the best epoch
is the better estimate of what the configuration can do; the median is what a run got.

Configurations: R ranks x T BLAS threads per rank (set in each rank with threadpoolctl):
1x1, 1x2 (one process using both cores), 2x1 (two processes, one core each). On a machine
with C free cores the speedup of 2x1 over 1x1 is bounded by 2 and reduced by the gradient
all-reduce (one flat buffer of 235,146 floats per step, through shared memory on one host)
and by the work each rank repeats (the epoch's Python loop, loss, optimizer step).

Run: ``python benchmarks/bench_distributed.py [--epochs 5] [--rounds 3] [--configs 1x1,2x1]``;
on a cluster the same training runs under ``srun``/``mpirun -hosts`` (README, "Distributed
training").
Writes nothing; paste the table into ``benchmarks/results/distributed.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

SAMPLES, FEATURES, CLASSES, GLOBAL_BATCH = 16_384, 784, 10, 256


def worker(epochs: int, threads: int) -> None:
    """One rank: train and print rank 0's per-epoch wall times."""
    import numpy as np
    from threadpoolctl import threadpool_limits

    import gradlab
    import gradlab.distributed as dist
    from gradlab import nn, optim
    from gradlab.train import Trainer

    threadpool_limits(limits=threads, user_api="blas")
    world = dist.launched_world_size()
    if world > 1:
        dist.init_process_group("mpi")
    rank = dist.get_rank() if world > 1 else 0
    rng = np.random.default_rng(0)
    x = rng.normal(size=(SAMPLES, FEATURES)).astype(np.float32)
    y = rng.integers(0, CLASSES, SAMPLES)
    gradlab.manual_seed(0)
    model = nn.Sequential(nn.Linear(FEATURES, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                          nn.Linear(128, CLASSES))  # fmt: skip
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.01,
                                                              momentum=0.9))  # fmt: skip
    times = []
    for _ in range(epochs + 1):
        start = time.perf_counter()
        trainer.fit(x, y, epochs=1, batch_size=GLOBAL_BATCH // world, verbose=0,
                    generator=np.random.default_rng(1))  # fmt: skip
        times.append(time.perf_counter() - start)
    allreduce = []
    if world > 1:  # the communication alone: the gradient bucket's all-reduce, 50 times
        from gradlab.distributed import GradientBucket

        bucket, comm = GradientBucket(list(model.parameters())), dist.process_group.default_comm()
        for _ in range(50):
            comm.Barrier()
            start = time.perf_counter()
            bucket.average(comm)
            allreduce.append(time.perf_counter() - start)
    if rank == 0:
        print("EPOCHS", " ".join(f"{t:.6f}" for t in times[1:]), flush=True)
        if allreduce:
            print(f"ALLREDUCE {statistics.median(allreduce):.6f}", flush=True)


def _mpiexec() -> str:
    local = Path(sys.executable).parent / "mpiexec"
    found = str(local) if local.exists() else shutil.which("mpiexec")
    if found is None:
        sys.exit("bench_distributed: no mpiexec; pip install 'gradlab[mpi]'")
    return found


ALLREDUCE: dict = {}  # ranks -> median seconds of one gradient all-reduce


def run(ranks: int, threads: int, epochs: int) -> list[float]:
    command = [_mpiexec(), "-n", str(ranks), sys.executable, __file__, "--worker",
               "--epochs", str(epochs), "--threads", str(threads)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"bench_distributed: {' '.join(command)} failed:\n{done.stderr}")
    for li in done.stdout.splitlines():
        if li.startswith("ALLREDUCE"):
            ALLREDUCE.setdefault(ranks, []).append(float(li.split()[1]))
    line = next(li for li in done.stdout.splitlines() if li.startswith("EPOCHS"))
    return [float(v) for v in line.split()[1:]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs per job")
    parser.add_argument("--rounds", type=int, default=3, help="jobs per configuration")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--configs", default="1x1,1x2,2x1", help="RANKSxTHREADS,...")
    args = parser.parse_args()
    if args.worker:
        return worker(args.epochs, args.threads)
    import numpy as np

    import gradlab

    configs = [tuple(int(v) for v in c.split("x")) for c in args.configs.split(",")]
    print(f"gradlab {getattr(gradlab, '__version__', '?')}, numpy {np.__version__}, Python "
          f"{platform.python_version()}, {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())} before the run\n")  # fmt: skip
    samples = {config: [] for config in configs}
    for _ in range(args.rounds):  # interleaved: a busy spell on the machine hits every config
        for ranks, threads in configs:
            samples[(ranks, threads)] += run(ranks, threads, args.epochs)
    print("| ranks x BLAS threads | median epoch | best epoch | samples/s (median) | "
          "speedup over 1x1 (median) | speedup over 1x1 (best) |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- |")
    base = samples.get((1, 1))
    for (ranks, threads), times in samples.items():
        median, best = statistics.median(times), min(times)
        up = (f"{statistics.median(base) / median:.2f} | {min(base) / best:.2f}" if base
              else " | ")  # fmt: skip
        print(f"| {ranks} x {threads} | {median * 1e3:.0f} ms | {best * 1e3:.0f} ms | "
              f"{SAMPLES / median:,.0f} | {up} |")  # fmt: skip
    for ranks, values in ALLREDUCE.items():
        print(
            f"\n{ranks} ranks: one gradient all-reduce (235,146 float32, averaged) takes "
            f"{statistics.median(values) * 1e3:.2f} ms (median of the jobs' medians), "
            f"{statistics.median(values) * 64 * 1e3:.0f} ms of the epoch's 64 steps"
        )
    print(f"\nload average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
