"""A model of the user's own: a Python file named on the command line, never in a config.

A config file is data: it may come from anywhere (a download, a colleague), so nothing in it
names code to import and call — ``[model]`` holds one of gradlab's registered model names or
the keyword arguments of a model the user hands over explicitly::

    gradlab train my_config.toml --model-file my_model.py:tiny

runs ``my_model.py`` (all of its top-level code, as ``python my_model.py`` would) and builds
the model with its function ``tiny`` (default ``build_model``); the config's ``[model]``
table then holds that function's keyword arguments and, optionally, ``view``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEFAULT_FUNCTION", "ModelFileError", "UserModel", "load_model_file"]

DEFAULT_FUNCTION = "build_model"


class ModelFileError(ValueError):
    """A ``--model-file`` that cannot be run or has no such function; one line."""


@dataclass(frozen=True)
class UserModel:
    """A model function loaded from a file: ``label`` is ``"file.py:function"``."""

    path: Path
    function: str
    target: object

    @property
    def label(self) -> str:
        return f"{self.path.name}:{self.function}"


def load_model_file(spec: str) -> UserModel:
    """Run the file of ``"path/to/file.py[:FUNCTION]"`` and return its model function.

    Raises :class:`ModelFileError` (one line) when the file is missing, is not a ``.py``
    file, raises while it runs, or has no callable ``FUNCTION``."""
    text = str(spec)
    where = f"--model-file {text}"
    path_text, function = text, DEFAULT_FUNCTION
    head, colon, tail = text.rpartition(":")
    if colon and tail.isidentifier() and head.endswith(".py"):
        path_text, function = head, tail
    path = Path(path_text)
    if path.suffix != ".py":
        raise ModelFileError(f"{where}: expected a Python file FILE.py[:FUNCTION]")
    if not path.is_file():
        raise ModelFileError(f"{where}: no such file {str(path)!r}")
    resolved = path.resolve()
    digest = hashlib.sha1(str(resolved).encode()).hexdigest()[:12]
    name = f"gradlab_user_model_{digest}"
    module_spec = importlib.util.spec_from_file_location(name, resolved)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module  # dataclasses and pickling look the module up by name
    try:
        module_spec.loader.exec_module(module)
    except Exception as error:  # the user's code: report whatever stops it, in one line
        sys.modules.pop(name, None)
        first = (str(error).strip().splitlines() or [""])[0]
        raised = f"{type(error).__name__}: {first}"
        raise ModelFileError(f"{where}: running it raised {raised}") from None
    target = getattr(module, function, None)
    if not callable(target):
        raise ModelFileError(f"{where}: {path.name} defines no function {function!r}")
    return UserModel(path, function, target)
