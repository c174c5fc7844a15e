"""The ``gradlab`` command: one subcommand per task of the lab.

Each subcommand is one ``add_<name>(subparsers)`` function below that builds its parser and
sets ``handler`` (called as ``handler(args, extras) -> int``); :data:`SUBCOMMANDS` lists them.
A later subcommand (``train``, ``compare``, ``tune``) is one more such function and one more
entry in that list. Heavy imports happen inside the handlers, so ``gradlab --help`` is fast.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["main", "build_parser", "SUBCOMMANDS"]

PROG = "gradlab"


# ---------------------------------------------------------------------- reproduce


def add_reproduce(subparsers) -> None:
    parser = subparsers.add_parser(
        "reproduce",
        help="compute the course notes' worked examples and check them against the notes",
        description="Run the notes' worked examples (all by default), print each one's "
        "output with a PASS/FAIL line per number of the notes, and a summary. Exit status 1 "
        "when a check fails, 2 for an unknown example.",
    )
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help="example name or number (see --list)"
    )
    parser.add_argument("--list", action="store_true", help="list the examples and exit")
    parser.set_defaults(handler=_run_reproduce)


def _run_reproduce(args, extras) -> int:
    from gradlab.lab.reproduce import run

    return run(args.names, list_only=args.list)


# ---------------------------------------------------------------------- explain


def add_explain(subparsers) -> None:
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


# ---------------------------------------------------------------------- the command

SUBCOMMANDS = [add_reproduce, add_explain]
"""One function per subcommand; each adds its parser to the ``subparsers`` it is given."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="gradlab: a deep-learning framework on NumPy whose computation graph you "
        "can see, and a lab for the course's experiments.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(subparsers)
    return parser


def main(argv=None) -> int:
    """Run ``gradlab`` with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args, extras = parser.parse_known_args(argv)
        if args.command is None:
            commands = ", ".join(add.__name__.removeprefix("add_") for add in SUBCOMMANDS)
            parser.print_usage(sys.stderr)
            print(f"{PROG}: choose a command: {commands}", file=sys.stderr)
            return 2
        if extras and not getattr(args, "accepts_extras", False):
            parser.error(f"unrecognized arguments: {' '.join(extras)}")
    except SystemExit as stop:  # argparse exits on --help and on errors; return its status
        return stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 2)
    return int(args.handler(args, extras))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
