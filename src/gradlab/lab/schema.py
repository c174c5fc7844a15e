"""The checks behind config validation: what a key may hold, and the problem lines it gives.

A :class:`Spec` describes one key: its kinds (``"int"``, ``"float"``, ``"bool"``, ``"str"``,
``"list[int]"``, ``"list[float]"``, ``"list[str]"``, ``"any"``), its default (or
:data:`REQUIRED`), a numeric range, allowed string values, a list length. :func:`check_table`
checks a whole table against a dict of specs and returns ``(values with defaults filled,
problem lines)``; every problem is one line ``where.key: message``, nothing is raised, so a
caller collects every problem of a file before reporting.

:func:`specs_from_signature` derives specs from a constructor's signature (the kinds from
its annotations or defaults), so a config binds to a class by keyword.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, replace

__all__ = [
    "REQUIRED",
    "Spec",
    "check_table",
    "choose",
    "check_value",
    "describe",
    "one_of",
    "specs_from_signature",
]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED = _Required()
"""The default of a key that must be given."""


@dataclass(frozen=True)
class Spec:
    """What one config key may hold.

    ``kinds``: accepted kinds, in order of preference. ``default``: the value filled in when
    the key is absent (:data:`REQUIRED`: the key must be given; ``None``: left out).
    ``gt/ge/lt/le``: bounds for numbers (each element of a list). ``choices``: allowed
    strings. ``length``: the exact length of a list. ``doc``: a short description.
    """

    kinds: tuple = ("any",)
    default: object = None
    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None
    choices: tuple | None = None
    length: int | None = None
    min_length: int | None = None
    doc: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


def describe(value) -> str:
    """A value as a problem line shows it: strings quoted, tables and lists in TOML's words."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "[" + ", ".join(describe(v) for v in value) + "]"
    return repr(value)


def one_of(names) -> str:
    """``'a', 'b', 'c'`` for an "expected one of" message."""
    return ", ".join(repr(n) for n in names)


_KIND_WORDS = {
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "str": "a string",
    "list[int]": "a list of integers",
    "list[float]": "a list of numbers",
    "list[str]": "a list of strings",
    "any": "a value",
}


def _type_name(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "table"
    return type(value).__name__


def _as_kind(value, kind):
    """``value`` converted to ``kind``, or ``_NO`` when it is not of that kind."""
    if kind == "any":
        return value
    if kind == "bool":
        return value if isinstance(value, bool) else _NO
    if kind == "int":
        return value if isinstance(value, int) and not isinstance(value, bool) else _NO
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return _NO
        return float(value)
    if kind == "str":
        return value if isinstance(value, str) else _NO
    if kind.startswith("list["):
        if not isinstance(value, (list, tuple)):
            return _NO
        inner = kind[5:-1]
        items = [_as_kind(v, inner) for v in value]
        return _NO if any(v is _NO for v in items) else items
    raise ValueError(f"schema: unknown kind {kind!r}")


_NO = object()


def _range_problem(spec: Spec, number) -> str | None:
    if not isinstance(number, (int, float)) or isinstance(number, bool):
        return None
    if isinstance(number, float) and math.isnan(number):
        return "must be a number, got nan"
    if isinstance(number, float) and math.isinf(number):
        default = spec.default
        if not (isinstance(default, float) and math.isinf(default)):  # inf is not its default
            return f"must be a finite number, got {number!r}"
    for bound, holds, word in (
        (spec.gt, lambda b: number > b, ">"),
        (spec.ge, lambda b: number >= b, ">="),
        (spec.lt, lambda b: number < b, "<"),
        (spec.le, lambda b: number <= b, "<="),
    ):
        if bound is not None and not holds(bound):
            return f"must be {word} {bound:g}, got {number!r}"
    return None


def check_value(spec: Spec, value, where: str):
    """``(converted value, problems)`` for one given value."""
    for kind in spec.kinds:
        converted = _as_kind(value, kind)
        if converted is not _NO:
            break
    else:
        expected = " or ".join(_KIND_WORDS.get(k, k) for k in spec.kinds)
        return None, [f"{where}: expected {expected}, got {describe(value)} ({_type_name(value)})"]
    problems = []
    if isinstance(converted, list):
        if spec.length is not None and len(converted) != spec.length:
            problems.append(
                f"{where}: expected a list of {spec.length} values, got {len(converted)}"
            )
        if spec.min_length is not None and len(converted) < spec.min_length:
            problems.append(
                f"{where}: expected at least {spec.min_length} value(s), got {len(converted)}"
            )
        items = converted
    else:
        items = [converted]
    for item in items:
        problem = _range_problem(spec, item)
        if problem:
            problems.append(f"{where}: {problem}")
            break
        if spec.choices is not None and isinstance(item, str) and item not in spec.choices:
            problems.append(f"{where}: must be one of {one_of(spec.choices)}; got {item!r}")
            break
    return converted, problems


def check_table(table: dict, specs: dict, where: str, fixed: tuple = ()) -> tuple[dict, list]:
    """Check ``table`` against ``specs`` (key -> Spec).

    Returns the values (converted, defaults filled; keys whose default is None left out)
    and the problem lines: unknown keys (listing the valid ones), missing required keys,
    wrong kinds, values out of range or not among the choices. Keys in ``fixed`` are
    skipped (the caller checks them).
    """
    values, problems = {}, []
    known = sorted(set(specs) | set(fixed))
    for key, value in table.items():
        if key in fixed:
            continue
        if key not in specs:
            problems.append(f"{where}.{key}: unknown key; expected one of {', '.join(known)}")
            continue
        converted, found = check_value(specs[key], value, f"{where}.{key}")
        problems += found
        if not found:
            values[key] = converted
    for key, spec in specs.items():
        if key in table:
            continue
        if spec.required:
            problems.append(f"{where}.{key}: missing required key")
        elif spec.default is not None:
            values[key] = list(spec.default) if isinstance(spec.default, tuple) else spec.default
    return values, problems


def _kinds_of(annotation, default) -> tuple:
    """The config kinds of a parameter, from its annotation (a string under ``from
    __future__ import annotations``) or its default."""
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    text = str(text).replace(" ", "")
    kinds = []
    for part in text.split("|"):
        if part in ("int", "float", "bool", "str"):
            kinds.append(part)
        elif part in ("list[int]", "tuple[int,...]", "tuple[int]"):
            kinds.append("list[int]")
        elif part in ("list[float]", "tuple[float,...]", "tuple[float,float]"):
            kinds.append("list[float]")
    if "int" in kinds and "float" in kinds:
        kinds.remove("int")  # a float accepts integers
    if not kinds and default is not inspect.Parameter.empty and default is not None:
        if isinstance(default, bool):
            kinds = ["bool"]
        elif isinstance(default, int):
            kinds = ["int"]
        elif isinstance(default, float):
            kinds = ["float"]
        elif isinstance(default, str):
            kinds = ["str"]
        elif isinstance(default, (list, tuple)):
            if all(isinstance(v, int) and not isinstance(v, bool) for v in default):
                kinds = ["list[int]"]
            elif all(isinstance(v, (int, float)) for v in default):
                kinds = ["list[float]"]
            elif all(isinstance(v, str) for v in default):
                kinds = ["list[str]"]
    return tuple(kinds) or ("any",)


def specs_from_signature(fn, skip=(), overrides: dict | None = None) -> tuple[dict, bool]:
    """Specs for the keyword parameters of ``fn`` (a class: its ``__init__``).

    Parameters in ``skip`` and ``*args`` are left out; ``overrides`` (name -> dict of Spec
    fields) adds ranges, choices, defaults. A parameter without a default is required.
    Returns ``(specs, takes_var_keywords)``.
    """
    signature = inspect.signature(fn)
    specs, var_keywords = {}, False
    for name, parameter in signature.parameters.items():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            var_keywords = True
            continue
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL or name in skip or name == "self":
            continue
        default = parameter.default
        spec = Spec(
            kinds=_kinds_of(parameter.annotation, default),
            default=REQUIRED if default is inspect.Parameter.empty else default,
        )
        if overrides and name in overrides:
            spec = replace(spec, **overrides[name])
        specs[name] = spec
    return specs, var_keywords


_NOUNS = {"data": "dataset"}


def choose(table: dict, where: str, names, default=None, noun: str | None = None):
    """The table's ``name`` checked against ``names``; ``(name or None, problems)``."""
    name = table.get("name", default)
    if name is None:
        return None, [f"{where}.name: missing required key; expected one of {one_of(names)}"]
    if not isinstance(name, str):
        return None, [f"{where}.name: expected a string, one of {one_of(names)}; got {name!r}"]
    if name not in names:
        noun = noun or _NOUNS.get(where, where)
        return None, [f"{where}.name: unknown {noun} {name!r}; expected one of {one_of(names)}"]
    return name, []
