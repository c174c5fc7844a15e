"""compare_search: grid, random and TPE end to end on a tiny real config at one budget; the
report names every strategy and holds real numbers; the best-so-far curves are right."""

import json
import math
import re
import textwrap

import numpy as np
import pytest

optuna = pytest.importorskip("optuna")

from test_tune_command import CONFIG  # noqa: E402

from gradlab.lab.config import load_config  # noqa: E402
from gradlab.lab.tuning import EXTRA_SECTIONS, SearchSpace, compare_search  # noqa: E402
from gradlab.lab.tuning.search_comparison import best_so_far, grid_points_for  # noqa: E402


def test_compare_search_end_to_end(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(textwrap.dedent(CONFIG))
    config = load_config(path, extra_sections=EXTRA_SECTIONS)
    result = compare_search(config, trials=5, out_dir=tmp_path / "out")
    assert list(result.results) == ["grid", "random", "tpe"]
    for kind, curves in result.curves.items():
        assert curves.shape == (1, 5), kind
        (run,) = result.results[kind]
        assert run.counts["complete"] + run.counts["pruned"] == 5, kind
        assert len(run.study.trials) == 5
        values = curves[0][~np.isnan(curves[0])]
        assert values.size and np.all(np.diff(values) >= 0), kind  # best so far never drops
        assert values[-1] == pytest.approx(run.best_value)
        assert 0.0 < run.best_value <= 1.0
    report = (tmp_path / "out" / "report.md").read_text()
    rows = {
        line.split("|")[1].strip(): line
        for line in report.splitlines()
        if line.startswith(("| grid", "| random", "| tpe"))
    }
    assert set(rows) == {"grid", "random", "tpe"}
    for kind, line in rows.items():
        cells = [c.strip() for c in line.strip("|").split("|")]
        best = float(cells[4])
        assert math.isfinite(best) and best == pytest.approx(result.results[kind][0].best_value,
                                                             rel=1e-3)  # fmt: skip
        assert re.search(r"optimizer\.lr=[0-9.e-]+", cells[5]), cells
    assert "![best value so far against the trial number](best_so_far.png)" in report
    assert (tmp_path / "out" / "best_so_far.png").stat().st_size > 0
    saved = json.loads((tmp_path / "out" / "results.json").read_text())
    assert set(saved["strategies"]) == {"grid", "random", "tpe"}
    assert saved["strategies"]["tpe"]["best_values"] == [result.results["tpe"][0].best_value]


def test_best_so_far_counts_only_completed_trials():
    study = optuna.create_study(direction="maximize")
    for value in (0.5, None, 0.4, 0.7, None):  # None: a pruned trial
        trial = study.ask()
        if value is None:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        else:
            study.tell(trial, value)
    curve = best_so_far(study, 7, maximize=True)
    np.testing.assert_array_equal(curve[:5], [0.5, 0.5, 0.5, 0.7, 0.7])
    assert np.isnan(curve[5:]).all()  # not run
    assert best_so_far(study, 5, maximize=False)[3] == 0.4


def test_the_grid_is_cut_fine_enough_for_the_budget():
    space = SearchSpace.parse({
        "optimizer.lr": {"type": "log_uniform", "low": 1e-5, "high": 1e-2},
        "optimizer.name": {"type": "categorical", "choices": ["adam", "sgd"]},
    })  # fmt: skip
    assert grid_points_for(space, 20, least=3) == 10  # 10 lrs x 2 optimizers
    assert grid_points_for(space, 4, least=3) == 3
    only_choices = SearchSpace.parse({"optimizer.name": {"type": "categorical",
                                                         "choices": ["adam", "sgd"]}})  # fmt: skip
    assert grid_points_for(only_choices, 20, least=3) == 3  # the grid cannot grow
