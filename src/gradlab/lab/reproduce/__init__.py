"""``gradlab reproduce``: the course notes' worked examples, computed and checked.

Each worked example of the notes' table (/work/shared/notes/README.md) is one file of this
package named ``exNN_<name>.py`` (NN = its number, two digits) that registers one function
with :func:`~gradlab.lab.reproduce.registry.register`. Files are found by auto-discovery
(:func:`load_examples` imports every ``exNN_*`` module here), so adding an example is writing
that one file. A file that fails to import is reported by the runner as a failure; the other
examples still run.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import traceback

from gradlab.lab.reproduce.registry import REGISTRY, Check, Example, Registry, Report, register
from gradlab.lab.reproduce.runner import run

__all__ = ["REGISTRY", "Check", "Example", "Registry", "Report", "load_examples", "register", "run"]

_EXAMPLE_MODULE = re.compile(r"^ex\d\d_\w+$")
_loaded = False


def load_examples() -> Registry:
    """Import every ``exNN_*`` module of this package once; returns :data:`REGISTRY`."""
    global _loaded
    if not _loaded:
        _loaded = True
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
            if not _EXAMPLE_MODULE.match(info.name):
                continue
            module = f"{__name__}.{info.name}"
            try:
                importlib.import_module(module)
            except Exception:
                REGISTRY.errors[module] = traceback.format_exc()
    return REGISTRY
