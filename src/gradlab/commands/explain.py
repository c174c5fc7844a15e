"""``gradlab explain``: views of what the engine computes (computation graphs, ...)."""

from __future__ import annotations

import sys

from gradlab.commands.common import PROG


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "explain", help="show what the engine computes (computation graphs)"
    )
    views = parser.add_subparsers(dest="view", metavar="VIEW")
    views.required = True
    graph = views.add_parser(
        "graph",
        allow_abbrev=False,  # --o must stay a variable, never an abbreviation of --out
        help="the computation graph of an expression, with values and gradients",
        description="Evaluate EXPR over named scalar variables with gradlab tensors, run "
        "backward and print the graph with every value and gradient. Variables are given as "
        "--NAME VALUE (or --NAME=VALUE). EXPR may use numbers, variables, + - * / **, unary "
        "minus and exp, log, sqrt, tanh, sigmoid, relu, abs. "
        "Example: gradlab explain graph 'x*y + z' --x 7 --y 13 --z 19 --out f.svg",
    )
    graph.add_argument("expr", metavar="EXPR", help="the expression, e.g. 'x*y + z'")
    graph.add_argument("--out", metavar="FILE", help="also render to FILE (.svg, .png, .pdf)")
    graph.add_argument("--dot", action="store_true", help="print the Graphviz DOT source too")
    graph.set_defaults(handler=_run_explain_graph, accepts_extras=True)


def _parse_variables(extras: list[str]) -> dict[str, float]:
    """``["--x", "7", "--y=13"]`` -> ``{"x": 7.0, "y": 13.0}``; ValueError naming the problem."""
    values: dict[str, float] = {}
    i = 0
    while i < len(extras):
        token = extras[i]
        if not token.startswith("--") or len(token) < 3:
            raise ValueError(f"unexpected argument {token!r}; variables are given as --NAME VALUE")
        name, eq, text = token[2:].partition("=")
        if not eq:
            if i + 1 >= len(extras):
                raise ValueError(f"--{name} needs a value, e.g. --{name} 7")
            text = extras[i + 1]
            i += 1
        i += 1
        if not name.isidentifier():
            raise ValueError(f"--{name}: a variable name must be an identifier, like x or w1")
        if name in values:
            raise ValueError(f"--{name} is given twice")
        try:
            values[name] = float(text)
        except ValueError:
            raise ValueError(f"--{name}: expected a number, got {text!r}") from None
    return values


def _run_explain_graph(args, extras) -> int:
    from gradlab.explain import GraphvizNotFoundError, graph
    from gradlab.explain.expression import ExpressionError, evaluate

    where = f"{PROG} explain graph"
    try:
        values = _parse_variables(extras)
        output, leaves = evaluate(args.expr, values)
    except (ExpressionError, ValueError) as error:
        print(f"{where}: {error}", file=sys.stderr)
        return 2
    view = graph(output, names=leaves)  # built before backward: intermediate grads are kept
    output.backward()
    print(f"{args.expr.strip()} = {output.item():g}")
    print(view.to_text())
    if args.dot:
        print(view.to_dot(), end="")
    if args.out:
        try:
            path = view.render(args.out)
        except (GraphvizNotFoundError, ValueError, RuntimeError, OSError) as error:
            print(f"{where}: {error}", file=sys.stderr)
            return 1
        print(f"wrote {path}")
    return 0
