"""``gradlab compare``: the course notes' comparison experiments, trained and reported.

Each experiment trains several variants (activations, optimizers, schedules, losses,
initializers...) on the same data with the same settings, for several seeds, and writes
``DIR/report.md`` (summary tables with mean ± std over seeds, PNG plots with the mean curve
and the min..max band per variant), ``DIR/results.json`` (every run's history), and prints
the summary table::

    from gradlab.lab.compare import get_experiment, resolve_options, run_experiment

    experiment = get_experiment("activations")
    run_experiment(experiment, resolve_options(experiment, epochs=5, seeds=2, out="runs/act"))

Adding an experiment is one new file and one line here:

1. Write ``gradlab/lab/compare/<name>.py`` with a subclass of
   :class:`~gradlab.lab.compare.experiment.Experiment` (``name``, ``title``, ``summary``,
   ``notes``, ``datasets``, defaults) whose ``parts(options)`` returns one or more
   :class:`~gradlab.lab.compare.experiment.Part` s: the data (``datasets.load``), the
   :class:`~gradlab.lab.compare.experiment.Variant` s (each ``build(data) -> Setup``:
   model, loss, optimizer, optional scheduler and callbacks; called after
   ``gradlab.manual_seed(seed)``), the Trainer metrics and the summary
   :class:`~gradlab.lab.compare.experiment.Column` s. Optionally override ``finish_run``
   (add numbers to ``run.final``, data to ``run.extra``), ``extend_report`` (extra sections
   and plots, see :mod:`~gradlab.lab.compare.figures`) and ``conclusions``. End the file
   with ``EXPERIMENT = YourExperiment()``.
2. Add ``"<name>": "<module>",`` to :data:`EXPERIMENTS` below.

The runner (:mod:`~gradlab.lab.compare.runner`) does the rest: options, the progress bar,
training with :class:`gradlab.train.Trainer`, NaN handling, the report and the summary.
Every run's ``final`` numbers hold the last epoch's logs (``loss``, ``val_accuracy``...),
``best_val_<metric>``, ``epochs_to_milestone`` (when the part has a milestone) and
``seconds``; a run stopped on a non-finite loss has ``extra["stopped_at"]``.

What the other modules offer an experiment: :mod:`~gradlab.lab.compare.datasets` (``load``
with the ``FLAT`` and ``IMAGES`` name lists, ``limit_data``, ``cifar10_available``),
:mod:`~gradlab.lab.compare.nets` (``mlp`` sized from the data, ``linear_layers``),
:mod:`~gradlab.lab.compare.callbacks` (``LrTrace``, ``LayerGradients``, ``StopOnNaN``),
:mod:`~gradlab.lab.compare.figures` (``plot_layer_profile``, ``plot_fitted_lines``), and on
:class:`~gradlab.lab.compare.experiment.PartResult` ``curve``, ``values``, ``mean`` and
``best`` for the report and the conclusions.
"""

from __future__ import annotations

import importlib

from gradlab.lab.compare.experiment import CompareError, Experiment, Options
from gradlab.lab.compare.runner import CompareResult, resolve_options, run_experiment

__all__ = [
    "EXPERIMENTS", "CompareError", "CompareResult", "Experiment", "Options", "experiment_names",
    "get_experiment", "resolve_options", "run_experiment",
]  # fmt: skip

EXPERIMENTS: dict[str, str] = {
    "activations": "activations",
    "optimizers": "optimizers",
    "schedules": "schedules",
    "losses": "losses",
    "initializers": "initializers",
    "regularization": "regularization",
    "batching": "batching",
    "fitting": "fitting",
}
"""Experiment name -> module of this package defining ``EXPERIMENT`` (imported on use)."""


def experiment_names() -> list[str]:
    return list(EXPERIMENTS)


def get_experiment(name: str) -> Experiment:
    """The registered experiment ``name``; CompareError listing the valid names."""
    if name not in EXPERIMENTS:
        raise CompareError(
            f"gradlab compare: unknown experiment {name!r}; choose one of: {', '.join(EXPERIMENTS)}"
        )
    module = importlib.import_module(f"{__name__}.{EXPERIMENTS[name]}")
    return module.EXPERIMENT
