"""End to end: data, nn, losses, optim and schedules train a real model on real data."""

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("sklearn")

_EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "train_digits_mlp.py"


def _load_example():
    spec = importlib.util.spec_from_file_location("train_digits_mlp", _EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mlp_on_digits_reaches_real_accuracy_and_is_reproducible():
    example = _load_example()
    first = example.train(epochs=30, seed=0, verbose=False)
    assert first >= 0.97
    assert example.train(epochs=30, seed=0, verbose=False) == first
