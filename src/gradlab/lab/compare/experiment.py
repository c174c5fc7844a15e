"""What a comparison is made of: an :class:`Experiment` builds one or more :class:`Part` s,
each a dataset and a list of :class:`Variant` s trained with the same settings; the runner
trains every variant for every seed and keeps a :class:`RunRecord` per run.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "Column", "CompareError", "Data", "Experiment", "Options", "Part", "PartResult",
    "RunRecord", "Setup", "Variant", "stack_ragged",
]  # fmt: skip


def stack_ragged(rows) -> np.ndarray:
    """Rows of different lengths as one float array (len(rows), longest), NaN-padded."""
    rows = [np.asarray(row, dtype=float).reshape(-1) for row in rows]
    out = np.full((len(rows), max((len(r) for r in rows), default=0)), math.nan)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


class CompareError(ValueError):
    """Bad input to ``gradlab compare``: an unknown experiment, dataset or variant name."""


@dataclass
class Data:
    """A dataset split for one comparison.

    Attributes:
        name: the dataset's name as ``--data`` takes it ("digits", "cifar10", ...).
        x_train, y_train: (N, ...) float32 inputs and (N,) targets (int64 class indices, or
            float32 for regression / binary targets).
        x_test, y_test: the held-out part every epoch is validated on.
        task: "classification", "binary" or "regression".
        description: one line on where the data comes from and how it was prepared.
        num_classes: the number of classes (None for regression).
        note: shown in the output and the report (e.g. why a fallback dataset was used).
        extra: anything an experiment needs later (true coefficients, outlier masks...).
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    task: str
    description: str
    num_classes: int | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def in_features(self) -> int:
        """Elements per sample, e.g. 64 for (N, 1, 8, 8)."""
        return int(np.prod(self.x_train.shape[1:]))

    @property
    def sample_shape(self) -> tuple:
        return tuple(self.x_train.shape[1:])

    def shape_text(self) -> str:
        return (f"{len(self.x_train)} training and {len(self.x_test)} test samples of shape "
                f"{self.sample_shape}")  # fmt: skip


@dataclass
class Setup:
    """What one variant trains: a model, a loss and an optimizer (fresh for every run), an
    optional lr scheduler stepped per "epoch" or per "batch", and extra callbacks."""

    model: object
    loss: object
    optimizer: object
    scheduler: object = None
    per: str = "epoch"
    callbacks: list = field(default_factory=list)


@dataclass
class Variant:
    """One contender: ``build(data) -> Setup`` is called once per run, after
    ``gradlab.manual_seed(seed)``, so the model's initial weights follow the seed."""

    name: str
    build: Callable[[Data], Setup]
    description: str = ""


@dataclass
class Column:
    """A column of the summary table: ``key`` of :attr:`RunRecord.final`, its header, and
    whether higher ("max") or lower ("min") is better (the best mean is marked)."""

    key: str
    header: str
    goal: str = ""
    digits: int = 4
    missing: str = "nan"


@dataclass
class Part:
    """One comparison: the variants trained on ``data`` with the same fit settings.

    Attributes:
        title: the report's section heading.
        data, variants: what is compared.
        metrics: Trainer metric names logged every epoch ("accuracy", "f1", "mae", ...).
        columns: the summary table's columns.
        batch_size: the fit batch size.
        key: a short name, the prefix of this part's files ("" for a single-part experiment).
        curves: (history name, y label, log y) per plot of per-epoch curves.
        milestone: (history name, threshold, label): the summary's "epochs to label ≥
            threshold" column (the first epoch that reaches it; "never" if none does).
        setup: a paragraph on the settings shared by the variants.
    """

    title: str
    data: Data
    variants: list[Variant]
    metrics: tuple = ("accuracy",)
    columns: list[Column] = field(default_factory=list)
    batch_size: int = 32
    key: str = ""
    curves: tuple = (("loss", "training loss", False), ("val_loss", "test loss", False),
                     ("val_accuracy", "test accuracy", False))  # fmt: skip
    milestone: tuple | None = None
    setup: str = ""

    def file(self, name: str) -> str:
        """A file name for this part: ``name`` prefixed by the part's key."""
        return f"{self.key}_{name}" if self.key else name


@dataclass
class RunRecord:
    """One variant trained with one seed: the per-epoch ``history`` (name -> values),
    the ``final`` numbers the summary shows, ``extra`` data for an experiment's own
    sections (gradient norms, lr traces...), and the wall time."""

    variant: str
    seed: int
    history: dict
    final: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class PartResult:
    """The runs of one :class:`Part`, with helpers that stack them per variant."""

    part: Part
    runs: list[RunRecord]

    def runs_of(self, variant: str) -> list[RunRecord]:
        return [r for r in self.runs if r.variant == variant]

    @property
    def variant_names(self) -> list[str]:
        return [v.name for v in self.part.variants]

    def curve(self, variant: str, name: str) -> np.ndarray:
        """History ``name`` of every run of ``variant``, (runs, epochs), NaN-padded where a
        run stopped early or did not log it."""
        return stack_ragged([r.history.get(name, []) for r in self.runs_of(variant)])

    def values(self, variant: str, key: str) -> np.ndarray:
        """``final[key]`` of every run of ``variant`` (NaN where missing), (runs,)."""
        return np.array([float(r.final.get(key, math.nan)) for r in self.runs_of(variant)])

    def mean(self, variant: str, key: str) -> float:
        """The mean of ``final[key]`` over the runs of ``variant`` that have a finite value
        (NaN when none has)."""
        values = self.values(variant, key)
        finite = values[np.isfinite(values)]
        return float(finite.mean()) if finite.size else math.nan

    def best(self, key: str, goal: str = "max") -> tuple[str | None, float]:
        """The variant with the highest (``goal="max"``) or lowest mean ``final[key]``, and
        that mean; (None, NaN) when no variant has a finite value."""
        means = {v: self.mean(v, key) for v in self.variant_names}
        means = {v: m for v, m in means.items() if math.isfinite(m)}
        if not means:
            return None, math.nan
        pick = max if goal == "max" else min
        name = pick(means, key=means.get)
        return name, means[name]


@dataclass
class Options:
    """How to run an experiment: the resolved command-line settings."""

    data: str
    epochs: int
    seeds: int
    limit: int | None
    out: object
    variants: tuple = ()


class Experiment:
    """The notes' experiment of one kind; subclass it in one file of this package.

    Class attributes: ``name`` (the command's EXPERIMENT), ``title``, ``summary`` (one line
    for ``--help``), ``notes`` (what the course notes say or ask, quoted in the report),
    ``datasets`` (the ``--data`` names it takes) and ``default_data``, ``default_epochs``,
    ``default_seeds``, ``default_limit`` (cap on training samples, None for all).
    """

    name = ""
    title = ""
    summary = ""
    notes = ""
    datasets: tuple = ("digits",)
    default_data = "digits"
    default_epochs = 10
    default_seeds = 3
    default_limit: int | None = None

    def default_limit_for(self, data: str) -> int | None:
        """The training-sample cap when ``--limit`` is not given (default_limit)."""
        return self.default_limit

    def parts(self, options: Options) -> list[Part]:  # pragma: no cover - abstract
        """The comparisons to run (most experiments have one)."""
        raise NotImplementedError

    def finish_run(self, part: Part, run: RunRecord, trainer, setup: Setup) -> None:
        """After a run: add numbers to ``run.final`` / data to ``run.extra`` (default none)."""

    def extend_report(self, result: PartResult, report, out_dir) -> None:
        """Add this experiment's own sections and plots to ``report`` (default none)."""

    def conclusions(self, results: list[PartResult]) -> list[str]:
        """Lines printed after the summary table and added to the report (default none)."""
        return []
