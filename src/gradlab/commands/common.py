"""What every subcommand of the ``gradlab`` command shares."""

from __future__ import annotations

PROG = "gradlab"
