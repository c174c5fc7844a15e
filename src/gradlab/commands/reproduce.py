"""``gradlab reproduce``: the notes' worked examples, checked against the notes' numbers."""

from __future__ import annotations


def add_parser(subparsers) -> None:
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
