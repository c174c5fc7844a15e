"""Optional dependencies of the lab: imported on first use, with the extra to install named."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["MissingDependencyError", "require"]

# the pyproject extra that installs each optional module
EXTRAS = {
    "matplotlib": "lab",
    "sklearn": "lab",
    "optuna": "lab",
    "tensorboardX": "tensorboard",
    "distributed": "dask",
    "dask": "dask",
    "psycopg": "postgres",
    "mpi4py": "mpi",
}


class MissingDependencyError(ImportError):
    """An optional dependency is not installed; the message says which extra installs it."""


def require(module: str, purpose: str) -> ModuleType:
    """Import ``module`` (e.g. "matplotlib.pyplot") or raise :class:`MissingDependencyError`
    naming ``purpose`` and the pip command:
    ``plots: matplotlib is not installed; install it with: pip install 'gradlab[lab]'``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        top = module.split(".")[0]
        extra = EXTRAS.get(top, "lab")
        raise MissingDependencyError(
            f"{purpose}: {top} is not installed; install it with: pip install 'gradlab[{extra}]'"
        ) from error
