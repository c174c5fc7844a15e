"""``gradlab train CONFIG.toml [--out DIR] [--resume] [--model-file FILE.py[:FUNCTION]]``:
train from a config file."""

from __future__ import annotations

import sys

from gradlab.commands.common import PROG

WHERE = f"{PROG} train"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a model from a TOML config; write history, weights, plots and a report",
        description="Train the model a TOML config describes ([data], [model], [loss], "
        "[optimizer], [schedule], [training], [callbacks]; see examples/configs/). The "
        "config is checked whole first: every problem is printed, one per line, and the "
        "exit status is 2. The run writes DIR/history.csv, DIR/model.safetensors, "
        "DIR/report.md, DIR/history.png (and DIR/lr.png with a schedule), and keeps "
        "DIR/backup.ckpt so that --resume continues a run that was stopped. The perceptron, "
        "the GAN and the seq2seq model train by their own loops ([training] loop), with "
        "the same files but no backup. A config never names code to run: a model of your "
        "own is a Python file you pass with --model-file, and that file's code is run.",
    )
    parser.add_argument("config", metavar="CONFIG.toml", help="the config file")
    parser.add_argument(
        "--out", metavar="DIR", help="output directory (default: runs/<config name>)"
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the run whose backup is in DIR (same config; more epochs allowed)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        dest="overrides",
        help="override a config value (VALUE in TOML syntax), e.g. --set training.epochs=2 "
        "--set optimizer.name=sgd; may be repeated",
    )
    parser.add_argument(
        "--model-file",
        metavar="FILE.py[:FUNCTION]",
        help="RUNS the Python file FILE.py and trains the model its FUNCTION (default "
        "build_model) returns; the config's [model] table then holds FUNCTION's keyword "
        "arguments (and optionally view). Only pass files you trust: this executes their code",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.set_defaults(handler=_run_train)


def parse_override(text: str) -> tuple[str, object]:
    """``"optimizer.lr=1e-3"`` -> ``("optimizer.lr", 0.001)``; the value is read as a TOML
    value, and a bare word that is not one (``sgd``) as a string."""
    from gradlab.lab.config import tomllib

    key, eq, value = text.partition("=")
    key = key.strip()
    if not eq or not key or "." not in key:
        raise ValueError(f"--set {text!r}: expected SECTION.KEY=VALUE, e.g. training.epochs=2")
    try:
        return key, tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        if value.strip().replace("_", "").replace("-", "").isalnum():
            return key, value.strip()
        raise ValueError(f"--set {text!r}: {value!r} is not a TOML value") from None


def _run_train(args, extras) -> int:
    from pathlib import Path

    from gradlab.lab.config import ConfigError, load_config
    from gradlab.lab.model_file import ModelFileError, load_model_file

    try:
        overrides = dict(parse_override(text) for text in args.overrides)
    except ValueError as error:
        print(f"{WHERE}: {error}", file=sys.stderr)
        return 2
    user_model = None
    if args.model_file is not None:
        try:
            user_model = load_model_file(args.model_file)
        except ModelFileError as error:
            print(f"{WHERE}: {error}", file=sys.stderr)
            return 2
    try:
        config = load_config(args.config, model_file=user_model)
        if overrides:
            config = config.with_overrides(overrides)
    except ConfigError as error:
        for line in error.problems:
            print(line, file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else Path("runs") / Path(args.config).stem
    if out.exists() and not out.is_dir():
        print(f"{WHERE}: --out {out}: is a file, not a directory", file=sys.stderr)
        return 2
    if not _launched_by_mpi():
        return _train(config, out, args.resume, 0 if args.quiet else 1)
    # one rank of an MPI job (mpirun -n N gradlab train ...): train data-parallel; rank 0
    # prints and writes; a rank that fails ends the whole job, so none waits for it
    import gradlab.distributed as dist

    dist.init_process_group("mpi")
    quiet = args.quiet or dist.get_rank() != 0
    status = _train(config, out, args.resume, 0 if quiet else 1)
    if status != 0:
        dist.abort(status)
    dist.barrier()
    return status


def _launched_by_mpi() -> bool:
    from gradlab.distributed.process_group import launched_world_size

    return launched_world_size() > 1


def _train(config, out, resume: bool, verbose: int) -> int:
    from gradlab.data import DatasetFormatError, DatasetNotFoundError
    from gradlab.lab.builders import BadRunInput
    from gradlab.lab.out_lock import OutputLockedError
    from gradlab.lab.run_report import summary_lines
    from gradlab.lab.training import ResumeMismatchError, train_from_config
    from gradlab.optional import MissingDependencyError
    from gradlab.train.checkpoint import CheckpointError

    try:
        result = train_from_config(config, out, verbose=verbose, resume=resume)
    except ResumeMismatchError as error:
        for line in error.problems:
            print(line, file=sys.stderr)
        return 2
    except BadRunInput as error:  # found while building the run, before training
        print(f"{config.name}: {error}", file=sys.stderr)
        return 2
    except OutputLockedError as error:
        print(f"{WHERE}: {error}", file=sys.stderr)
        return 2
    except MemoryError as error:
        print(f"{WHERE}: out of memory ({type(error).__name__}: {error})", file=sys.stderr)
        return 1
    except FileNotFoundError as error:  # no dataset files (1), or no backup to resume (2)
        if isinstance(error, DatasetNotFoundError):
            print(f"{WHERE}: {error} (in the config: data.cache_dir)", file=sys.stderr)
            return 1
        print(f"{WHERE}: {error}", file=sys.stderr)
        return 2 if resume else 1
    except (MissingDependencyError, DatasetFormatError, CheckpointError) as error:
        print(f"{WHERE}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            f"{WHERE}: interrupted; continue with: {PROG} train {config.path} --out {out} --resume",
            file=sys.stderr,
        )
        return 130
    except (ValueError, TypeError, RuntimeError, ArithmeticError, OSError) as error:
        print(f"{WHERE}: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    if verbose:
        print("\n".join(summary_lines(result)))
        for name in ("report.md", "history.csv", "model.safetensors"):
            if name in result.files:
                print(f"wrote {result.files[name]}")
    return 0
