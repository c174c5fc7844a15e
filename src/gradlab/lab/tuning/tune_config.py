"""A tuning config checked before a study starts: its ``[search]`` space and ``[tune]``
settings (:func:`space_and_settings`), every problem at once (:func:`check_space`), and
:func:`load_tune_config` (the file, with both sections)."""

from __future__ import annotations

from pathlib import Path

from gradlab.lab.tuning.search_space import SearchSpace
from gradlab.lab.tuning.settings import TuneSettings


def space_and_settings(config) -> tuple[SearchSpace, TuneSettings]:
    """The config's ``[search]`` and ``[tune]`` sections, parsed (ValueError when the config
    has no ``[search]`` or either section is invalid)."""
    extra = getattr(config, "extra", None) or {}
    if "search" not in extra:
        where = getattr(config, "path", None) or "the config"
        raise ValueError(
            f"{where}: no [search] section; declare the searched fields, e.g. "
            '"optimizer.lr" = { type = "log_uniform", low = 1e-5, high = 1e-2 }'
        )
    return SearchSpace.parse(extra["search"]), TuneSettings.parse(extra.get("tune"))


def check_space(config, space: SearchSpace, settings=None, known=()) -> list[str]:
    """Problem lines for searched fields the config rejects: every range end and every
    choice (with its ``with`` fields) is tried with ``config.with_overrides``, so a field
    that does not exist or a value the config cannot take is found before any trial runs;
    with ``settings``, ``[tune] metric`` must be logged by every probed config. Lines are
    ``search: with optimizer.name = 'sgd': optimizer.momentum: ...`` (no file); problems
    in ``known`` (the config's own, already reported) are not repeated."""
    prefix = f"{getattr(config, 'name', '')}: "
    known = {line.removeprefix(prefix) for line in known}
    problems: list[str] = []
    line = None if known else _metric_problem(config, settings)
    if line:
        problems.append(line)
    for probe in space.probes():
        shown = ", ".join(f"{k} = {v!r}" for k, v in probe.items())
        try:
            probed = config.with_overrides(probe)
        except ValueError as error:
            for line in getattr(error, "problems", None) or [str(error)]:
                line = line.removeprefix(prefix)
                if line in known:
                    continue
                line = f"search: with {shown}: {line}"
                if line not in problems:
                    problems.append(line)
            continue
        line = _metric_problem(probed, settings)
        if line and not any(p.endswith(line) for p in problems):
            problems.append(line if not probe else f"search: with {shown}: {line}")
    return problems


def _metric_problem(config, settings) -> str | None:
    """``tune.metric: ...`` when training with ``config`` never logs the metric."""
    if settings is None or not getattr(config, "training", None):
        return None
    from gradlab.lab.config_sections import _monitorable

    if config.training.get("loop", "fit") != "fit":
        return None
    logged = [*_monitorable(config), "lr"]
    if settings.metric in logged:
        return None
    hint = ""
    if settings.metric.startswith("val_") and not any(n.startswith("val_") for n in logged):
        hint = " (validation metrics need training.validation_split)"
    names = ", ".join(logged)
    return f"tune.metric: {settings.metric!r} is not logged; training logs {names}{hint}"


def load_tune_config(path):
    """:func:`~gradlab.lab.config.load_config` with ``[search]`` and ``[tune]``, then every
    searched value probed and the metric checked: one :class:`ConfigError` with every
    problem at once, before any trial runs."""
    from gradlab.lab.config import Config, ConfigError, load_config, tomllib
    from gradlab.lab.tuning import EXTRA_SECTIONS

    try:
        config = load_config(path, extra_sections=EXTRA_SECTIONS)
        base: list[str] = []
    except ConfigError as error:
        base = error.problems
        try:  # the file parses: probe the search space against it too
            text = Path(path).read_text(encoding="utf-8")
            raw = tomllib.loads(text)
        except (OSError, ValueError, RecursionError):
            raise error from None
        config = Config(Path(path), raw=raw, text=text, extra_sections=EXTRA_SECTIONS)
        config.extra = {k: raw[k] for k in ("search", "tune") if isinstance(raw.get(k), dict)}
    try:
        space, settings = space_and_settings(config)
    except ValueError:  # [search] or [tune] invalid: load_config reported it
        if base:
            raise ConfigError(base) from None
        raise
    problems = check_space(config, space, settings, known=base)
    if base or problems:
        raise ConfigError(base + [f"{config.name}: {line}" for line in problems])
    return config
