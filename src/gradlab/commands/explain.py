"""``gradlab explain``: views of what the engine computes: an expression's computation graph,
a backprop trace table, gradient flow, the learning-rate range test and the schedules.

The logic lives in :mod:`gradlab.explain` (graph, trace, trace_config, gradflow, lr_finder,
schedules); this module parses arguments, prints, and turns errors into exit statuses: 2 for
bad input (a config's problems, one line each, ``file: field: message``), 1 when a run or a
plot fails.
"""

from __future__ import annotations

import argparse
import sys

from gradlab.commands.common import PROG


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "explain",
        help="show what the engine computes (graphs, backprop tables, gradient flow, lr range "
        "test, schedules)",
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
    _add_backprop(views)
    _add_gradflow(views)
    _add_lr_find(views)
    _add_schedules(views)


def _add_backprop(views) -> None:
    view = views.add_parser(
        "backprop",
        help="the per-unit backprop trace of a small net for one example (net input, output, "
        "error, updates)",
        description="Print the notes' backprop tables for one example through a small fully "
        "connected net: each unit's net input and output, its error Err_j = -dL/dI_j, and each "
        "weight's and bias's update after one SGD step, computed with gradlab's autograd and "
        "written out as arithmetic. CONFIG is a TOML file ([net] sizes, activation; one "
        "[[layer]] weight, bias per layer; [example] input, target; [update] loss, lr; see "
        "examples/configs/backprop_example8.toml); without it, the notes' example 8.",
    )
    view.add_argument("config", nargs="?", metavar="CONFIG", help="the net and example (TOML)")
    view.add_argument(
        "--out",
        metavar="FILE",
        help="also render the loss's computation graph, with values and gradients, to FILE "
        "(.png, .svg, .pdf; needs Graphviz)",
    )
    view.set_defaults(handler=_run_backprop)


def _add_gradflow(views) -> None:
    view = views.add_parser(
        "gradflow",
        help="per-layer gradient norms over the first epoch, with a vanishing/exploding verdict",
        description="Build the data, model, loss and optimizer of a training CONFIG (as "
        "'gradlab train' does), train one epoch (the config's schedule is not applied) and "
        "record each layer's gradient L2 norm at every batch. Prints a table per layer and a "
        "verdict (vanishing, exploding or healthy) with the rule it applies.",
    )
    view.add_argument("config", metavar="CONFIG", help="a training config (TOML)")
    view.add_argument("--out", metavar="FILE", help="write the plot (norm per layer per batch, "
                      "and by depth; log scale) to FILE (.png)")  # fmt: skip
    view.set_defaults(handler=_run_gradflow)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _steps(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 2:
        raise argparse.ArgumentTypeError(f"must be >= 2, got {value}")
    return value


def _add_lr_find(views) -> None:
    view = views.add_parser(
        "lr-find",
        help="Leslie Smith's learning-rate range test: loss against lr, with a suggested lr",
        description="Build the model, loss and optimizer of a training CONFIG and train for "
        "--steps batches while the lr grows exponentially from --min-lr to --max-lr, stopping "
        "when the smoothed loss exceeds 4x its best. The model is left untouched. Suggests the "
        "lr of steepest descent of the smoothed loss (and reports the minimum's lr / 10), and "
        "reads the curve as the notes' quiz of loss curves A-D.",
    )
    view.add_argument("config", metavar="CONFIG", help="a training config (TOML)")
    view.add_argument("--min-lr", type=_positive_float, default=1e-7, help="default 1e-7")
    view.add_argument("--max-lr", type=_positive_float, default=10.0, help="default 10")
    view.add_argument("--steps", type=_steps, default=100, help="batches to run (default 100)")
    view.add_argument("--out", metavar="FILE", help="write the plot to FILE (.png)")
    view.set_defaults(handler=_run_lr_find)


def _add_schedules(views) -> None:
    view = views.add_parser(
        "schedules",
        help="the notes' learning-rate schedules side by side",
        description="Step decay, exponential and cosine decay, the cyclical windows "
        "(triangular, Welch, Hann), 1cycle and cosine warm restarts, each computed by "
        "gradlab's schedulers: a table of values, and with --out one figure.",
    )
    view.add_argument("--epochs", type=_steps, default=60, help="epochs to plot (default 60)")
    view.add_argument("--out", metavar="FILE", help="write the figure to FILE (.png)")
    view.set_defaults(handler=_run_schedules)


def _fail(view: str, error, status: int = 1) -> int:
    print(f"{PROG} explain {view}: {error}", file=sys.stderr)
    return status


def _plot(view: str, draw, path) -> int:
    """Call ``draw(path)``, print what it wrote; 1 with a message when it fails."""
    from gradlab.optional import MissingDependencyError

    try:
        written = draw(path)
    except (MissingDependencyError, OSError, ValueError, RuntimeError) as error:
        return _fail(view, error)
    print(f"wrote {written}")
    return 0


def _run_backprop(args, extras) -> int:
    from gradlab.explain.graph import GraphvizNotFoundError
    from gradlab.explain.trace import backprop_trace
    from gradlab.explain.trace_config import EXAMPLE_8, BackpropConfigError, load_backprop_config

    spec = EXAMPLE_8
    if args.config is not None:
        try:
            spec = load_backprop_config(args.config)
        except BackpropConfigError as error:
            print("\n".join(error.problems), file=sys.stderr)
            return 2
    trace = backprop_trace(spec, keep_graph=args.out is not None)
    print(trace.to_text())
    if args.out:
        try:
            print(f"wrote {trace.graph.render(args.out)}")
        except (GraphvizNotFoundError, ValueError, RuntimeError, OSError) as error:
            return _fail("backprop", error)
    return 0


def _build_from_config(view: str, path):
    """``(config, data, model, loss, optimizer)`` from a training config, or an exit status."""
    from gradlab.lab.builders import build_data, build_loss, build_model, build_optimizer
    from gradlab.lab.config import ConfigError, load_config

    try:
        config = load_config(path)
    except ConfigError as error:
        print("\n".join(error.problems), file=sys.stderr)
        return 2
    try:
        data = build_data(config)
        model = build_model(config, data)
        return config, data, model, build_loss(config, data), build_optimizer(config, model)
    except (OSError, ValueError, TypeError, RuntimeError, ImportError) as error:
        return _fail(view, f"{path}: {error}")


def _fit_options(config) -> dict:
    import numpy as np

    training = config.training
    return {"batch_size": int(training["batch_size"]),
            "shuffle": bool(training.get("shuffle", True)),
            "generator": np.random.default_rng(int(training.get("seed", 0)))}  # fmt: skip


def _run_gradflow(args, extras) -> int:
    from gradlab.explain.gradflow import gradient_flow

    built = _build_from_config("gradflow", args.config)
    if isinstance(built, int):
        return built
    config, data, model, loss, optimizer = built
    try:
        result = gradient_flow(model, loss, optimizer, *data.train, **_fit_options(config))
    except (ValueError, TypeError, RuntimeError) as error:
        return _fail("gradflow", error)
    print(result.to_text())
    if args.out:
        title = f"gradient flow, {config.name}: {result.verdict}"
        return _plot("gradflow", lambda path: result.plot(path, title=title), args.out)
    return 0


def _run_lr_find(args, extras) -> int:
    from gradlab.explain.lr_finder import lr_range_test

    if not args.min_lr < args.max_lr:
        return _fail("lr-find", f"--min-lr ({args.min_lr:g}) must be below --max-lr "
                     f"({args.max_lr:g})", status=2)  # fmt: skip
    built = _build_from_config("lr-find", args.config)
    if isinstance(built, int):
        return built
    config, data, model, loss, optimizer = built
    try:
        lrs = {"min_lr": args.min_lr, "max_lr": args.max_lr, "steps": args.steps}
        result = lr_range_test(model, loss, optimizer, *data.train, **lrs, **_fit_options(config))
    except (ValueError, TypeError, RuntimeError) as error:
        return _fail("lr-find", error)
    print(f"optimizer: {type(optimizer).__name__} (its lr {config.optimizer.get('lr', '?')} in "
          f"{config.name}), batch size {_fit_options(config)['batch_size']}")  # fmt: skip
    print(result.to_text())
    if args.out:
        title = f"learning-rate range test, {config.name}"
        return _plot("lr-find", lambda path: result.plot(path, title=title), args.out)
    return 0


def _run_schedules(args, extras) -> int:
    from gradlab.explain.schedules import plot_schedules, schedule_curves, schedules_table

    if args.epochs < 6:
        return _fail("schedules", f"--epochs must be >= 6, got {args.epochs}", status=2)
    print(schedules_table(schedule_curves(args.epochs)))
    if args.out:
        return _plot("schedules", lambda path: plot_schedules(path, args.epochs), args.out)
    return 0


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
    from gradlab.explain.graph import INSTALL_GRAPHVIZ

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
        except GraphvizNotFoundError:  # a missing optional program: say what to install
            print(
                f"{where}: --out needs Graphviz's 'dot', which is not on PATH; "
                f"{INSTALL_GRAPHVIZ} (or print the DOT source with --dot)",
                file=sys.stderr,
            )
            return 2
        except (ValueError, RuntimeError, OSError) as error:
            print(f"{where}: {error}", file=sys.stderr)
            return 1
        print(f"wrote {path}")
    return 0
