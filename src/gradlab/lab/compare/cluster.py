"""Run a comparison's (variant, seed) runs as tasks on a Dask cluster.

``gradlab compare EXPERIMENT --scheduler tcp://HOST:8786`` sends every run to the workers of
a running ``dask.distributed`` scheduler; ``--jobs N`` without ``--scheduler`` starts a
local cluster of N worker processes on 127.0.0.1 for the command's lifetime. Each task is
:func:`run_task`: the worker rebuilds the experiment's parts from its name and the options
(the data come from the same seeds and files, so every worker sees the same data), trains
the one run with :func:`~gradlab.lab.compare.runner.train_run` and sends back its
:class:`RunRecord`. The runs are gathered in the serial order, so the report and
``results.json`` hold the same numbers as a serial run (only the wall times differ).

Workers need gradlab (and the experiment's datasets) installed; start them with
``dask scheduler`` on one machine and ``dask worker tcp://HOST:8786 --nthreads 1`` on each
(one thread per process: NumPy training holds the GIL).
"""

from __future__ import annotations

from gradlab.lab.compare.experiment import CompareError, Experiment, Options, Part, PartResult
from gradlab.optional import require

__all__ = ["run_parts_on_dask", "run_task"]

_PARTS: dict = {}  # (experiment name, options) -> its parts, built once per worker process


def _parts_of(name: str, options: Options) -> list[Part]:
    from gradlab.lab.compare import get_experiment
    from gradlab.lab.compare.runner import select_variants

    key = (name, repr(options))
    if key not in _PARTS:
        parts = get_experiment(name).parts(options)
        select_variants(f"gradlab compare {name}", parts, options.variants)  # as the driver
        _PARTS.clear()  # one comparison at a time: keep one data set in memory
        _PARTS[key] = parts
    return _PARTS[key]


def run_task(name: str, options: Options, part_index: int, variant: str, seed: int):
    """One Dask task: train ``variant`` of part ``part_index`` of experiment ``name`` with
    ``seed`` and return its RunRecord (a picklable dataclass of numbers and lists)."""
    from gradlab.lab.compare import get_experiment
    from gradlab.lab.compare.runner import train_run

    part = _parts_of(name, options)[part_index]
    return train_run(get_experiment(name), part, variant, seed, options)


def _client(scheduler: str | None, jobs: int | None):
    """A Client of ``scheduler``, or of a new local cluster of ``jobs`` processes; the
    cluster (None for a remote scheduler) to close afterwards."""
    require("distributed", "gradlab compare --scheduler/--jobs")
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            return Client(scheduler, timeout=30), None
        except OSError as error:
            raise CompareError(f"cannot reach the Dask scheduler {scheduler}: {error}") from None
    cluster = LocalCluster(n_workers=jobs or 1, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=None)  # fmt: skip
    return Client(cluster), cluster


def run_parts_on_dask(experiment: Experiment, parts: list[Part], options: Options,
                      scheduler: str | None = None, jobs: int | None = None,
                      bar=None) -> list[PartResult]:  # fmt: skip
    """Train every (part, variant, seed) as a Dask task and gather the results in the
    order :func:`~gradlab.lab.compare.runner.train_part` would give them."""
    from distributed import as_completed

    client, cluster = _client(scheduler, jobs)
    try:
        futures, slots = [], []
        for index, part in enumerate(parts):
            for variant in part.variants:
                for seed in range(options.seeds):
                    futures.append(client.submit(
                        run_task, experiment.name, options, index, variant.name, seed,
                        pure=False, key=f"compare-{experiment.name}-{index}-{variant.name}-{seed}",
                    ))  # fmt: skip
                    slots.append(index)
        for future in as_completed(futures):
            future.result()  # raise a task's error here, at once
            if bar is not None:
                bar.update(options.epochs)
        runs = client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    results = [PartResult(part, []) for part in parts]
    for index, run in zip(slots, runs):
        results[index].runs.append(run)
    return results
