"""The TOML config of ``gradlab explain backprop``: a small net, its weights and one example.

::

    title = "The notes' example 8"          # optional, printed above the tables

    [net]
    sizes = [3, 2, 1]                       # units per layer, inputs first
    activation = "sigmoid"                  # or one per layer: ["relu", "identity"]
    names = ["1", "2", "3", "4", "5", "6"]  # optional unit labels (default 1, 2, 3, ...)

    [[layer]]                               # one per layer, input side first
    weight = [[0.2, 0.4, -0.5],             # nn.Linear's (out, in): row j = weights into unit j
              [-0.3, 0.1, 0.2]]
    bias = [-0.4, 0.2]

    [[layer]]
    weight = [[-0.3, -0.2]]
    bias = [0.1]

    [example]
    input = [1, 0, 1]
    target = [1]

    [update]
    loss = "half_sse"                       # 1/2 sum (T - O)^2, or "mse"
    lr = 0.9

Every problem is reported at once, one line each, ``file: field: message``
(:class:`BackpropConfigError`, whose ``.problems`` holds the lines).

The notes' two backprop examples are built in as specs, :data:`EXAMPLE_8` (the default of
``gradlab explain backprop``) and :data:`EXAMPLE_7`; examples/configs/backprop_example8.toml
and backprop_example7.toml are the same as files.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the tomli backport (a dependency there)
    import tomli as tomllib

from gradlab.explain.trace import ACTIVATIONS, LOSSES, BackpropSpec

__all__ = ["BackpropConfigError", "load_backprop_config", "validate_backprop_config",
           "EXAMPLE_7", "EXAMPLE_8"]  # fmt: skip

_SECTIONS = {
    "title": None,
    "net": {"sizes", "activation", "names"},
    "layer": {"weight", "bias"},
    "example": {"input", "target"},
    "update": {"loss", "lr"},
}


class BackpropConfigError(ValueError):
    """Every problem of a backprop config; ``.problems`` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _numbers(value, field: str, shape: tuple, problems: list[str]):
    """An array of ``shape`` from nested lists of numbers, or None with a problem added."""
    try:
        array = np.array(value, dtype=object)
    except ValueError:  # ragged nesting
        array = None
    if array is None or array.shape != shape or array.ndim == 0:
        got = f"shape {array.shape}" if array is not None and array.ndim else repr(value)
        what = "a list" if len(shape) == 1 else "a list of lists"
        problems.append(f"{field}: expected {what} of shape {shape}, got {got}")
        return None
    bad = [v for v in array.ravel() if not _is_number(v)]
    if bad:
        problems.append(f"{field}: expected numbers, got {bad[0]!r}")
        return None
    return array.astype(np.float64)


def _unknown(table: dict, allowed: set, where: str, problems: list[str]) -> None:
    for key in table:
        if key not in allowed:
            problems.append(f"{where}{key}: unknown key; expected one of {sorted(allowed)}")


def _sizes(net: dict, problems: list[str]) -> tuple[int, ...] | None:
    sizes = net.get("sizes")
    if sizes is None:
        problems.append("net.sizes: missing; give the units per layer, e.g. [3, 2, 1]")
        return None
    counts = isinstance(sizes, list) and all(
        isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in sizes
    )
    if not counts or len(sizes) < 2:
        problems.append(
            f"net.sizes: expected a list of at least 2 positive integers, got {sizes!r}"
        )
        return None
    return tuple(sizes)


def _activations(net: dict, depth: int | None, problems: list[str]) -> tuple[str, ...] | None:
    value = net.get("activation", "sigmoid")
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        problems.append(f"net.activation: expected a name or a list of names, got {value!r}")
        return None
    bad = [n for n in names if n not in ACTIVATIONS]
    if bad:
        problems.append(f"net.activation: unknown activation {bad[0]!r}; expected one of "
                        f"{list(ACTIVATIONS)}")  # fmt: skip
        return None
    if depth is None:
        return None
    if isinstance(value, str):
        return (value,) * depth
    if len(names) != depth:
        problems.append(f"net.activation: expected one name per layer ({depth}), got {len(names)}")
        return None
    return tuple(names)


def _names(net: dict, sizes, problems: list[str]) -> tuple[str, ...] | None:
    names = net.get("names")
    if names is None:
        return None
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        problems.append(f"net.names: expected a list of non-empty strings, got {names!r}")
        return None
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        problems.append(f"net.names: {twice!r} is given twice; unit names must be unique")
    if sizes is not None and len(names) != sum(sizes):
        problems.append(f"net.names: expected {sum(sizes)} names (one per unit), got {len(names)}")
    return tuple(names)


def _layers(layers, sizes, problems: list[str]):
    if layers is None:
        problems.append("layer: missing; give one [[layer]] table (weight, bias) per layer")
        return None, None
    if not isinstance(layers, list) or not all(isinstance(t, dict) for t in layers):
        problems.append("layer: expected [[layer]] tables")
        return None, None
    if sizes is not None and len(layers) != len(sizes) - 1:
        problems.append(f"layer: expected {len(sizes) - 1} [[layer]] tables (net.sizes has "
                        f"{len(sizes)} entries), got {len(layers)}")  # fmt: skip
        sizes = None
    weights, biases = [], []
    for l, table in enumerate(layers):
        where = f"layer[{l}]."
        _unknown(table, _SECTIONS["layer"], where, problems)
        for key in ("weight", "bias"):
            if key not in table:
                problems.append(f"{where}{key}: missing")
        if sizes is None:
            continue
        out, inp = sizes[l + 1], sizes[l]
        if "weight" in table:
            weights.append(_numbers(table["weight"], f"{where}weight", (out, inp), problems))
        if "bias" in table:
            biases.append(_numbers(table["bias"], f"{where}bias", (out,), problems))
    return weights, biases


def _update(update: dict, problems: list[str]) -> tuple[str, float]:
    loss = update.get("loss", "half_sse")
    if loss not in LOSSES:
        problems.append(f"update.loss: expected one of {sorted(LOSSES)}, got {loss!r}")
    lr = update.get("lr", 0.1)
    if not _is_number(lr) or not lr > 0:
        problems.append(f"update.lr: must be a number > 0, got {lr!r}")
    return loss, lr


def validate_backprop_config(raw: dict) -> tuple[BackpropSpec | None, list[str]]:
    """A spec from a parsed TOML dict, and the problem lines (``field: message``, no file)."""
    problems: list[str] = []
    _unknown(raw, set(_SECTIONS), "", problems)
    sections = {}
    for name in ("net", "example", "update"):
        value = raw.get(name, {})
        if not isinstance(value, dict):
            problems.append(f"{name}: expected a [{name}] table, got {value!r}")
            value = {}
        _unknown(value, _SECTIONS[name], f"{name}.", problems)
        sections[name] = value
    title = raw.get("title", "")
    if not isinstance(title, str):
        problems.append(f"title: expected a string, got {title!r}")
    net, example = sections["net"], sections["example"]
    sizes = _sizes(net, problems)
    activations = _activations(net, None if sizes is None else len(sizes) - 1, problems)
    names = _names(net, sizes, problems)
    weights, biases = _layers(raw.get("layer"), sizes, problems)
    vectors = {}
    for key, size in (("input", sizes and sizes[0]), ("target", sizes and sizes[-1])):
        if key not in example:
            problems.append(f"example.{key}: missing")
        elif size:
            vectors[key] = _numbers(example[key], f"example.{key}", (size,), problems)
    loss, lr = _update(sections["update"], problems)
    if problems:
        return None, problems
    spec = BackpropSpec(sizes, tuple(weights), tuple(biases), vectors["input"], vectors["target"],
                        activations, loss, float(lr), names, title)  # fmt: skip
    return spec, []


def load_backprop_config(path) -> BackpropSpec:
    """Read and validate a backprop config; :class:`BackpropConfigError` lists every problem."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError:
        raise BackpropConfigError([f"{path}: no such file"]) from None
    except OSError as error:
        raise BackpropConfigError([f"{path}: cannot read: {error.strerror or error}"]) from None
    except tomllib.TOMLDecodeError as error:
        raise BackpropConfigError([f"{path}: invalid TOML: {error}"]) from None
    spec, problems = validate_backprop_config(raw)
    if problems:
        raise BackpropConfigError([f"{path}: {line}" for line in problems])
    return spec


EXAMPLE_8 = BackpropSpec(
    sizes=(3, 2, 1),
    weights=(np.array([[0.2, 0.4, -0.5], [-0.3, 0.1, 0.2]]), np.array([[-0.3, -0.2]])),
    biases=(np.array([-0.4, 0.2]), np.array([0.1])),
    input=np.array([1.0, 0.0, 1.0]),
    target=np.array([1.0]),
    activations=("sigmoid", "sigmoid"),
    loss="half_sse",
    lr=0.9,
    title='The notes\' example 8 (003 "Worked example"): a 3-2-1 sigmoid net',
)
"""The notes' example 8: units 1-3 inputs, 4-5 hidden, 6 the output."""


EXAMPLE_7 = BackpropSpec(
    sizes=(2, 2, 2),
    weights=(np.array([[1.0, 0.5], [-0.5, -1.0]]), np.array([[0.5, -0.5], [-1.0, 1.0]])),
    biases=(np.array([0.5, -0.5]), np.array([-1.0, 0.5])),
    input=np.array([2.0, -1.0]),
    target=np.array([1.0, 0.5]),
    activations=("relu", "identity"),
    loss="mse",
    lr=0.1,
    names=("i1", "i2", "h1", "h2", "o1", "o2"),
    title="The notes' example 7 (003 Part III): a 2-2-2 ReLU net",
)
"""The notes' example 7. Its w_ij number units within each layer (w21: from i2 to h1, w31:
from h3 = relu(h1) to o1), so here w21 is the update ``w(i2,h1)`` and w31 is ``w(h1,o1)``."""
