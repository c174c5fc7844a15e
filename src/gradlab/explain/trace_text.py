"""A backprop trace as plain text: the notes' three tables (net input and output, error at
each node, weight and bias updates), each number with its arithmetic written out."""

from __future__ import annotations

import numpy as np

from gradlab.explain.trace import LOSSES, BackpropTrace, _num

__all__ = ["format_trace"]


def _vector(values) -> str:
    return "(" + ", ".join(_num(v) for v in np.ravel(values)) + ")"


def format_trace(trace: BackpropTrace) -> str:
    """The notes' three tables: net input and output, error at each node, weight and bias
    updates; each with the arithmetic written out."""
    spec = trace.spec
    acts = sorted(set(spec.activations), key=spec.activations.index)
    lines = []
    if spec.title:
        lines.append(spec.title)
    lines.append(
        f"{'-'.join(map(str, spec.sizes))} net, activation {' / '.join(acts)}, "
        f"X = {_vector(spec.input)}, T = {_vector(spec.target)}, learning rate l = {_num(spec.lr)}"
    )
    lines.append(f"loss {LOSSES[spec.loss]} = {trace.loss:.6g}")
    width = max(6, *(len(u.name) for layer in trace.units for u in layer))
    header = f"  {'unit j':>{width}}  {'net input I_j':>13}  {'output O_j':>10}   I_j ="
    lines += ["", "Net input and output (forward pass)", header]
    for unit in trace.units[0]:
        lines.append(f"  {unit.name:>{width}}  {'':>13}  {unit.output:>10.4f}   (input)")
    for l, layer in enumerate(trace.units[1:], start=1):
        weights, bias = trace.layers[l - 1].weight, trace.layers[l - 1].bias
        for unit in layer:
            terms = [f"({_num(src.output)})({_num(weights[unit.index, i])})"
                     for i, src in enumerate(trace.units[l - 1])]  # fmt: skip
            sum_text = " + ".join(terms) + f" + ({_num(bias[unit.index])})"
            lines.append(f"  {unit.name:>{width}}  {unit.net_input:>13.4f}  {unit.output:>10.4f}"
                         f"   {sum_text}")  # fmt: skip
    lines += ["", "Error at each node, Err_j = -dL/dI_j (from backward())",
              f"  {'unit j':>{width}}  {'Err_j':>10}   = the rule, numbers filled in"]  # fmt: skip
    for layer in reversed(trace.units[1:]):
        for unit in reversed(layer):
            lines.append(f"  {unit.name:>{width}}  {unit.error:>10.6f}   {unit.rule}")
    lines += ["", "Weight and bias updates: one SGD step, w_ij += l * Err_j * O_i, "
              "theta_j += l * Err_j",
              f"  {'weight or bias':<{width + 8}}  {'old':>8}  {'dL/dw':>10}  {'new':>10}   "
              "= old + l * Err_j (* O_i)"]  # fmt: skip
    for item in trace.updates:
        lines.append(f"  {item.name:<{width + 8}}  {item.old:>8.4g}  {item.grad:>10.5f}  "
                     f"{item.new:>10.6f}   {item.rule}")  # fmt: skip
    return "\n".join(lines)
