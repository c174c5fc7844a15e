"""Optional dependencies: imported on first use, with the extra to install named."""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

__all__ = ["BrokenDependencyError", "MissingDependencyError", "require"]

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


class BrokenDependencyError(MissingDependencyError):
    """An optional dependency is installed but its import fails; the message holds the
    import's error (a missing dependency of its own, a version clash)."""


def _installed(top: str) -> bool:
    try:
        return importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        return False


def require(module: str, purpose: str) -> ModuleType:
    """Import ``module`` (e.g. "matplotlib.pyplot") or raise :class:`MissingDependencyError`
    naming ``purpose`` and the pip command:
    ``plots: matplotlib is not installed; install it with: pip install 'gradlab[lab]'``;
    :class:`BrokenDependencyError` when it is installed but its import fails, with the
    import's error.
    """
    top = module.split(".")[0]
    extra = EXTRAS.get(top, "lab")
    try:
        return importlib.import_module(module)
    except Exception as error:  # ImportError, or whatever a broken package raises
        if isinstance(error, ModuleNotFoundError) and error.name == top or not _installed(top):
            raise MissingDependencyError(
                f"{purpose}: {top} is not installed; install it with: "
                f"pip install 'gradlab[{extra}]'"
            ) from error
        first = (str(error).strip().splitlines() or [""])[0]
        raise BrokenDependencyError(
            f"{purpose}: {top} is installed but importing {module} fails "
            f"({type(error).__name__}: {first}); reinstall it with: "
            f"pip install --force-reinstall 'gradlab[{extra}]'"
        ) from error
