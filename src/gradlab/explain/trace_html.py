"""A :class:`~gradlab.explain.trace.BackpropTrace` as HTML tables (Jupyter's display of a
trace): the same three tables as :func:`~gradlab.explain.trace_text.format_trace`, numbers and
the arithmetic behind each of them, one table per step of backprop."""

from __future__ import annotations

import html

from gradlab._display import html_table
from gradlab.explain.trace import LOSSES, _num
from gradlab.explain.trace_text import _vector

__all__ = ["trace_html", "trace_tables"]


def trace_tables(trace) -> list[tuple[str, list[str], list[list], list[bool]]]:
    """``(caption, headers, rows, numeric columns)`` of the forward table, the error table
    and the update table, in the notes' order."""
    forward = []
    for unit in trace.units[0]:
        forward.append([unit.name, "", round(unit.output, 4), "(input)"])
    for l, layer in enumerate(trace.units[1:], start=1):
        weights, bias = trace.layers[l - 1].weight, trace.layers[l - 1].bias
        for unit in layer:
            terms = [f"({_num(src.output)})({_num(weights[unit.index, i])})"
                     for i, src in enumerate(trace.units[l - 1])]  # fmt: skip
            arithmetic = " + ".join(terms) + f" + ({_num(bias[unit.index])})"
            forward.append([unit.name, round(unit.net_input, 4), round(unit.output, 4),
                            arithmetic])  # fmt: skip
    errors = [[unit.name, round(unit.error, 6), unit.rule]
              for layer in reversed(trace.units[1:]) for unit in reversed(layer)]  # fmt: skip
    updates = [[item.name, float(f"{item.old:.4g}"), round(item.grad, 5), round(item.new, 6),
                item.rule] for item in trace.updates]  # fmt: skip
    return [
        ("Net input and output (forward pass)",
         ["unit j", "net input I_j", "output O_j", "I_j = Σ O_i·w_ij + θ_j"], forward,
         [False, True, True, False]),
        ("Error at each node, Err_j = -dL/dI_j (from backward())",
         ["unit j", "Err_j", "= the rule, numbers filled in"], errors, [False, True, False]),
        ("Weight and bias updates: one SGD step, w_ij += l·Err_j·O_i, θ_j += l·Err_j",
         ["weight or bias", "old", "dL/dw", "new", "= old + l·Err_j (·O_i)"], updates,
         [False, True, True, True, False]),
    ]  # fmt: skip


def trace_html(trace) -> str:
    """The trace's heading and its three tables as one HTML fragment."""
    spec = trace.spec
    acts = sorted(set(spec.activations), key=spec.activations.index)
    head = (
        f"{'-'.join(map(str, spec.sizes))} net, activation {' / '.join(acts)}, "
        f"X = {_vector(spec.input)}, T = {_vector(spec.target)}, learning rate l = "
        f"{_num(spec.lr)}; loss {LOSSES[spec.loss]} = {trace.loss:.6g}"
    )
    parts = ["<div>"]
    if spec.title:
        parts.append(f"<p><strong>{html.escape(spec.title)}</strong></p>")
    parts.append(f"<p>{html.escape(head)}</p>")
    for caption, headers, rows, numeric in trace_tables(trace):
        parts.append(html_table(headers, rows, caption=caption, numeric=numeric))
    parts.append("</div>")
    return "".join(parts)
