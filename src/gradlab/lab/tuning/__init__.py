"""Hyperparameter tuning with Optuna (``gradlab tune``): a config declares its search space in
``[search]`` and the study's settings in ``[tune]``; :func:`tune` runs the study.

The config sections are parsed without Optuna (:mod:`.search_space`, :mod:`.settings`);
everything that runs a study imports Optuna (the ``lab`` extra) on first use, so a missing
Optuna is reported as ``pip install 'gradlab[lab]'`` only when tuning is asked for.

Modules: search_space (``[search]``), settings (``[tune]``), samplers (grid, random, TPE),
storage (SQLite by default, any Optuna URL), objective (one trial, pruning), workers
(processes sharing a study), tune_config (checking a config), study (:func:`tune`), outputs
(report, plots, best parameters), search_comparison (grid vs random vs TPE at one budget).
"""

from __future__ import annotations

from gradlab.lab.tuning.search_space import Param, SearchSpace, validate_search
from gradlab.lab.tuning.settings import TuneSettings, validate_tune

__all__ = [
    "EXTRA_SECTIONS",
    "Param",
    "SearchSpace",
    "TuneSettings",
    "compare_search",
    "tune",
    "validate_search",
    "validate_tune",
]

EXTRA_SECTIONS = {"search": validate_search, "tune": validate_tune}
"""The ``extra_sections`` argument of ``load_config`` for a tuning config."""


def __getattr__(name):
    if name == "tune":
        from gradlab.lab.tuning.study import tune

        return tune
    if name == "compare_search":
        from gradlab.lab.tuning.search_comparison import compare_search

        return compare_search
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
