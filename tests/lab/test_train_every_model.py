"""Every example config under examples/configs/train_*.toml trains end to end with
``gradlab train`` (one epoch, few samples): history.csv has one row of finite values,
model.safetensors holds the config's model's weights, report.md names the model.

File datasets (CIFAR-10, MovieLens-100k) are read from a small fake cache in the files'
real formats, so nothing is downloaded."""

from __future__ import annotations

import argparse
import csv
import math
from pathlib import Path

import numpy as np
import pytest

import gradlab
from gradlab.commands import train as train_command
from gradlab.lab import vocabulary as V
from gradlab.lab.builders import build_data, build_model
from gradlab.lab.config import load_config

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "configs"
CONFIGS = sorted(EXAMPLES.glob("train_*.toml"))

# what keeps each dataset small (the config's other keys stay)
SMALL = {
    "synthetic_ratings": ["data.n_users=40", "data.n_items=60", "data.n_ratings=800"],
    "seasonal_series": ["data.length=200"],
    "reversal_pairs": ["data.n_samples=300"],
    "gaussian_mixture": ["data.n_samples=400"],
    "make_classification": ["data.n_samples=200"],
    "spirals": ["data.n_samples=150"],
    "moons": ["data.n_samples=150"],
}
LOOP_SMALL = {"gan": ["training.steps_per_epoch=5", "training.batch_size=32"]}


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    """CIFAR-10 binary batches (12 random images each) and a MovieLens u.data (600
    ratings) in a temporary cache directory."""
    root = tmp_path_factory.mktemp("cache")
    rng = np.random.default_rng(0)
    cifar = root / "cifar-10-batches-bin"
    cifar.mkdir()
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        records = rng.integers(0, 256, size=(12, 3073), dtype=np.uint8)
        records[:, 0] = np.arange(12) % 10
        records.tofile(cifar / name)
    movielens = root / "ml-100k"
    movielens.mkdir()
    users, items = rng.integers(1, 31, 600), rng.integers(1, 51, 600)
    ratings, times = rng.integers(1, 6, 600), 874_724_710 + np.arange(600)
    lines = ["\t".join(map(str, row)) for row in zip(users, items, ratings, times)]
    (movielens / "u.data").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def overrides(config, cache: Path) -> list[str]:
    name = config.data["name"]
    items = ["training.epochs=1", *SMALL.get(name, []), *LOOP_SMALL.get(config.derived["loop"], [])]
    if V.DATASETS[name].files:
        items += [f'data.cache_dir="{cache.as_posix()}"', "data.download=false"]
    if name not in SMALL or name == "make_classification":
        items.append("data.max_samples=160")
    return items


def run(argv) -> int:
    parser = argparse.ArgumentParser(prog="gradlab")
    train_command.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.handler(args, [])


def test_every_model_has_an_example_config():
    named = {load_config(path).model.get("name") for path in CONFIGS}
    assert named >= set(V.MODELS), set(V.MODELS) - named


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_example_config_trains_end_to_end(tmp_path, cache, path, capsys):
    config = load_config(path)
    argv = ["train", str(path), "--out", str(tmp_path), "--quiet"]
    settings = overrides(config, cache)
    for item in settings:
        argv += ["--set", item]
    assert run(argv) == 0, capsys.readouterr().err
    with open(tmp_path / "history.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1
    assert len(rows[0]) >= 2  # the epoch and at least one logged value
    for key, value in rows[0].items():
        assert math.isfinite(float(value)), (key, value)

    small = config.with_overrides(dict(train_command.parse_override(s) for s in settings))
    model = build_model(small, build_data(small))
    weights = gradlab.load(tmp_path / "model.safetensors")
    assert set(weights) == set(model.state_dict())
    model.load_state_dict(weights)
    if config.derived["loop"] == "gan":
        assert {k.split(".")[0] for k in weights} == {"generator", "discriminator"}

    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert report.startswith(f"# {config.model['name']} on {config.data['name']}\n"), report[:80]
    assert f"`{type(model).__name__}` with" in report
    assert "## Final metrics" in report and "(history.png)" in report
