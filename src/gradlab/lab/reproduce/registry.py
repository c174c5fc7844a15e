"""The registry of the notes' worked examples, and what each example hands back.

An example is one function in its own file of this package, registered with its number in
the notes' table (/work/shared/notes/README.md), a short name and a title::

    from gradlab.lab.reproduce.registry import Report, register

    @register(4, "mse", "Mean squared error, y = [3, -0.5, 2]", source="003")
    def mse() -> Report:
        report = Report()
        value = ...computed with gradlab...
        report.print(f"MSE = {value:.4f}")
        report.check("MSE", value, 0.167, decimals=3)   # the notes round to 3 decimals
        return report

A :class:`Check` passes when ``|computed - expected| <= tolerance`` elementwise (same shape),
or, with ``tolerance=None``, when the two are equal (strings, shapes, class labels).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Check", "Example", "Registry", "Report", "REGISTRY", "register"]

_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass
class Check:
    """One number (or array, or label) of the notes compared with what gradlab computed.

    ``tolerance`` is the notes' rounding: 0.0005 for a value given to 3 decimals, 0 for an
    exact one; None compares with ``==`` (for non-numeric values).
    """

    label: str
    computed: object
    expected: object
    tolerance: float | None = None

    @property
    def passed(self) -> bool:
        if self.tolerance is None:
            try:
                return bool(np.array_equal(np.asarray(self.computed), np.asarray(self.expected)))
            except (TypeError, ValueError):
                return self.computed == self.expected
        try:
            computed = np.asarray(self.computed, dtype=np.float64)
            expected = np.asarray(self.expected, dtype=np.float64)
        except (TypeError, ValueError):
            return False
        if computed.shape != expected.shape:
            return False
        return bool(np.all(np.abs(computed - expected) <= self.tolerance))

    def describe(self) -> str:
        """``a: computed 91, expected 91 (exact)``."""
        if self.tolerance is None:
            within = "equal"
        elif self.tolerance == 0:
            within = "exact"
        else:
            within = f"± {self.tolerance:g}"
        return (
            f"{self.label}: computed {_show(self.computed)}, expected "
            f"{_show(self.expected)} ({within})"
        )


@dataclass
class Report:
    """What an example hands back: the lines to print and the checks to judge."""

    lines: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    def print(self, *parts, sep: str = " ") -> None:
        """Add output (several lines when the text has newlines)."""
        self.lines.extend(sep.join(str(p) for p in parts).split("\n"))

    def check(
        self,
        label: str,
        computed,
        expected,
        tolerance: float | None = None,
        decimals: int | None = None,
    ) -> Check:
        """Record a check; ``decimals=3`` means the notes round to 3 decimals (± 0.0005)."""
        if decimals is not None:
            if tolerance is not None:
                raise ValueError(f"check {label!r}: give tolerance or decimals, not both")
            tolerance = 0.5 * 10.0**-decimals
        if hasattr(computed, "data") and hasattr(computed, "grad_fn"):  # a Tensor
            computed = computed.numpy()
        if isinstance(computed, np.ndarray) and computed.ndim == 0:
            computed = computed.item()
        item = Check(label, computed, expected, tolerance)
        self.checks.append(item)
        return item


@dataclass(frozen=True)
class Example:
    """A registered worked example; ``run()`` computes it and returns a :class:`Report`."""

    number: int
    name: str
    title: str
    run: Callable[[], Report]
    source: str = ""

    @property
    def heading(self) -> str:
        where = f"  [notes {self.source}]" if self.source else ""
        return f"Example {self.number} ({self.name}): {self.title}{where}"


class Registry:
    """Examples by number and by name; ``errors`` holds example modules that failed to import."""

    def __init__(self):
        self._by_number: dict[int, Example] = {}
        self.errors: dict[str, str] = {}

    def register(self, number: int, name: str, title: str, source: str = ""):
        """Decorator: register a function returning a :class:`Report` as example ``number``."""
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise ValueError(f"register(): number must be a positive int, got {number!r}")
        if not _NAME.match(name):
            raise ValueError(
                f"register(): name {name!r} must be lowercase words joined by '-', "
                f"e.g. 'computation-graph'"
            )

        def decorate(fn: Callable[[], Report]) -> Callable[[], Report]:
            example = Example(number, name, title, fn, source)
            for other in self._by_number.values():
                same_fn = _qualname(other.run) == _qualname(fn)
                if (other.number == number or other.name == name) and not same_fn:
                    raise ValueError(
                        f"register(): example {number} {name!r} ({_qualname(fn)}) clashes with "
                        f"example {other.number} {other.name!r} ({_qualname(other.run)})"
                    )
            self._by_number = {
                n: e for n, e in self._by_number.items() if _qualname(e.run) != _qualname(fn)
            }
            self._by_number[number] = example
            return fn

        return decorate

    def examples(self) -> list[Example]:
        """All examples, by number."""
        return [self._by_number[n] for n in sorted(self._by_number)]

    def find(self, selector: str) -> Example | None:
        """The example whose name or number (``"1"``, ``"01"``) is ``selector``."""
        selector = str(selector).strip().lower()
        if selector.isdigit():
            return self._by_number.get(int(selector))
        for example in self._by_number.values():
            if example.name == selector:
                return example
        return None

    def __iter__(self) -> Iterator[Example]:
        return iter(self.examples())

    def __len__(self) -> int:
        return len(self._by_number)


REGISTRY = Registry()
"""The registry that ``gradlab reproduce`` runs; example files register into it."""


def register(number: int, name: str, title: str, source: str = ""):
    """Register a worked example in :data:`REGISTRY`; see the module docstring."""
    return REGISTRY.register(number, name, title, source)


def _qualname(fn) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def _show(value) -> str:
    if isinstance(value, float | np.floating):
        return f"{float(value):.6g}"
    if isinstance(value, np.ndarray):
        return np.array2string(value, precision=6, separator=", ")
    return repr(value) if isinstance(value, str) else str(value)
