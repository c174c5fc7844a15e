"""gradlab.explain.expression: safe evaluation of arithmetic over named scalars."""

import math
import re

import pytest

import gradlab
from gradlab.explain.expression import ExpressionError, evaluate, variables_of


def test_x_times_y_plus_z():
    out, leaves = evaluate("x*y + z", {"x": 7, "y": 13, "z": 19})
    assert out.item() == 110
    out.backward()
    assert [leaves[n].grad.item() for n in "xyz"] == [13, 7, 1]
    assert all(t.dtype == gradlab.float64 and t.requires_grad for t in leaves.values())


def test_every_allowed_form_against_math_and_finite_differences():
    text = "-x**2 / y + 2**x - exp(x)*log(y) + sqrt(y) + tanh(x) + sigmoid(-y) + relu(x) + abs(-y)"

    def reference(x, y):
        return (
            -(x**2) / y + 2**x - math.exp(x) * math.log(y) + math.sqrt(y) + math.tanh(x)
            + 1 / (1 + math.exp(y)) + max(x, 0) + abs(-y)
        )  # fmt: skip

    x0, y0 = 0.7, 1.9
    out, leaves = evaluate(text, {"x": x0, "y": y0})
    assert out.item() == pytest.approx(reference(x0, y0), rel=1e-12)
    out.backward()
    h = 1e-6
    dx = (reference(x0 + h, y0) - reference(x0 - h, y0)) / (2 * h)
    dy = (reference(x0, y0 + h) - reference(x0, y0 - h)) / (2 * h)
    assert leaves["x"].grad.item() == pytest.approx(dx, rel=1e-7)
    assert leaves["y"].grad.item() == pytest.approx(dy, rel=1e-7)


def test_variables_in_order_of_appearance():
    assert variables_of("b*(a + c) + exp(a)*d") == ["b", "a", "c", "d"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("__import__('os')", "call to '__import__' at column 1 is not allowed"),
        ("__import__('os').system('true')", "call to \"__import__('os').system\" at column 1"),
        ("open(x)", "call to 'open'"),
        ("x.real", "Attribute"),
        ("x[0]", "Subscript"),
        ("(lambda: 1)()", "call to 'lambda: 1'"),
        ("x + (lambda: 1)", "Lambda at column 6"),
        ("x if x else 1", "IfExp"),
        ("x < 1", "Compare"),
        ("x // 2", "operator FloorDiv"),
        ("~x", "operator Invert"),
        ("x + 'a'", "constant 'a'"),
        ("x + True", "constant True"),
        ("exp(x, x)", "exactly one positional argument"),
        ("exp(x=x)", "exactly one positional argument"),
        ("_x + 1", "must not start with '_'"),
        ("x +", "not valid syntax"),
    ],
)
def test_unsafe_or_unsupported_expressions_are_rejected(text, message):
    with pytest.raises(ExpressionError, match=re.escape(message)):
        evaluate(text, {"x": 1.0})


def test_missing_and_unused_values_and_constant_only():
    with pytest.raises(ExpressionError, match="no value for z; pass --z VALUE"):
        evaluate("x + z", {"x": 1.0})
    with pytest.raises(ExpressionError, match="--w given but not used; its variables are: x"):
        evaluate("x", {"x": 1.0, "w": 2.0})
    with pytest.raises(ExpressionError, match="has no variables"):
        evaluate("2 * 3", {})
    with pytest.raises(ExpressionError, match="overflows"):
        evaluate("10**10**10 + x", {"x": 1.0})
    with pytest.raises(ExpressionError, match="divides by zero"):
        evaluate("1/0 + x", {"x": 1.0})
    with pytest.raises(ExpressionError, match="exp at column 5 is a function"):
        evaluate("x + exp", {"x": 1.0})
