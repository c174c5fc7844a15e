"""gradlab.explain.trace: the per-unit backprop trace, on the notes' examples 7 and 8 (their
numbers asserted), against a hand-written delta rule, against PyTorch, and its configs."""

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest

from gradlab.explain.trace import BackpropSpec, backprop_trace
from gradlab.explain.trace_config import (
    EXAMPLE_7,
    EXAMPLE_8,
    BackpropConfigError,
    load_backprop_config,
)

CONFIGS = Path(__file__).resolve().parents[2] / "examples" / "configs"

# the notes' example 8 tables (003 "Worked example")
_EX8_NET = {"4": -0.7, "5": 0.1, "6": -0.105}
_EX8_OUT = {"4": 0.332, "5": 0.525, "6": 0.474}
_EX8_ERR = {"5": -0.0065, "4": -0.0087}
_EX8_UPDATES = [
    ("w46", -0.261), ("w56", -0.138), ("w14", 0.192), ("w15", -0.306), ("w24", 0.4),
    ("w25", 0.1), ("w34", -0.508), ("w35", 0.194), ("θ6", 0.218), ("θ5", 0.194), ("θ4", -0.408),
]  # fmt: skip


def test_example_8_gives_the_notes_numbers():
    trace = backprop_trace(EXAMPLE_8)
    for name, value in _EX8_NET.items():
        assert abs(trace.unit(name).net_input - value) <= 5e-4
    for name, value in _EX8_OUT.items():
        assert abs(trace.unit(name).output - value) <= 5e-4
    for name, value in _EX8_ERR.items():
        assert abs(trace.unit(name).error - value) <= 5e-5
    # Err6 = 0.131169...: the notes' 0.1311 comes from the rounded O6 (see ex08)
    assert round(trace.unit("6").error, 4) == 0.1312
    assert [u.name for u in trace.updates] == [name for name, _ in _EX8_UPDATES]
    for name, value in _EX8_UPDATES:
        assert abs(trace.update(name).new - value) <= 5e-4, name
    assert trace.loss == pytest.approx(0.5 * (1 - trace.unit("6").output) ** 2, abs=1e-15)
    assert [u.output for u in trace.units[0]] == [1.0, 0.0, 1.0]
    assert trace.unit("1").net_input is None and trace.unit("1").error is None


def test_example_8_table_text():
    text = backprop_trace(EXAMPLE_8).to_text()
    assert "3-2-1 net, activation sigmoid, X = (1, 0, 1), T = (1), learning rate l = 0.9" in text
    assert "4        -0.7000      0.3318   (1)(0.2) + (0)(0.4) + (1)(-0.5) + (-0.4)" in text
    assert "6    0.131169   (0.4739)(1 - 0.4739)(1 - 0.4739)" in text
    assert "5   -0.006542   (0.525)(1 - 0.525)(0.1312)(-0.2)" in text
    assert "w46                 -0.3    -0.04352   -0.260829   -0.3 + (0.9)(0.1312)(0.3318)" in text
    assert "θ4                  -0.4     0.00872   -0.407852   -0.4 + (0.9)(-0.008725)" in text


def test_example_7_gives_the_notes_numbers():
    trace = backprop_trace(EXAMPLE_7)
    hidden, output = trace.layers
    np.testing.assert_array_equal(hidden.net_input, [2.0, -0.5])  # h1, h2
    np.testing.assert_array_equal(hidden.output, [2.0, 0.0])  # h3, h4
    np.testing.assert_array_equal(output.output, [0.0, -1.5])  # o1, o2
    assert trace.loss == 2.5
    w21 = trace.update("w(i2,h1)")  # the notes' w21: from i2 to h1
    assert (w21.layer, w21.kind, w21.index) == (1, "weight", (0, 1))
    assert w21.grad == pytest.approx(-1.5, abs=1e-15)
    assert w21.new == pytest.approx(0.65, abs=1e-15)
    assert trace.unit("h2").error == 0.0  # ReLU off: no error flows back
    text = trace.to_text()
    assert "o2    2.000000   (2/2)(0.5 - (-1.5))" in text
    assert "h1   -1.500000   (1)[(1)(0.5) + (2)(-1)]" in text
    assert "-0.0" not in text


def _delta_rule(spec: BackpropSpec):
    """The textbook delta rule in NumPy: errors per layer, weight grads, new weights."""
    slope = {"sigmoid": lambda i, o: o * (1 - o), "tanh": lambda i, o: 1 - o**2,
             "relu": lambda i, o: (i > 0) * 1.0,
             "identity": lambda i, o: np.ones_like(i)}  # fmt: skip
    f = {"sigmoid": lambda i: 1 / (1 + np.exp(-i)), "tanh": np.tanh,
         "relu": lambda i: np.maximum(i, 0), "identity": lambda i: i}  # fmt: skip
    outs, nets = [np.asarray(spec.input, float)], []
    for w, b, act in zip(spec.weights, spec.biases, spec.activations):
        nets.append(w @ outs[-1] + b)
        outs.append(f[act](nets[-1]))
    scale = 1.0 if spec.loss == "half_sse" else 2.0 / spec.sizes[-1]
    errors = [None] * len(spec.weights)
    last = spec.activations[-1]
    errors[-1] = slope[last](nets[-1], outs[-1]) * scale * (spec.target - outs[-1])
    for l in range(len(spec.weights) - 2, -1, -1):
        act = spec.activations[l]
        errors[l] = slope[act](nets[l], outs[l + 1]) * (spec.weights[l + 1].T @ errors[l + 1])
    new_w = [w + spec.lr * np.outer(e, o) for w, e, o in zip(spec.weights, errors, outs)]
    new_b = [b + spec.lr * e for b, e in zip(spec.biases, errors)]
    return nets, outs[1:], errors, new_w, new_b


def _random_spec(seed, activations, loss):
    rng = np.random.default_rng(seed)
    sizes = (3, 4, 3, 2)
    weights = tuple(rng.normal(size=(m, n)) for n, m in zip(sizes, sizes[1:]))
    biases = tuple(rng.normal(size=m) for m in sizes[1:])
    return BackpropSpec(sizes, weights, biases, rng.normal(size=3), rng.normal(size=2),
                        activations, loss, 0.3)  # fmt: skip


@pytest.mark.parametrize("loss", ["half_sse", "mse"])
@pytest.mark.parametrize(
    "activations",
    [("sigmoid", "sigmoid", "sigmoid"), ("tanh", "relu", "identity"), ("relu", "tanh", "sigmoid")],
)
def test_autograd_trace_matches_the_delta_rule(activations, loss):
    spec = _random_spec(1, activations, loss)
    trace = backprop_trace(spec)
    nets, outs, errors, new_w, new_b = _delta_rule(spec)
    for l, layer in enumerate(trace.layers):
        np.testing.assert_allclose(layer.net_input, nets[l], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(layer.output, outs[l], rtol=1e-12, atol=1e-14)
        errs = [u.error for u in trace.units[l + 1]]
        np.testing.assert_allclose(errs, errors[l], rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(-layer.net_input_grad, errors[l], rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(layer.bias_grad, layer.net_input_grad, rtol=0, atol=1e-15)
        np.testing.assert_allclose(layer.new_weight, new_w[l], rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(layer.new_bias, new_b[l], rtol=1e-10, atol=1e-14)
    assert len(trace.updates) == sum(m * n + m for n, m in zip(spec.sizes, spec.sizes[1:]))


def _evaluate_rule(rule: str) -> float:
    """The rule text as arithmetic: '(a)(1 - b)[(c)(d) + ...]' -> a*(1-b)*(c*d + ...)."""
    python = rule.replace("[", "(").replace("]", ")").replace("^", "**")
    python = re.sub(r"\)\s*\(", ")*(", python)
    assert re.fullmatch(r"[0-9eE.+\-*/() ]+", python), rule
    return eval(python)  # noqa: S307 - digits and operators only (checked above)


@pytest.mark.parametrize("activations", [("sigmoid",) * 3, ("tanh", "relu", "identity")])
@pytest.mark.parametrize("loss", ["half_sse", "mse"])
def test_the_printed_rules_compute_the_errors_and_updates(activations, loss):
    trace = backprop_trace(_random_spec(2, activations, loss))
    for layer in trace.units[1:]:
        for unit in layer:
            # each number is printed to 4 significant digits
            assert _evaluate_rule(unit.rule) == pytest.approx(unit.error, rel=5e-3, abs=1e-4)
    for item in trace.updates:
        got = _evaluate_rule(item.rule.replace(" + (", " + 1*(", 1))
        assert got == pytest.approx(item.new, rel=5e-3, abs=1e-3), item.name


def test_trace_matches_torch():
    torch = pytest.importorskip("torch")
    spec = _random_spec(3, ("tanh", "sigmoid", "identity"), "mse")
    layers = [
        torch.nn.Linear(n, m, dtype=torch.float64) for n, m in zip(spec.sizes, spec.sizes[1:])
    ]
    with torch.no_grad():
        for layer, w, b in zip(layers, spec.weights, spec.biases):
            layer.weight.copy_(torch.from_numpy(w))
            layer.bias.copy_(torch.from_numpy(b))
    x = torch.from_numpy(spec.input)
    out = layers[2](torch.sigmoid(layers[1](torch.tanh(layers[0](x)))))
    loss = torch.nn.MSELoss()(out, torch.from_numpy(spec.target))
    loss.backward()
    torch.optim.SGD([p for layer in layers for p in layer.parameters()], lr=spec.lr).step()
    trace = backprop_trace(spec)
    assert trace.loss == pytest.approx(loss.item(), rel=1e-12)
    for mine, theirs in zip(trace.layers, layers):
        np.testing.assert_allclose(mine.weight_grad, theirs.weight.grad.numpy(), rtol=1e-10)
        np.testing.assert_allclose(mine.new_weight, theirs.weight.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(mine.new_bias, theirs.bias.detach().numpy(), rtol=1e-12)


def _same_spec(a: BackpropSpec, b: BackpropSpec) -> None:
    for f in dataclasses.fields(BackpropSpec):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, tuple) and x and isinstance(x[0], np.ndarray):
            assert len(x) == len(y) and all(np.array_equal(p, q) for p, q in zip(x, y)), f.name
        elif isinstance(x, np.ndarray):
            assert np.array_equal(x, y), f.name
        else:
            assert x == y, f.name


def test_the_shipped_configs_are_the_notes_examples():
    _same_spec(load_backprop_config(CONFIGS / "backprop_example8.toml"), EXAMPLE_8)
    _same_spec(load_backprop_config(CONFIGS / "backprop_example7.toml"), EXAMPLE_7)


def test_a_bad_config_reports_every_problem_at_once(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(
        'colour = "red"\n'
        '[net]\nsizes = [3, 2, 1]\nactivation = ["sigmoid", "swish"]\nnames = ["a", "a"]\n'
        "[[layer]]\nweight = [[0.2, 0.4], [0.1, 0.2]]\nbias = [0.1, 0.2]\nscale = 2\n"
        '[[layer]]\nweight = [[0.1, "x"]]\n'
        "[example]\ninput = [1, 0]\n"
        '[update]\nloss = "hinge"\nlr = -0.5\n'
    )
    with pytest.raises(BackpropConfigError) as caught:
        load_backprop_config(path)
    problems = caught.value.problems
    expected = [
        "colour: unknown key; expected one of ['example', 'layer', 'net', 'title', 'update']",
        "net.activation: unknown activation 'swish'; expected one of ['sigmoid', 'tanh', "
        "'relu', 'identity']",
        "net.names: 'a' is given twice; unit names must be unique",
        "net.names: expected 6 names (one per unit), got 2",
        "layer[0].scale: unknown key; expected one of ['bias', 'weight']",
        "layer[0].weight: expected a list of lists of shape (2, 3), got shape (2, 2)",
        "layer[1].bias: missing",
        "layer[1].weight: expected numbers, got 'x'",
        "example.input: expected a list of shape (3,), got shape (2,)",
        "example.target: missing",
        "update.loss: expected one of ['half_sse', 'mse'], got 'hinge'",
        "update.lr: must be a number > 0, got -0.5",
    ]
    assert sorted(problems) == sorted(f"{path}: {line}" for line in expected)
    assert str(caught.value) == "\n".join(problems)


def test_unreadable_configs(tmp_path):
    with pytest.raises(BackpropConfigError, match=r"nope\.toml: no such file"):
        load_backprop_config(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[net\n")
    with pytest.raises(BackpropConfigError, match=r"broken\.toml: invalid TOML: "):
        load_backprop_config(broken)
    layers = tmp_path / "layers.toml"
    layers.write_text("[net]\nsizes = [2, 1]\n[example]\ninput = [1, 2]\ntarget = [1]\n")
    with pytest.raises(BackpropConfigError) as caught:
        load_backprop_config(layers)
    assert caught.value.problems == [
        f"{layers}: layer: missing; give one [[layer]] table (weight, bias) per layer"
    ]


def test_direct_calls_check_shapes():
    bad = dataclasses.replace(EXAMPLE_8, input=np.array([1.0, 0.0]), activations=("sigmoid",))
    with pytest.raises(ValueError, match=r"activations: expected 2 \(one per layer\), got 1; "
                       r"input: expected shape \(3,\), got \(2,\)"):  # fmt: skip
        backprop_trace(bad)


def test_keep_graph_shows_values_before_the_step_and_gradients():
    trace = backprop_trace(EXAMPLE_8, keep_graph=True)
    text = trace.graph.to_text()
    assert "W2  [" in text and "value [[-0.3, -0.2]]  grad [[-0.0435235, -0.068861]]" in text
    assert "I2 = LinearOp" in text and "grad [-0.131169]" in text  # -Err6
    assert 'label="W1' in trace.graph.to_dot() or "W1" in trace.graph.to_dot()
    assert backprop_trace(EXAMPLE_8).graph is None
