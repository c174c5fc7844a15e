"""Experiment configs: a TOML file, read with tomllib, validated whole before anything runs.

A config has the tables ``[data]``, ``[model]``, ``[loss]``, ``[optimizer]``, ``[schedule]``,
``[training]`` and ``[callbacks]`` (only ``[data]``, ``[model]`` and ``training.epochs`` are
required)::

    [data]
    name = "digits"              # gradlab.data's datasets: digits, iris, mnist, cifar10, ...
    view = "image"               # flat (N, F), image (N, C, H, W) or sequence (N, T, F)

    [model]
    name = "cnn"                 # mlp, cnn, lstm, gru, resnet, autoencoder, ...
    [optimizer]
    name = "adam"
    lr = 1e-3

    [training]
    epochs = 10

The model chooses how it trains (:mod:`gradlab.lab.loops`): one loss and one optimizer
(``Trainer.fit``), or its own loop (``perceptron``, ``gan``, ``seq2seq``), whose sections
and keys are checked as that loop takes them.

Reading a config never executes code from it: TOML is data, and no key may name code to
import (a ``[model] entry_point`` is refused). A model of the user's own is a Python file the
user passes on the command line (``--model-file FILE.py:FUNCTION``, see
:mod:`gradlab.lab.model_file`); it reaches :func:`load_config` as ``model_file``, already
loaded, and ``[model]`` then holds its keyword arguments.

:func:`load_config` reports every problem of a file at once, one line each, as
``file: section.key: message``, in a :class:`ConfigError`.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover (Python 3.10)
    import tomli as tomllib

__all__ = ["SECTIONS", "Config", "ConfigError", "load_config", "parse_config"]

SECTIONS = ("data", "model", "loss", "optimizer", "schedule", "training", "callbacks")


class ConfigError(ValueError):
    """Every problem of a config at once; ``.problems`` holds one line per problem,
    ``file: section.key: message``; ``str(error)`` joins them with newlines."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass
class Config:
    """A validated config: one dict per section, defaults filled in.

    ``path``: the file (None for a config parsed from text); ``extra``: the extra sections a
    caller accepted (raw); ``text``: the TOML text; ``raw``: the parsed tables as written.
    ``derived`` holds what validation worked out: the ``task`` ("classification", "binary",
    "regression"), the model's ``view`` and ``targets``, the loss ``kind``.
    """

    path: Path | None
    data: dict = field(default_factory=dict)
    model: dict = field(default_factory=dict)
    loss: dict = field(default_factory=dict)
    optimizer: dict = field(default_factory=dict)
    schedule: dict = field(default_factory=dict)
    training: dict = field(default_factory=dict)
    callbacks: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    text: str = ""
    raw: dict = field(default_factory=dict, repr=False)
    derived: dict = field(default_factory=dict)
    extra_sections: dict = field(default_factory=dict, repr=False)
    model_file: object = field(default=None, repr=False)  # a lab.model_file.UserModel
    overrides: dict = field(default_factory=dict, repr=False)  # with_overrides' keys, in order

    @property
    def name(self) -> str:
        """How problem lines name the file."""
        return str(self.path) if self.path is not None else "config"

    def with_overrides(self, overrides: dict) -> Config:
        """A new Config with dotted keys replaced (``{"optimizer.lr": 1e-3,
        "callbacks.early_stopping.patience": 3}``), validated again (ConfigError on a bad
        value). Replacing ``model.name`` or ``data.name`` keeps the other keys of the table."""
        raw = copy.deepcopy(self.raw)
        for dotted, value in overrides.items():
            parts = str(dotted).split(".")
            if len(parts) < 2 or not all(parts):
                raise ConfigError(
                    [
                        f"{self.name}: override {dotted!r}: expected 'section.key', e.g. "
                        "'optimizer.lr'"
                    ]
                )
            table = raw
            for part in parts[:-1]:
                table = table.setdefault(part, {})
                if not isinstance(table, dict):
                    raise ConfigError([f"{self.name}: override {dotted!r}: {part} is not a table"])
            table[parts[-1]] = list(value) if isinstance(value, tuple) else value
        config = parse_config(
            raw, self.path, self.extra_sections, text=self.text, model_file=self.model_file
        )
        config.overrides = {**self.overrides, **overrides}
        return config


MAX_DEPTH = 16
"""The deepest nesting of tables and arrays a config may have (its own need 4)."""


def _too_deep() -> str:
    return f"tables or arrays nested more than {MAX_DEPTH} levels deep; a config needs a few"


def _depth(value) -> int:
    """The nesting depth of dicts and lists in ``value``, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list | tuple):
            deepest = max(deepest, depth)
            if depth <= MAX_DEPTH:  # deeper than that is refused; no need to walk it all
                children = item.values() if isinstance(item, dict) else item
                stack.extend((child, depth + 1) for child in children)
    return deepest


def load_config(
    path,
    extra_sections: dict[str, Callable[[dict, str], list[str]]] | None = None,
    model_file=None,
) -> Config:
    """Read and validate the TOML config at ``path``.

    ``extra_sections`` (section name -> validator) accepts more tables, e.g. ``[search]``: a
    validator gets the table and its name and returns problem lines without the file prefix
    (``search.lr: ...``). ``model_file``: the user's model
    (:class:`~gradlab.lab.model_file.UserModel`) that ``[model]`` configures. Raises
    :class:`ConfigError` listing every problem.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError([f"{path}: cannot read the config: {error.strerror or error}"]) from None
    except UnicodeDecodeError as error:
        raise ConfigError([f"{path}: not UTF-8 text ({error.reason})"]) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError([f"{path}: invalid TOML: {error}"]) from None
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise ConfigError([f"{path}: {_too_deep()}"]) from None
    return parse_config(raw, path, extra_sections, text=text, model_file=model_file)


def parse_config(
    raw: dict, path=None, extra_sections=None, text: str = "", model_file=None
) -> Config:
    """Validate already-parsed tables (what ``tomllib.loads`` returns) into a Config."""
    from gradlab.lab import config_sections as S

    extra_sections = dict(extra_sections or {})
    name = str(path) if path is not None else "config"
    if _depth(raw) > MAX_DEPTH:
        raise ConfigError([f"{name}: {_too_deep()}"])
    problems: list[str] = []
    config = Config(
        Path(path) if path is not None else None,
        text=text,
        raw=copy.deepcopy(raw),
        extra_sections=extra_sections,
        model_file=model_file,
    )
    known = list(SECTIONS) + list(extra_sections)
    tables = {}
    for section, value in raw.items():
        if section not in known:
            problems.append(f"{section}: unknown section; expected one of {', '.join(known)}")
        elif not isinstance(value, dict):
            problems.append(f"{section}: expected a table [{section}], got {value!r}")
        else:
            tables[section] = value
    for section in ("data", "model"):
        if section not in raw:
            problems.append(f"{section}: missing required section [{section}]")
    for section in SECTIONS:
        tables.setdefault(section, {} if section not in ("data", "model") else None)
    problems += S.validate(config, tables)
    for section, validator in extra_sections.items():
        if section in tables:
            config.extra[section] = tables[section]
            problems += list(validator(tables[section], section) or [])
    if problems:
        raise ConfigError([f"{name}: {problem}" for problem in problems])
    return config
