"""Evaluate a small arithmetic expression over named scalars with gradlab tensors, safely.

``evaluate("x*y + z", {"x": 7, "y": 13, "z": 19})`` parses the text with :mod:`ast` and walks
the tree itself (never ``eval``): only numbers, variable names, ``+ - * / **``, unary minus
and calls to :data:`FUNCTIONS` are allowed; anything else raises :class:`ExpressionError`
naming what was found. Each variable becomes a float64 leaf tensor with ``requires_grad``.
"""

from __future__ import annotations

import ast
import operator

from numpy import errstate

from gradlab import ops
from gradlab.creation import tensor
from gradlab.tensor import Tensor

__all__ = ["ExpressionError", "FUNCTIONS", "evaluate", "variables_of"]

FUNCTIONS = {
    "exp": ops.exp,
    "log": ops.log,
    "sqrt": ops.sqrt,
    "tanh": ops.tanh,
    "sigmoid": ops.sigmoid,
    "relu": ops.relu,
    "abs": ops.abs,
}

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}

_ALLOWED = "numbers, variable names, + - * / **, unary minus and calls to " + ", ".join(FUNCTIONS)


class ExpressionError(ValueError):
    """The expression cannot be parsed, uses something not allowed, or lacks a value."""


def _parse(text: str) -> ast.Expression:
    try:
        return ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"expression {text!r}: not valid syntax ({error.msg})") from None
    except (RecursionError, MemoryError, ValueError) as error:
        raise ExpressionError(f"expression {text!r}: cannot be parsed ({error})") from None


def _where(node: ast.AST) -> str:
    return f"at column {getattr(node, 'col_offset', 0) + 1}"


def _check(tree: ast.Expression, text: str) -> list[str]:
    """Reject every node outside the whitelist; return the variable names in order of use."""
    names: list[ast.Name] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Expression | ast.Load) or type(node) in _BINARY:
            continue
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                raise ExpressionError(
                    f"expression {text!r}: operator {type(node.op).__name__} {_where(node)} is "
                    f"not allowed; allowed: {_ALLOWED}"
                )
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub | ast.UAdd):
                raise ExpressionError(
                    f"expression {text!r}: operator {type(node.op).__name__} {_where(node)} is "
                    f"not allowed; allowed: {_ALLOWED}"
                )
        elif isinstance(node, ast.USub | ast.UAdd):
            continue
        elif isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ExpressionError(
                    f"expression {text!r}: constant {value!r} {_where(node)} is not a real "
                    f"number; allowed: {_ALLOWED}"
                )
        elif isinstance(node, ast.Call):
            func = node.func
            if not isinstance(func, ast.Name) or func.id not in FUNCTIONS:
                shown = func.id if isinstance(func, ast.Name) else ast.unparse(func)
                raise ExpressionError(
                    f"expression {text!r}: call to {shown!r} {_where(node)} is not allowed; "
                    f"allowed functions: {', '.join(FUNCTIONS)}"
                )
            if node.keywords or len(node.args) != 1:
                raise ExpressionError(
                    f"expression {text!r}: {func.id}() {_where(node)} takes exactly one "
                    f"positional argument"
                )
        elif isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                continue  # checked as a call's function above; a bare one fails in _eval
            if node.id.startswith("_"):
                raise ExpressionError(
                    f"expression {text!r}: name {node.id!r} {_where(node)} is not allowed; "
                    f"variable names must not start with '_'"
                )
            names.append(node)
        else:
            raise ExpressionError(
                f"expression {text!r}: {type(node).__name__} {_where(node)} is not allowed; "
                f"allowed: {_ALLOWED}"
            )
    ordered = sorted(names, key=lambda n: (n.lineno, n.col_offset))  # walk is breadth-first
    return list(dict.fromkeys(n.id for n in ordered))


def variables_of(text: str) -> list[str]:
    """The variable names ``text`` uses, in order of first appearance (validates it too)."""
    return _check(_parse(text), text)


def evaluate(text: str, values: dict[str, float]) -> tuple[Tensor, dict[str, Tensor]]:
    """Compute ``text`` with gradlab ops; returns ``(output, leaves)`` where ``leaves`` maps
    each variable name to its float64 leaf tensor (``requires_grad=True``)."""
    tree = _parse(text)
    names = _check(tree, text)
    missing = [n for n in names if n not in values]
    if missing:
        raise ExpressionError(
            f"expression {text!r}: no value for {', '.join(missing)}; pass "
            + " ".join(f"--{n} VALUE" for n in missing)
        )
    extra = [n for n in values if n not in names]
    if extra:
        raise ExpressionError(
            f"expression {text!r}: {', '.join('--' + n for n in extra)} given but not used; "
            f"its variables are: {', '.join(names) or 'none'}"
        )
    leaves = {n: tensor(float(values[n]), dtype="float64", requires_grad=True) for n in names}

    def _eval(node):
        if isinstance(node, ast.Expression):
            return _eval(node.body)
        if isinstance(node, ast.Constant):
            return float(node.value)  # floats: 10**10**10 overflows instead of running forever
        if isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                raise ExpressionError(
                    f"expression {text!r}: {node.id} {_where(node)} is a function; call it "
                    f"as {node.id}(...)"
                )
            return leaves[node.id]
        if isinstance(node, ast.UnaryOp):
            operand = _eval(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            return _BINARY[type(node.op)](_eval(node.left), _eval(node.right))
        if isinstance(node, ast.Call):
            argument = _eval(node.args[0])
            if not isinstance(argument, Tensor):
                argument = tensor(float(argument), dtype="float64")
            return FUNCTIONS[node.func.id](argument)
        raise ExpressionError(f"expression {text!r}: unexpected {type(node).__name__}")

    try:
        with errstate(all="ignore"):
            output = _eval(tree)
    except OverflowError:
        raise ExpressionError(f"expression {text!r}: a constant part overflows") from None
    except ZeroDivisionError:
        raise ExpressionError(f"expression {text!r}: a constant part divides by zero") from None
    if not isinstance(output, Tensor) or not output.requires_grad:
        raise ExpressionError(
            f"expression {text!r}: has no variables, so there is no graph to show; use at "
            f"least one variable, e.g. 'x*y + z' with --x 7 --y 13 --z 19"
        )
    return output, leaves
