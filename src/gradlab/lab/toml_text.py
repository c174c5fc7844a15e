"""TOML text from tables: what a run records of the config it ran (``config.toml``) and
the best config a study found (``best_config.toml``)."""

from __future__ import annotations

import json
import math
import re

__all__ = ["config_toml", "to_toml"]

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(key) -> str:
    key = str(key)
    return key if _BARE_KEY.match(key) else json.dumps(key)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # JSON's string escapes are TOML's basic-string escapes
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value if v is not None) + "]"
    if isinstance(value, dict):
        items = (f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items() if v is not None)
        return "{ " + ", ".join(items) + " }"
    if hasattr(value, "item"):  # a NumPy scalar
        return _toml_value(value.item())
    raise TypeError(f"to_toml: cannot write {value!r} ({type(value).__name__}) as TOML")


def to_toml(sections: dict) -> str:
    """``{"optimizer": {"name": "adam", "lr": 0.001}}`` -> TOML text, one ``[section]`` per
    table; tables inside a section are written inline; None values are left out (TOML has
    no null)."""
    lines = []
    for section, table in sections.items():
        lines.append(f"[{_toml_key(section)}]")
        lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items() if v is not None]
        lines.append("")
    return "\n".join(lines)


def config_toml(config) -> str:
    """The TOML of what ``config`` runs: its file's text as written when nothing was
    overridden, else its tables with the overrides applied (named in a comment), so that
    the file loads back to the same config."""
    from gradlab.lab.config import tomllib

    text = config.text or ""
    try:
        as_written = tomllib.loads(text) if text else None
    except tomllib.TOMLDecodeError:
        as_written = None
    if as_written == config.raw and text:
        return text
    source = config.path if config.path is not None else "a config"
    shown = " ".join(f"{k}={v!r}" for k, v in getattr(config, "overrides", {}).items())
    header = f"# {source}" + (f" with --set {shown}" if shown else "") + "\n"
    return header + to_toml(config.raw)
