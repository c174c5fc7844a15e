"""The subcommands of the ``gradlab`` command, one module each.

A module here defines ``add_parser(subparsers)``, which adds its parser and sets ``handler``
(called as ``handler(args, extras) -> int``, the exit status). Heavy imports happen inside the
handlers, so ``gradlab --help`` stays fast. :mod:`gradlab.cli` lists the modules in order.
"""
