"""The notes' three search strategies as Optuna's own samplers: grid, random, TPE.

- ``grid``: :class:`optuna.samplers.GridSampler` over :meth:`SearchSpace.grid`
  (categorical choices as given, each numeric range as ``grid_points`` values); when the
  grid has fewer points than the trial budget the study stops once every point is tried.
- ``random``: :class:`optuna.samplers.RandomSampler`.
- ``tpe``: :class:`optuna.samplers.TPESampler` (Bayesian optimization with a
  tree-structured Parzen estimator; the first ``tpe_startup_trials`` draws are random;
  ``constant_liar`` so parallel workers do not propose the same point).

The random and TPE samplers are wrapped in :class:`TrialSeededSampler`: trial k draws with
a fresh sampler seeded from ``(seed, k)``. Trial numbers are unique within a study, so
workers that share a storage never draw the same random sequence, and a run's draws do
not depend on how many processes made it (TPE's later draws still depend on which results
it has seen). The grid
sampler needs no wrapper: every worker shuffles the grid with the same seed and trial k
takes point k of it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gradlab.lab.tuning.search_space import SearchSpace
from gradlab.lab.tuning.settings import SAMPLERS, TuneSettings
from gradlab.optional import require

__all__ = ["TrialSeededSampler", "make_sampler"]

_optuna = require("optuna", "gradlab tune")


class TrialSeededSampler(_optuna.samplers.BaseSampler):
    """Delegates each trial to ``make(trial_seed(trial.number))``, built when it starts."""

    def __init__(self, make: Callable[[int], object], seed: int, name: str = ""):
        self._make = make
        self._seed = int(seed)
        self._inner: dict[int, object] = {}
        self.name = name

    def trial_seed(self, number: int) -> int:
        """The seed of trial ``number``: a hash of (seed, number), so studies with nearby
        seeds do not share draws (seed + number would: seed 1's trial 0 = seed 0's trial 1)."""
        return int(np.random.SeedSequence([self._seed, number]).generate_state(1)[0])

    def _for(self, trial):
        inner = self._inner.get(trial.number)
        if inner is None:
            inner = self._inner[trial.number] = self._make(self.trial_seed(trial.number))
        return inner

    def before_trial(self, study, trial) -> None:
        self._for(trial).before_trial(study, trial)

    def infer_relative_search_space(self, study, trial):
        return self._for(trial).infer_relative_search_space(study, trial)

    def sample_relative(self, study, trial, search_space):
        return self._for(trial).sample_relative(study, trial, search_space)

    def sample_independent(self, study, trial, param_name, param_distribution):
        return self._for(trial).sample_independent(study, trial, param_name, param_distribution)

    def after_trial(self, study, trial, state, values) -> None:
        try:
            self._for(trial).after_trial(study, trial, state, values)
        finally:
            self._inner.pop(trial.number, None)

    def reseed_rng(self) -> None:  # the seeds come from the trial numbers
        pass

    def __repr__(self) -> str:
        return f"TrialSeededSampler({self.name}, seed={self._seed})"


def make_sampler(kind: str, space: SearchSpace, settings: TuneSettings):
    """The sampler ``kind`` (tpe | random | grid) for ``space``, seeded from ``settings``."""
    samplers = _optuna.samplers
    if kind == "grid":
        # one seed for every worker: trial k takes point k of the same seeded shuffle
        return samplers.GridSampler(space.grid(settings.grid_points), seed=settings.seed)
    if kind == "random":

        def make(seed):
            return samplers.RandomSampler(seed=seed)
    elif kind == "tpe":
        startup = settings.tpe_startup_trials

        def make(seed):
            return samplers.TPESampler(n_startup_trials=startup, seed=seed, constant_liar=True)
    else:
        raise ValueError(f"make_sampler: kind must be one of {', '.join(SAMPLERS)}, got {kind!r}")
    return TrialSeededSampler(make, settings.seed, kind)


def describe_sampler(kind: str, space: SearchSpace, settings: TuneSettings) -> str:
    """One sentence for a report."""
    if kind == "grid":
        size = space.grid_size(settings.grid_points)
        return (
            f"grid search (Optuna GridSampler) over {size} points: categorical choices as "
            f"given, each numeric range as {settings.grid_points} values (log-spaced for log "
            "ranges), visited in a seeded random order"
        )
    if kind == "random":
        return "random search (Optuna RandomSampler)"
    return (
        f"TPE (Optuna TPESampler, Bayesian optimization; the first "
        f"{settings.tpe_startup_trials} trials random, constant liar for parallel workers)"
    )
