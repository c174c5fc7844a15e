"""The ``[tune]`` section of a config: what a study optimizes and how.

::

    [tune]
    metric = "val_accuracy"     # a name the training history logs each epoch
    direction = "maximize"      # default: maximize for accuracy-like metrics, else minimize
    objective = "final"         # the trial's value: the metric's "final" or "best" epoch
    trials = 20                 # default for --trials
    sampler = "tpe"             # tpe | random | grid (default for --sampler)
    seed = 0                    # seeds the samplers (trial k draws from a hash of (seed, k))
    grid_points = 3             # points per numeric range in a grid search
    tpe_startup_trials = 10     # TPE draws at random before it models the results
    pruner = "median"           # median | none
    pruner_startup_trials = 5   # no pruning before this many trials have finished
    pruner_warmup_epochs = 1    # nor before a trial has reported this many epochs
    heartbeat_interval = 20     # seconds between a running trial's heartbeats (RDB storages)
    grace_period = 60           # a trial without a heartbeat this long is failed and re-run

Every key is optional. The objective's default "final" is the notes' example 13
(``history.history['val_accuracy'][-1]``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from gradlab.train.metrics import higher_is_better

__all__ = ["SAMPLERS", "TuneSettings", "validate_tune"]

SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("median", "none")


@dataclass(frozen=True)
class TuneSettings:
    metric: str = "val_loss"
    direction: str | None = None  # None: inferred from the metric (see .resolved_direction)
    objective: str = "final"
    trials: int = 20
    sampler: str = "tpe"
    seed: int = 0
    grid_points: int = 3
    tpe_startup_trials: int = 10
    pruner: str = "median"
    pruner_startup_trials: int = 5
    pruner_warmup_epochs: int = 1
    heartbeat_interval: int = 20
    grace_period: int = 60

    @property
    def resolved_direction(self) -> str:
        if self.direction is not None:
            return self.direction
        return "maximize" if higher_is_better(self.metric) else "minimize"

    @classmethod
    def parse(cls, section: dict | None, where: str = "tune") -> TuneSettings:
        """Parse a ``[tune]`` table (None: all defaults); ValueError listing every problem."""
        settings, problems = cls._parse(section or {}, where)
        if problems:
            raise ValueError("\n".join(problems))
        return settings

    @classmethod
    def _parse(cls, section, where: str) -> tuple[TuneSettings, list[str]]:
        if not isinstance(section, dict):
            return cls(), [f"{where}: must be a table, got {section!r}"]
        known = {f.name for f in fields(cls)}
        problems = [
            f"{where}.{key}: unknown key (allowed: {', '.join(sorted(known))})"
            for key in section
            if key not in known
        ]
        values = {k: v for k, v in section.items() if k in known}

        def choose(key, allowed):
            if key in values and values[key] not in allowed:
                problems.append(
                    f"{where}.{key}: must be one of {', '.join(allowed)}, got {values[key]!r}"
                )

        def integer(key, least):
            value = values.get(key, least)
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                problems.append(f"{where}.{key}: must be an integer >= {least}, got {value!r}")

        if "metric" in values and (not isinstance(values["metric"], str) or not values["metric"]):
            problems.append(
                f"{where}.metric: must be a logged name such as val_accuracy, got "
                f"{values['metric']!r}"
            )
        choose("direction", ("maximize", "minimize"))
        choose("objective", ("final", "best"))
        choose("sampler", SAMPLERS)
        choose("pruner", PRUNERS)
        integer("trials", 1)
        integer("seed", 0)
        integer("grid_points", 2)
        integer("tpe_startup_trials", 0)
        integer("pruner_startup_trials", 0)
        integer("pruner_warmup_epochs", 0)
        integer("heartbeat_interval", 1)
        integer("grace_period", 2)
        beat, grace = values.get("heartbeat_interval", 20), values.get("grace_period", 60)
        numbers = all(isinstance(v, int) and not isinstance(v, bool) for v in (beat, grace))
        if numbers and grace <= beat:
            problems.append(
                f"{where}.grace_period: must be longer than heartbeat_interval ({beat} s), "
                f"got {grace}"
            )
        return (cls() if problems else replace(cls(), **values)), problems


def validate_tune(section: dict, name: str = "tune") -> list[str]:
    """The ``extra_sections`` validator for ``load_config``: problem lines, no file prefix."""
    return TuneSettings._parse(section, name)[1]
