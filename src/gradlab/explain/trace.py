"""A per-unit backprop trace of a small fully connected net for one example, as the notes'
tables print it (003 "Worked example", example 8): each unit's net input I_j and output O_j,
its error Err_j, and each weight's and bias's update.

The numbers come from gradlab's autograd, not from a hand-written delta rule: the net is a
stack of float64 ``nn.Linear`` layers with activations, the loss is computed, ``backward()``
runs with ``retain_grad()`` on every net input, and ``optim.SGD(lr)`` takes one step. Then

    Err_j = -dL/dI_j                 (the notes' "error at each node")
    dL/dw_ij = -Err_j · O_i          so SGD's  w_ij - l·dL/dw_ij  is the notes'  w_ij + l·Err_j·O_i
    dL/dθ_j = -Err_j                 and       θ_j + l·Err_j

The table also writes each Err_j as the notes' rule with the numbers filled in (for sigmoid
units and L = ½Σ(T - O)²: Err_j = O_j(1 - O_j)(T_j - O_j) at an output, O_j(1 - O_j)·Σ_k Err_k·w_jk
at a hidden unit), so a learner can redo the arithmetic by hand.

Units are numbered as in the notes: inputs 1..n0, then each layer's units in turn (example 8:
inputs 1-3, hidden 4-5, output 6); ``names`` gives other labels. Weights are given in
``nn.Linear``'s (out, in) layout: ``weights[l][j, i]`` connects unit i of layer l to unit j of
layer l + 1 (the notes' w_ij).

Configs for ``gradlab explain backprop`` are read by :mod:`gradlab.explain.trace_config`,
which also holds the notes' examples 7 and 8 as specs (``EXAMPLE_7``, ``EXAMPLE_8``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gradlab import nn, optim
from gradlab.autograd import no_grad
from gradlab.creation import tensor
from gradlab.explain.graph import DotDisplay, GraphView

__all__ = ["ACTIVATIONS", "LOSSES", "BackpropSpec", "BackpropTrace", "LayerTrace", "Unit",
           "Update", "backprop_trace"]  # fmt: skip

ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity")
"""Activation names a trace accepts (``identity``: a linear unit, O = I)."""

LOSSES = {
    "half_sse": "L = 1/2 * sum (T - O)^2",
    "mse": "L = mean (T - O)^2 over the outputs",
}
"""Loss names and their formulas: the notes' ½Σ(T - O)² (example 8) or the mean squared error
(example 7, whose "MSE" ½Σ(t - o)² over two outputs is the same number)."""


@dataclass(frozen=True)
class BackpropSpec:
    """A net and one example: everything a trace needs.

    Shapes: ``sizes`` (n0, n1, ..., nL); ``weights[l]`` (n_{l+1}, n_l); ``biases[l]``
    (n_{l+1},); ``input`` (n0,); ``target`` (nL,); ``activations`` one name per layer
    (length L); ``names`` one label per unit (sum of sizes) or None for 1, 2, 3, ...
    """

    sizes: tuple[int, ...]
    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]
    input: np.ndarray
    target: np.ndarray
    activations: tuple[str, ...]
    loss: str = "half_sse"
    lr: float = 0.1
    names: tuple[str, ...] | None = None
    title: str = ""

    def run(self) -> BackpropTrace:
        return backprop_trace(self)


@dataclass(frozen=True)
class Unit:
    """One unit: ``layer`` 0 for inputs; ``net_input`` and ``error`` are None for inputs."""

    name: str
    layer: int
    index: int
    output: float
    net_input: float | None = None
    error: float | None = None
    rule: str = ""  # Err_j as the notes' rule, numbers filled in


@dataclass(frozen=True)
class Update:
    """One weight or bias: its old value, dL/d(it), and its value after the SGD step.
    ``index`` is into ``layers[layer - 1].weight`` (j, i) or ``.bias`` (j,)."""

    name: str
    layer: int
    kind: str  # "weight" or "bias"
    index: tuple
    old: float
    grad: float
    new: float
    rule: str  # new = old + l·Err_j·O_i with the numbers


@dataclass
class LayerTrace:
    """Layer l (1-based): arrays of one Linear and its activation. ``net_input``, ``output``,
    ``net_input_grad``, ``bias``, ``bias_grad``, ``new_bias`` (n_l,); ``weight``,
    ``weight_grad``, ``new_weight`` (n_l, n_{l-1})."""

    activation: str
    weight: np.ndarray
    bias: np.ndarray
    net_input: np.ndarray
    output: np.ndarray
    net_input_grad: np.ndarray  # dL/dI, read from backward() through retain_grad()
    weight_grad: np.ndarray
    bias_grad: np.ndarray
    new_weight: np.ndarray
    new_bias: np.ndarray


@dataclass
class BackpropTrace:
    """The trace of one forward pass, backward pass and SGD step (see the module docstring).

    ``units[l]`` are layer l's units (0 = inputs); ``layers[l - 1]`` holds layer l's arrays;
    ``updates`` come in the notes' order: weights from the last layer back to the first (each
    by source, then target unit), then biases from the last unit back to the first.
    """

    spec: BackpropSpec
    loss: float
    units: list[list[Unit]]
    layers: list[LayerTrace]
    updates: list[Update] = field(default_factory=list)
    graph: object = None  # a GraphView of the loss, with keep_graph=True

    def unit(self, name) -> Unit:
        for unit in (u for layer in self.units for u in layer):
            if unit.name == str(name):
                return unit
        raise KeyError(f"BackpropTrace: no unit named {name!r}")

    def update(self, name: str) -> Update:
        for item in self.updates:
            if item.name == name:
                return item
        raise KeyError(f"BackpropTrace: no weight or bias named {name!r}")

    def to_text(self) -> str:
        from gradlab.explain.trace_text import format_trace

        return format_trace(self)

    def _repr_html_(self) -> str:
        """The three tables as HTML (Jupyter)."""
        from gradlab.explain.trace_html import trace_html

        return trace_html(self)

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(self.to_text())


def _activation(name: str) -> nn.Module:
    modules = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "identity": nn.Identity}
    if name not in modules:
        raise ValueError(
            f"backprop_trace: unknown activation {name!r}; expected one of {ACTIVATIONS}"
        )
    return modules[name]()


class _GraphSnapshot(DotDisplay):
    """A GraphView's text and DOT source frozen at one moment (values before the step)."""

    def __init__(self, view):
        self._text, self._dot, self._render = view.to_text(), view.to_dot(), GraphView.render

    def to_text(self) -> str:
        return self._text

    def to_dot(self) -> str:
        return self._dot

    def render(self, path):
        return self._render(self, path)


def _check(spec: BackpropSpec) -> None:
    """ValueError naming every inconsistency of shapes (the config loader reports them per
    field first; this guards direct callers)."""
    problems = []
    depth = len(spec.sizes) - 1
    for what, got in (("weights", len(spec.weights)), ("biases", len(spec.biases)),
                      ("activations", len(spec.activations))):  # fmt: skip
        if got != depth:
            problems.append(f"{what}: expected {depth} (one per layer), got {got}")
    for l, (w, b) in enumerate(zip(spec.weights, spec.biases)):
        expected = (spec.sizes[l + 1], spec.sizes[l])
        if np.shape(w) != expected:
            problems.append(f"weights[{l}]: expected shape {expected}, got {np.shape(w)}")
        if np.shape(b) != expected[:1]:
            problems.append(f"biases[{l}]: expected shape {expected[:1]}, got {np.shape(b)}")
    if np.shape(spec.input) != (spec.sizes[0],):
        problems.append(f"input: expected shape ({spec.sizes[0]},), got {np.shape(spec.input)}")
    if np.shape(spec.target) != (spec.sizes[-1],):
        problems.append(f"target: expected shape ({spec.sizes[-1]},), got {np.shape(spec.target)}")
    if spec.names is not None and len(spec.names) != sum(spec.sizes):
        problems.append(f"names: expected {sum(spec.sizes)} (one per unit), got {len(spec.names)}")
    if spec.loss not in LOSSES:
        problems.append(f"loss: expected one of {sorted(LOSSES)}, got {spec.loss!r}")
    if problems:
        raise ValueError("backprop_trace: " + "; ".join(problems))


def _names(spec: BackpropSpec) -> list[list[str]]:
    flat = (
        list(spec.names) if spec.names is not None else [str(k + 1) for k in range(sum(spec.sizes))]
    )
    out, start = [], 0
    for n in spec.sizes:
        out.append(flat[start : start + n])
        start += n
    return out


def _num(value: float) -> str:
    """A number as the notes write it in a rule: 4 significant digits, no trailing zeros."""
    text = f"{float(value):.4g}"
    return "0" if text == "-0" else text


def _paren(value: float) -> str:
    """A number to subtract or square: negative ones in parentheses."""
    return f"({_num(value)})" if value < 0 else _num(value)


def _slope_rule(activation: str, net_input: float, output: float) -> str:
    """f'(I_j) written from O_j (sigmoid, tanh) or I_j (relu), numbers filled in."""
    if activation == "sigmoid":
        return f"({_num(output)})(1 - {_num(output)})"
    if activation == "tanh":
        return f"(1 - {_paren(output)}^2)"
    if activation == "relu":
        return "(1)" if net_input > 0 else "(0)"
    return ""


def backprop_trace(spec: BackpropSpec, keep_graph: bool = False) -> BackpropTrace:
    """Forward, backward (``retain_grad`` on every net input) and one ``optim.SGD`` step of the
    net in ``spec`` for its one example, in float64; see :class:`BackpropTrace`.

    ``keep_graph``: also keep the loss's computation graph as it stands after ``backward()``
    and before the SGD step (``trace.graph``, with ``to_text()``, ``to_dot()`` and
    ``render(path)`` as :class:`~gradlab.explain.graph.GraphView`): every value and gradient,
    the tensors named x, T, W1, b1, I1 (net inputs), O1 (outputs), W2, ..."""
    _check(spec)
    linears = []
    for w, b in zip(spec.weights, spec.biases):
        layer = nn.Linear(w.shape[1], w.shape[0], dtype="float64")
        with no_grad():
            layer.weight.copy_(np.asarray(w, dtype=np.float64))
            layer.bias.copy_(np.asarray(b, dtype=np.float64))
        linears.append(layer)
    old = [(lin.weight.numpy().copy(), lin.bias.numpy().copy()) for lin in linears]

    x = a = tensor(np.asarray(spec.input, dtype=np.float64), dtype="float64")
    net_inputs, outputs = [], []
    for lin, name in zip(linears, spec.activations):
        net = lin(a)  # I_j of this layer's units
        net.retain_grad()
        a = _activation(name)(net)
        net_inputs.append(net)
        outputs.append(a)
    target = tensor(np.asarray(spec.target, dtype=np.float64), dtype="float64")
    if spec.loss == "half_sse":
        loss = 0.5 * nn.MSELoss(reduction="sum")(a, target)
    else:
        loss = nn.MSELoss()(a, target)
    view = None
    if keep_graph:  # built before backward, so that it keeps every node's gradient
        from gradlab.explain.graph import graph

        names = {"x": x, "T": target}
        for l, (lin, net, out) in enumerate(zip(linears, net_inputs, outputs), start=1):
            names.update({f"W{l}": lin.weight, f"b{l}": lin.bias, f"I{l}": net, f"O{l}": out})
        view = graph(loss, names=names)
    loss.backward()
    if view is not None:
        view = _GraphSnapshot(view)
    grads = [(lin.weight.grad.numpy().copy(), lin.bias.grad.numpy().copy()) for lin in linears]
    optim.SGD([p for lin in linears for p in lin.parameters()], lr=spec.lr).step()

    layers = [
        LayerTrace(
            act,
            w0,
            b0,
            net.numpy().copy(),
            out.numpy().copy(),
            net.grad.numpy().copy(),
            gw,
            gb,
            lin.weight.numpy().copy(),
            lin.bias.numpy().copy(),
        )  # fmt: skip
        for act, (w0, b0), net, out, (gw, gb), lin in zip(
            spec.activations, old, net_inputs, outputs, grads, linears
        )
    ]
    trace = BackpropTrace(spec, float(loss.item()), [], layers, graph=view)
    trace.units = _units(trace)
    trace.updates = _updates(trace)
    return trace


def _units(trace: BackpropTrace) -> list[list[Unit]]:
    spec, names = trace.spec, _names(trace.spec)
    units = [[Unit(n, 0, i, float(x)) for i, (n, x) in enumerate(zip(names[0], spec.input))]]
    depth = len(trace.layers)
    n_out = spec.sizes[-1]
    for l, layer in enumerate(trace.layers, start=1):
        row = []
        for j in range(layer.output.shape[0]):
            net, out = float(layer.net_input[j]), float(layer.output[j])
            error = _error_of(trace, l, j)
            slope = _slope_rule(layer.activation, net, out)
            if l == depth:
                t = float(spec.target[j])
                scale = "" if spec.loss == "half_sse" else f"(2/{n_out})"
                rule = f"{slope}{scale}({_num(t)} - {_paren(out)})"
            else:
                after = trace.layers[l].weight  # the weights out of this layer
                terms = [f"({_num(_error_of(trace, l + 1, k))})({_num(after[k, j])})"
                         for k in range(spec.sizes[l + 1])]  # fmt: skip
                rule = slope + (terms[0] if len(terms) == 1 else "[" + " + ".join(terms) + "]")
            row.append(Unit(names[l][j], l, j, out, net, error, rule))
        units.append(row)
    return units


def _error_of(trace: BackpropTrace, l: int, j: int) -> float:
    """Err_j = -dL/dI_j of unit j of layer l (+ 0.0: no "-0" in the tables)."""
    return -float(trace.layers[l - 1].net_input_grad[j]) + 0.0


def _weight_name(source: str, target: str) -> str:
    if len(source) == 1 and len(target) == 1:
        return f"w{source}{target}"  # the notes' w46
    return f"w({source},{target})"


def _updates(trace: BackpropTrace) -> list[Update]:
    lr = trace.spec.lr
    weights, biases = [], []
    for l in range(len(trace.layers), 0, -1):
        layer, sources, targets = trace.layers[l - 1], trace.units[l - 1], trace.units[l]
        for i, src in enumerate(sources):
            for j, dst in enumerate(targets):
                old, grad, new = layer.weight[j, i], layer.weight_grad[j, i], layer.new_weight[j, i]
                rule = f"{_num(old)} + ({_num(lr)})({_num(dst.error)})({_num(src.output)})"
                weights.append(Update(_weight_name(src.name, dst.name), l, "weight", (j, i),
                                      float(old), float(grad), float(new), rule))  # fmt: skip
        for j in range(len(targets) - 1, -1, -1):
            dst = targets[j]
            old, grad, new = layer.bias[j], layer.bias_grad[j], layer.new_bias[j]
            rule = f"{_num(old)} + ({_num(lr)})({_num(dst.error)})"
            biases.append(Update(f"θ{dst.name}", l, "bias", (j,), float(old), float(grad),
                                 float(new), rule))  # fmt: skip
    return weights + biases
