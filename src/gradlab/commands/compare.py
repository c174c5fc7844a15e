"""``gradlab compare``: the notes' comparison experiments, with a report and plots."""

from __future__ import annotations

import argparse
import sys

from gradlab.commands.common import PROG

_EPILOG_MARK = "<the registered experiments>"


def _experiments_epilog() -> str:
    """The registered experiments with their one-line summaries (imported only when the help
    is shown, so `gradlab --help` stays fast; one that fails to import says so)."""
    from gradlab.lab.compare import experiment_names, get_experiment

    names = experiment_names()
    width = max(len(n) for n in names) + 2
    lines = ["experiments:"]
    for name in names:
        try:
            summary = get_experiment(name).summary
        except Exception as error:  # a broken module must not hide the others
            summary = f"(cannot be loaded: {type(error).__name__}: {error})"
        lines.append(f"  {name.ljust(width)}{summary}")
    search = "CONFIG [--trials N]: grid vs random vs TPE search at one trial budget"
    lines.append(f"  {'search'.ljust(width)}{search}")
    lines.append("Use --list to see each experiment's datasets and defaults.")
    return "\n".join(lines)


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    def add_text(self, text):
        super().add_text(_experiments_epilog() if text == _EPILOG_MARK else text)


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="run one of the notes' comparison experiments (activations, optimizers, ...)",
        description="Train every variant of an experiment on the same data for several seeds "
        "and write DIR/report.md (summary tables, PNG plots with the mean and spread over "
        "seeds) and DIR/results.json; print the summary table.",
        epilog=_EPILOG_MARK,
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("experiment", nargs="?", metavar="EXPERIMENT",
                        help="which experiment (see below)")  # fmt: skip
    parser.add_argument("config", nargs="?", metavar="CONFIG",
                        help="'search' only: a tune config with a [search] section")  # fmt: skip
    parser.add_argument("--trials", type=int, metavar="N",
                        help="'search' only: trials per strategy ([tune] trials)")  # fmt: skip
    parser.add_argument("--data", metavar="NAME", help="dataset (default: the experiment's)")
    parser.add_argument("--epochs", type=int, metavar="N", help="epochs per run")
    parser.add_argument("--seeds", type=int, metavar="K", help="seeds 0..K-1 per variant")
    parser.add_argument("--out", metavar="DIR",
                        help="output directory (default runs/compare-EXPERIMENT)")  # fmt: skip
    parser.add_argument("--limit", type=int, metavar="N",
                        help="use at most N training samples (N/4 test); 0 for all")  # fmt: skip
    parser.add_argument("--variants", metavar="A,B", help="run only these variants")
    parser.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                        help="run each (variant, seed) as a task on this Dask scheduler's "
                        "workers (pip install 'gradlab[dask]')")  # fmt: skip
    parser.add_argument("--jobs", type=int, metavar="N",
                        help="without --scheduler: run the runs on a local Dask cluster of N "
                        "worker processes (127.0.0.1); default 1, serial")  # fmt: skip
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--list", action="store_true",
                        help="list the experiments with their datasets and defaults")  # fmt: skip
    parser.set_defaults(handler=_run_compare)


def _list(stream) -> int:
    from gradlab.lab.compare import experiment_names, get_experiment

    for name in experiment_names():
        try:
            e = get_experiment(name)
        except Exception as error:  # a broken module must not hide the others
            print(f"{name}: (cannot be loaded: {type(error).__name__}: {error})", file=stream)
            continue
        print(f"{name}: {e.summary}", file=stream)
        print(f"    data: {', '.join(e.datasets)} (default {e.default_data}); "
              f"defaults: {e.default_epochs} epochs, {e.default_seeds} seeds"
              + (f", {e.default_limit} training samples" if e.default_limit else ""),
              file=stream)  # fmt: skip
    return 0


def _run_search(args) -> int:
    """``gradlab compare search CONFIG``: grid, random and TPE search at one trial budget."""
    from pathlib import Path

    from gradlab.lab.config import ConfigError, load_config
    from gradlab.optional import MissingDependencyError

    where = f"{PROG} compare search"
    if args.config is None:
        print(f"{where}: give a tune config with a [search] section, e.g. "
              f"examples/configs/tune_digits.toml", file=sys.stderr)  # fmt: skip
        return 2
    ignored = [f"--{n}" for n in ("data", "epochs", "seeds", "limit", "variants", "scheduler",
                                  "jobs") if getattr(args, n) is not None]  # fmt: skip
    if ignored:
        print(f"{where}: {', '.join(ignored)} do not apply; the config sets the data and "
              f"the training", file=sys.stderr)  # fmt: skip
        return 2
    try:
        from gradlab.lab.tuning import EXTRA_SECTIONS, compare_search

        config = load_config(args.config, extra_sections=EXTRA_SECTIONS)
        out = args.out or f"runs/compare-search-{Path(args.config).stem}"
        result = compare_search(config, trials=args.trials, out_dir=out)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError) as error:
        print(f"{where}: {error}", file=sys.stderr)
        return 2
    except MissingDependencyError as error:
        print(error, file=sys.stderr)
        return 1
    for kind, runs in result.results.items():
        shown = ", ".join("none completed" if r.best_value is None else f"{r.best_value:.4g}"
                          for r in runs)  # fmt: skip
        print(f"{kind:>7}: best value {shown} after {result.trials} trials")
    print(f"wrote {result.files['report']}")
    return 0


def _run_compare(args, extras) -> int:
    from gradlab.data import DatasetNotFoundError
    from gradlab.lab.compare import (
        CompareError,
        experiment_names,
        get_experiment,
        resolve_options,
        run_experiment,
    )
    from gradlab.optional import MissingDependencyError

    if args.list:
        return _list(sys.stdout)
    if args.experiment is None:
        names = ", ".join([*experiment_names(), "search"])
        print(f"{PROG} compare: choose an experiment: {names}", file=sys.stderr)
        return 2
    if args.experiment == "search":
        return _run_search(args)
    if args.config is not None or args.trials is not None:
        print(f"{PROG} compare {args.experiment}: CONFIG and --trials belong to "
              f"'compare search' only", file=sys.stderr)  # fmt: skip
        return 2
    try:
        experiment = get_experiment(args.experiment)
        variants = [v.strip() for v in (args.variants or "").split(",") if v.strip()]
        options = resolve_options(experiment, data=args.data, epochs=args.epochs,
                                  seeds=args.seeds, limit=args.limit, out=args.out,
                                  variants=variants)  # fmt: skip
        if args.jobs is not None and args.jobs < 1:
            raise CompareError(f"{PROG} compare: --jobs must be >= 1, got {args.jobs}")
        if args.scheduler is not None and args.jobs is not None:
            raise CompareError(
                f"{PROG} compare: --jobs starts a local cluster; with --scheduler the "
                "scheduler's workers run the tasks (give one of them)"
            )
        run_experiment(experiment, options, progress=not args.no_progress,
                       scheduler=args.scheduler, jobs=args.jobs)  # fmt: skip
    except CompareError as error:
        print(error, file=sys.stderr)
        return 2
    except MissingDependencyError as error:  # its message names the command and the extra
        print(error, file=sys.stderr)
        return 1
    except DatasetNotFoundError as error:
        print(f"{PROG} compare {args.experiment}: {error}", file=sys.stderr)
        return 1
    return 0
