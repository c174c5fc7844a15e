"""``gradlab tune``: an Optuna study over a config's ``[search]`` space."""

from __future__ import annotations

import sys

from gradlab.commands.common import PROG

_WHERE = f"{PROG} tune"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "tune",
        help="tune a config's hyperparameters with Optuna",
        description="Search the hyperparameters that CONFIG declares in [search] "
        "(log_uniform, uniform, int, categorical) with Optuna, pruning trials whose "
        "validation metric falls behind, until the study has N finished trials. The study "
        "lives in OUT/study.db (SQLite) unless --storage names another; running again "
        "resumes it. Several processes (--jobs, or gradlab tune on other machines with one "
        "--storage URL and --study NAME) share the trials. Writes best_params.json, "
        "best_config.toml, report.md and the optimization-history and parameter-importance "
        "plots to OUT. Exit status 2 for a bad config, 1 when the study cannot run.",
        epilog="Example: gradlab tune examples/configs/tune_example13.toml --trials 20. "
        "Many machines: gradlab tune CONFIG --storage "
        "postgresql+psycopg://user:password@host/db --study NAME on each (needs "
        "gradlab[postgres]).",
    )
    parser.add_argument("config", metavar="CONFIG", help="the config file (TOML) with [search]")
    parser.add_argument(
        "--trials", type=int, metavar="N", help="finished trials the study should hold "
        "(default: [tune] trials, else 20)",
    )  # fmt: skip
    parser.add_argument(
        "--sampler", choices=("grid", "random", "tpe"), help="search strategy (default: "
        "[tune] sampler, else tpe)",
    )  # fmt: skip
    parser.add_argument(
        "--storage", metavar="URL", help="an Optuna storage URL (sqlite:///file.db, "
        "postgresql+psycopg://user:password@host/db, or memory); default sqlite:///OUT/study.db",
    )  # fmt: skip
    parser.add_argument("--study", metavar="NAME", help="the study's name (default: CONFIG's stem)")
    parser.add_argument(
        "--jobs", type=int, metavar="J",
        help="worker processes sharing the study (default 1); with --scheduler, how many "
        "Dask tasks run workers (default one per Dask worker)",
    )  # fmt: skip
    parser.add_argument(
        "--scheduler", metavar="tcp://HOST:PORT",
        help="run the workers as tasks on this Dask scheduler's workers (needs gradlab[dask] "
        "and a --storage every worker reaches: PostgreSQL, or SQLite on a shared disk; not "
        "memory)",
    )  # fmt: skip
    parser.add_argument("--out", metavar="DIR", help="output directory (default runs/tune-STEM)")
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no line per trial, only the result"
    )
    parser.set_defaults(handler=run_tune)


def run_tune(args, extras=()) -> int:
    from pathlib import Path

    from gradlab.optional import MissingDependencyError, require

    try:
        require("optuna", _WHERE)
    except MissingDependencyError as error:
        print(error, file=sys.stderr)
        return 1
    from gradlab.lab.config import ConfigError
    from gradlab.lab.tuning.dask_workers import DaskSchedulerError
    from gradlab.lab.tuning.storage import StorageError
    from gradlab.lab.tuning.study import (
        IncompleteStudyError,
        StudyMismatchError,
        default_out_dir,
        load_tune_config,
        tune,
    )
    from gradlab.lab.tuning.termination import Terminated

    for flag, value in (("--trials", args.trials), ("--jobs", args.jobs)):
        if value is not None and value < 1:
            print(f"{_WHERE}: {flag} must be >= 1, got {value}", file=sys.stderr)
            return 2
    try:
        config = load_tune_config(args.config)
        out = args.out if args.out is not None else default_out_dir(config)
        if Path(out).exists() and not Path(out).is_dir():
            print(f"{_WHERE}: --out {out}: is a file, not a directory", file=sys.stderr)
            return 2
        result = tune(
            config,
            trials=args.trials,
            sampler=args.sampler,
            storage=args.storage,
            study_name=args.study,
            jobs=args.jobs,
            scheduler=args.scheduler,
            out_dir=out,
            verbose=0 if args.quiet else 1,
        )
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    except (StorageError, StudyMismatchError, MissingDependencyError, DaskSchedulerError) as error:
        print(f"{_WHERE}: {error}", file=sys.stderr)
        return 1
    except IncompleteStudyError as error:
        print(f"{_WHERE}: {error}", file=sys.stderr)
        return 1
    except Terminated:
        print(
            f"{_WHERE}: terminated (SIGTERM); the running trial was marked failed and will be "
            "run again; run the same command to finish the study",
            file=sys.stderr,
        )
        return 143
    except ValueError as error:  # no [search] section, an invalid [tune] value...
        print(f"{_WHERE}: {error}", file=sys.stderr)
        return 2
    _print_result(result)
    return 0


def _print_result(result) -> None:
    counts = result.counts
    settings = result.settings
    print(
        f"study {result.study.study_name!r} ({result.storage}): {counts['complete']} completed, "
        f"{counts['pruned']} pruned, {counts['failed']} failed"
    )
    if result.best_params is None:
        print("no trial completed: there are no best parameters")
    else:
        print(
            f"best trial {result.best_trial}: {settings.metric} = {result.best_value:.6g} "
            f"({settings.resolved_direction})"
        )
        print("best parameters:")
        for name, value in result.best_overrides.items():
            shown = f"{value:.6g}" if isinstance(value, float) else repr(value)
            print(f"  {name} = {shown}")
    for name, path in result.files.items():
        if name in ("report", "best_params", "best_config"):
            print(f"wrote {path}")
