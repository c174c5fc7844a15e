"""gradlab reproduce, example 13 (notes 002 Q7): the Optuna search over lr, batch size and
optimizer runs 20 trials through gradlab's tuning code and every check passes; its config is
examples/configs/tune_example13.toml."""

import io
from pathlib import Path

import pytest
import tomllib

pytest.importorskip("optuna")

from gradlab.lab.reproduce import load_examples, run  # noqa: E402
from gradlab.lab.reproduce.ex13_optuna_search import CONFIG  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "configs" / "tune_example13.toml"


def test_example_13_runs_and_passes():
    example = load_examples().find("optuna-search")
    assert example is not None and example.number == 13 and load_examples().find("13") is example
    out = io.StringIO()
    status = run(["13"], out=out)
    text = out.getvalue()
    assert status == 0, text
    assert "PASS  1 example, 6 checks: 6 passed, 0 failed" in text and "FAIL " not in text
    assert "Best hyperparameters: {'optimizer.lr': " in text
    trials = [line for line in text.splitlines() if line.strip()[:1].isdigit() and "e-0" in line]
    assert len(trials) == 20
    assert {line.split()[1] for line in trials} <= {"adam", "sgd"}


def test_the_example_is_the_config_file():
    assert tomllib.loads(CONFIG) == tomllib.loads(EXAMPLE.read_text())
