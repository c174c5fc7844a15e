"""Example 1 (notes 001, Question 2): the computation graph of f = x*y + z at x=7, y=13, z=19.

The notes decompose f into a = x*y and f = a + z, run the forward pass (a = 91, f = 110) and
the backward pass by the chain rule (df/dx = 13, df/dy = 7, df/dz = 1). gradlab computes the
same with tensors and ``backward()``, and shows the graph with every value and gradient.
"""

from __future__ import annotations

import gradlab
from gradlab.explain import graph
from gradlab.lab.reproduce.registry import Report, register


def _n(value) -> str:
    return f"{float(value):g}"


@register(
    1, "computation-graph", "Computation graph of f = x*y + z at x=7, y=13, z=19", source="001 Q2"
)
def computation_graph() -> Report:
    report = Report()
    x = gradlab.tensor(7.0, requires_grad=True)
    y = gradlab.tensor(13.0, requires_grad=True)
    z = gradlab.tensor(19.0, requires_grad=True)
    a = x * y
    f = a + z
    # built before backward, so the intermediate a keeps its gradient
    view = graph(f, names={"x": x, "y": y, "z": z, "a": a, "f": f})
    f.backward()

    report.print("f(x, y, z) = x*y + z, decomposed as a = x*y, f = a + z")
    report.print()
    report.print(f"forward:  x = {_n(x.item())}, y = {_n(y.item())}, z = {_n(z.item())}")
    report.print(f"  a = x*y = {_n(a.item())}")
    report.print(f"  f = a + z = {_n(f.item())}")
    report.print()
    report.print("backward (chain rule), from f.backward():")
    report.print(f"  df/da = 1 (f = a + z), so df/dz = {_n(z.grad)} and df/da = {_n(a.grad)}")
    report.print(f"  df/dx = df/da * da/dx = 1 * y = {_n(x.grad)}")
    report.print(f"  df/dy = df/da * da/dy = 1 * x = {_n(y.grad)}")
    report.print("  note: the notes write 'df/dx = df/da · da/dz'; it should read da/dx")
    report.print("        (a = x*y does not depend on z; da/dx = y = 13).")
    report.print()
    report.print("the graph (gradlab.explain.graph, built before backward so a's gradient shows):")
    report.print("\n".join("  " + line for line in view.to_text().splitlines()))

    report.check("a", a, 91, tolerance=0)
    report.check("f", f, 110, tolerance=0)
    report.check("df/dx", x.grad, 13, tolerance=0)
    report.check("df/dy", y.grad, 7, tolerance=0)
    report.check("df/dz", z.grad, 1, tolerance=0)
    return report
