"""The search space a config declares in its ``[search]`` section.

Each key is a dotted config field; its value says how to draw it::

    [search]
    "optimizer.lr" = { type = "log_uniform", low = 1e-5, high = 1e-2 }
    "optimizer.weight_decay" = { type = "uniform", low = 0.0, high = 1e-3 }
    "model.hidden" = { type = "int", low = 16, high = 128, step = 16 }
    "training.batch_size" = { type = "categorical", choices = [32, 64, 128] }
    "optimizer.name" = { type = "categorical", choices = ["adam", "sgd"],
                         with = { sgd = { "optimizer.momentum" = 0.9 } } }

Types: ``log_uniform`` (low > 0; drawn uniformly in log space), ``uniform`` (optional
``step``), ``int`` (``step`` default 1, optional ``log = true``) and ``categorical``
(``choices``: strings, numbers or booleans). A categorical may carry ``with``: per choice,
fixed config fields set along with it (sgd's momentum 0.9 in the notes' example 13); they
are not searched, only applied when that choice is drawn. Unquoted dotted keys
(``optimizer.lr = {...}``) and sub-tables (``[search.optimizer]``) mean the same.

A trial's overrides (:meth:`SearchSpace.suggest`) are the drawn values plus the ``with``
fields of the drawn choices, keyed by dotted field, ready for ``Config.with_overrides``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Param", "SearchSpace", "TYPES", "flatten", "validate_search"]

TYPES = ("log_uniform", "uniform", "int", "categorical")
_KEYS = {
    "log_uniform": {"type", "low", "high"},
    "uniform": {"type", "low", "high", "step"},
    "int": {"type", "low", "high", "step", "log"},
    "categorical": {"type", "choices", "with"},
}


def flatten(table: dict, prefix: str = "", stop=None) -> dict:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; a sub-table for which ``stop(table)`` is true
    is kept whole (a parameter spec)."""
    flat = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and not (stop and stop(value)):
            flat.update(flatten(value, name + ".", stop))
        else:
            flat[name] = value
    return flat


def _is_spec(value) -> bool:
    return isinstance(value, dict) and "type" in value


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _plain(value):
    """NumPy scalars to Python ones (JSON, TOML and Optuna's storage want Python types)."""
    return value.item() if isinstance(value, np.generic) else value


@dataclass(frozen=True)
class Param:
    """One searched config field: ``name`` is dotted ("optimizer.lr")."""

    name: str
    type: str
    low: float | int | None = None
    high: float | int | None = None
    step: float | int | None = None
    log: bool = False
    choices: tuple = ()
    with_: dict = field(default_factory=dict)  # str(choice) -> {dotted field: value}

    def suggest(self, trial):
        """Draw this parameter from an Optuna trial."""
        if self.type == "categorical":
            return trial.suggest_categorical(self.name, list(self.choices))
        if self.type == "int":
            return trial.suggest_int(
                self.name, self.low, self.high, step=self.step or 1, log=self.log
            )
        if self.type == "log_uniform":
            return trial.suggest_float(self.name, self.low, self.high, log=True)
        return trial.suggest_float(self.name, self.low, self.high, step=self.step)

    def extras(self, value) -> dict:
        """The fixed fields that come with choice ``value`` (empty when none)."""
        return dict(self.with_.get(_choice_key(value), {})) if self.type == "categorical" else {}

    def contains(self, value) -> bool:
        """Whether ``value`` lies in this parameter's declared range or choices."""
        if self.type == "categorical":
            return any(type(value) is type(c) and value == c for c in self.choices)
        if not _number(value) or (self.type == "int" and not isinstance(value, int)):
            return False
        return self.low <= value <= self.high

    def grid(self, points: int) -> list:
        """Values for a grid search: the choices as given; a numeric range as ``points``
        values from low to high (evenly spaced, in log space for log ranges), on the step's
        lattice when there is a step; an int range with fewer values keeps them all."""
        if self.type == "categorical":
            return list(self.choices)
        if self.type == "int":
            step = self.step or 1
            count = (self.high - self.low) // step + 1
            if count <= points:
                return list(range(self.low, self.high + 1, step))
            spaced = (
                np.geomspace(self.low, self.high, points)
                if self.log
                else np.linspace(self.low, self.high, points)
            )
            snapped = [
                min(self.high, self.low + step * round((v - self.low) / step)) for v in spaced
            ]
            return sorted({int(v) for v in snapped})
        if self.type == "log_uniform":
            values = np.geomspace(self.low, self.high, points)
        else:
            values = np.linspace(self.low, self.high, points)
            if self.step:
                values = self.low + self.step * np.round((values - self.low) / self.step)
                values = np.minimum(values, self.high)
        values = [float(_plain(v)) for v in values]
        values[0], values[-1] = float(self.low), float(self.high)  # exact ends, no rounding drift
        return sorted(set(values))

    def describe(self) -> str:
        """``log-uniform 1e-05..0.01``, ``one of [32, 64, 128]``..."""
        if self.type == "categorical":
            text = f"one of {list(self.choices)}"
            if self.with_:
                extra = "; ".join(
                    f"{choice} sets " + ", ".join(f"{k} = {v!r}" for k, v in fields.items())
                    for choice, fields in self.with_.items()
                )
                text += f" ({extra})"
            return text
        kind = {"log_uniform": "log-uniform", "uniform": "uniform", "int": "int"}[self.type]
        if self.type == "int" and self.log:
            kind = "int, log scale"
        text = f"{kind} {self.low:g}..{self.high:g}"
        return text + (f", step {self.step:g}" if self.step else "")


def _choice_key(value) -> str:
    """TOML keys are strings: the ``with`` table names a choice by its text (true/false for
    booleans, as TOML writes them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _parse_param(name: str, spec, where: str) -> tuple[Param | None, list[str]]:
    """One spec -> (Param or None, problem lines ``search.<name>: ...``)."""
    at = f"{where}.{name}"
    if not _is_spec(spec):
        return None, [f"{at}: expected a table with a type ({', '.join(TYPES)}), got {spec!r}"]
    kind = spec["type"]
    if kind not in TYPES:
        return None, [f"{at}.type: must be one of {', '.join(TYPES)}, got {kind!r}"]
    problems = [
        f"{at}: unknown key {key!r} for type {kind!r} (allowed: {', '.join(sorted(_KEYS[kind]))})"
        for key in spec
        if key not in _KEYS[kind]
    ]
    if kind == "categorical":
        return _parse_categorical(name, spec, at, problems)

    low, high = spec.get("low"), spec.get("high")
    integer = kind == "int"
    for key, value in (("low", low), ("high", high)):
        if value is None:
            problems.append(f"{at}.{key}: required for type {kind!r}")
        elif not _number(value) or (integer and not isinstance(value, int)):
            wanted = "an integer" if integer else "a number"
            problems.append(f"{at}.{key}: must be {wanted}, got {value!r}")
        elif not math.isfinite(value):
            problems.append(f"{at}.{key}: must be finite, got {value!r}")
    if problems:
        return None, problems
    if not low < high:
        problems.append(f"{at}: low must be < high, got low={low!r}, high={high!r}")
    log = kind == "log_uniform" or bool(spec.get("log", False))
    if "log" in spec and not isinstance(spec["log"], bool):
        problems.append(f"{at}.log: must be true or false, got {spec['log']!r}")
    if log and low <= 0:
        problems.append(f"{at}.low: a log scale needs low > 0, got {low!r}")
    step = spec.get("step")
    if step is not None:
        if not _number(step) or (integer and not isinstance(step, int)) or step <= 0:
            wanted = "an integer >= 1" if integer else "a number > 0"
            problems.append(f"{at}.step: must be {wanted}, got {step!r}")
        elif integer and log and step != 1:
            problems.append(f"{at}.step: a log-scale int needs step 1, got {step!r}")
    if problems:
        return None, problems
    if integer:
        return Param(name, kind, int(low), int(high), step=int(step or 1), log=log), []
    return Param(name, kind, float(low), float(high), step=step and float(step), log=log), []


def _parse_categorical(name, spec, at, problems):
    choices = spec.get("choices")
    if not isinstance(choices, list) or not choices:
        problems.append(f"{at}.choices: must be a non-empty list, got {choices!r}")
        return None, problems
    for index, choice in enumerate(choices):
        if not isinstance(choice, str | int | float | bool):
            problems.append(
                f"{at}.choices[{index}]: must be a string, number or boolean, got {choice!r}"
            )
    keys = [_choice_key(c) for c in choices]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        problems.append(f"{at}.choices: each choice must appear once, repeated: {duplicates}")
    extras: dict[str, dict] = {}
    table = spec.get("with", {})
    if not isinstance(table, dict):
        problems.append(f"{at}.with: must be a table choice -> {{field = value}}, got {table!r}")
        table = {}
    for choice, fields in table.items():
        if choice not in keys:
            problems.append(f"{at}.with.{choice}: {choice!r} is not one of the choices {keys}")
        elif not isinstance(fields, dict) or not fields:
            problems.append(
                f"{at}.with.{choice}: must be a table of fields to set, e.g. "
                f'{{ "optimizer.momentum" = 0.9 }}, got {fields!r}'
            )
        else:
            extras[choice] = flatten(fields)
    if problems:
        return None, problems
    return Param(name, "categorical", choices=tuple(choices), with_=extras), []


class SearchSpace:
    """The parameters of a ``[search]`` section, in the order the file gives them."""

    def __init__(self, params):
        self.params: list[Param] = list(params)
        self.by_name = {p.name: p for p in self.params}

    @classmethod
    def parse(cls, section: dict, where: str = "search") -> SearchSpace:
        """Parse a ``[search]`` table; ValueError with every problem, one line each."""
        space, problems = cls._parse(section, where)
        if problems:
            raise ValueError("\n".join(problems))
        return space

    @classmethod
    def _parse(cls, section, where: str = "search") -> tuple[SearchSpace, list[str]]:
        if not isinstance(section, dict):
            return cls([]), [f"{where}: must be a table of dotted field = {{ type = ... }}"]
        params, problems = [], []
        for name, spec in flatten(section, stop=_is_spec).items():
            if "." not in name:
                problems.append(
                    f"{where}.{name}: a searched field is named section.field, "
                    f"e.g. optimizer.lr, got {name!r}"
                )
                continue
            param, found = _parse_param(name, spec, where)
            problems.extend(found)
            if param is not None:
                params.append(param)
        if not params and not problems:
            problems.append(
                f"{where}: declares no parameter; add e.g. "
                '"optimizer.lr" = { type = "log_uniform", low = 1e-5, high = 1e-2 }'
            )
        searched = {p.name for p in params}
        for param in params:
            for choice, fields in param.with_.items():
                for key in fields:
                    if key in searched:
                        problems.append(
                            f"{where}.{param.name}.with.{choice}.{key}: {key} is searched; "
                            "a field is either searched or set with a choice, not both"
                        )
        return cls(params), problems

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]

    def suggest(self, trial) -> dict:
        """Draw every parameter from an Optuna trial -> the config overrides of that trial
        (drawn values, then the ``with`` fields of the drawn choices)."""
        values = {p.name: p.suggest(trial) for p in self.params}
        return self.overrides(values)

    def overrides(self, values: dict) -> dict:
        """Drawn values (e.g. a study's best_params) -> config overrides with the extras."""
        overrides = dict(values)
        for param in self.params:
            if param.name in values:
                overrides.update(param.extras(values[param.name]))
        return overrides

    def grid(self, points: int) -> dict[str, list]:
        """The grid for Optuna's GridSampler: parameter -> its values (see Param.grid)."""
        return {p.name: p.grid(points) for p in self.params}

    def grid_size(self, points: int) -> int:
        return math.prod(len(values) for values in self.grid(points).values())

    def contains(self, values: dict) -> bool:
        """Whether ``values`` names every parameter, each inside its declared range."""
        return set(values) == set(self.by_name) and all(
            self.by_name[name].contains(value) for name, value in values.items()
        )

    def probes(self) -> list[dict]:
        """Overrides that together touch every value kind the space can produce: each range's
        two ends, each choice with its extras (for checking the fields against a config)."""
        probes = []
        for param in self.params:
            if param.type == "categorical":
                probes.extend(self.overrides({param.name: c}) for c in param.choices)
            else:
                probes.extend({param.name: v} for v in (param.low, param.high))
        return probes


def validate_search(section: dict, name: str = "search") -> list[str]:
    """The ``extra_sections`` validator for ``load_config``: problem lines, no file prefix."""
    return SearchSpace._parse(section, name)[1]
