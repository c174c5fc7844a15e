"""The ``gradlab`` command: one subcommand per task of the lab.

Each subcommand lives in its own module of :mod:`gradlab.commands` with an
``add_parser(subparsers)`` function; :data:`SUBCOMMANDS` lists them in the order ``--help``
shows them.
"""

from __future__ import annotations

import argparse
import sys

from gradlab._fast import allocator
from gradlab.commands import compare, explain, reproduce, train, tune
from gradlab.commands.common import PROG

__all__ = ["main", "build_parser", "SUBCOMMANDS"]

SUBCOMMANDS = [reproduce, explain, train, compare, tune]
"""The subcommand modules; each has ``add_parser(subparsers)``."""


def _name(module) -> str:
    return module.__name__.rsplit(".", 1)[-1]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="gradlab: a deep-learning framework on NumPy whose computation graph you "
        "can see, and a lab for the course's experiments.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in SUBCOMMANDS:
        module.add_parser(subparsers)
    return parser


def main(argv=None) -> int:
    """Run ``gradlab`` with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args, extras = parser.parse_known_args(argv)
        if args.command is None:
            commands = ", ".join(_name(module) for module in SUBCOMMANDS)
            parser.print_usage(sys.stderr)
            print(f"{PROG}: choose a command: {commands}", file=sys.stderr)
            return 2
        if extras and not getattr(args, "accepts_extras", False):
            parser.error(f"unrecognized arguments: {' '.join(extras)}")
    except SystemExit as stop:  # argparse exits on --help and on errors; return its status
        return stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 2)
    allocator.configure()  # the commands train: keep freed memory for the next step
    try:
        return int(args.handler(args, extras))
    except BrokenPipeError:  # `gradlab ... | head` closed the pipe: not an error of ours
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
