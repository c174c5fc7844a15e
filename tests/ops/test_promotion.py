"""Type promotion as PyTorch's: promote_types over every pair, result_type and the result
dtypes of arithmetic with tensors of dimensions, 0-dim tensors and Python numbers."""

import itertools

import numpy as np
import pytest

import gradlab

torch = pytest.importorskip("torch")

NAMES = [
    "bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
    "complex64", "complex128", "uint16", "uint32", "uint64",
]  # fmt: skip


@pytest.mark.parametrize("a, b", list(itertools.product(NAMES, NAMES)))
def test_promote_types_table_as_torch(a, b):
    try:
        expected = str(torch.promote_types(getattr(torch, a), getattr(torch, b)))
    except RuntimeError:
        with pytest.raises(TypeError, match="not supported"):
            gradlab.promote_types(getattr(gradlab, a), getattr(gradlab, b))
        return
    got = gradlab.promote_types(getattr(gradlab, a), getattr(gradlab, b))
    assert got.name == expected.removeprefix("torch.")


@pytest.mark.parametrize("a, b", list(itertools.product(NAMES[:11], NAMES[:11])))
def test_can_cast_as_torch(a, b):
    expected = torch.can_cast(getattr(torch, a), getattr(torch, b))
    assert gradlab.can_cast(getattr(gradlab, a), getattr(gradlab, b)) == expected


ARITH = ["bool", "uint8", "int8", "int32", "int64", "float16", "float32", "float64", "complex64"]
SHAPES = [(2,), ()]


def _pair(name, shape, lib):
    data = np.array([1, 1]) if shape else np.array(1)
    return lib.tensor(data.tolist(), dtype=getattr(lib, name))


@pytest.mark.parametrize("a, b", list(itertools.product(ARITH, ARITH)))
@pytest.mark.parametrize("shape_a, shape_b", [((2,), (2,)), ((2,), ()), ((), (2,)), ((), ())])
@pytest.mark.parametrize("op", ["add", "mul", "div", "maximum"])
def test_arithmetic_result_dtype_as_torch(a, b, shape_a, shape_b, op):
    if op == "maximum" and "complex64" in (a, b):
        return  # torch has no maximum for complex
    if {a, b} == {"float16", "complex64"}:
        return  # torch gives complex32 in some of these; gradlab (NumPy) has no complex32
    ta, tb = _pair(a, shape_a, torch), _pair(b, shape_b, torch)
    expected = getattr(torch, op)(ta, tb).dtype
    ga, gb = _pair(a, shape_a, gradlab), _pair(b, shape_b, gradlab)
    got = getattr(gradlab, op)(ga, gb)
    assert str(got.dtype).removeprefix("gradlab.") == str(expected).removeprefix("torch.")
    assert got.numpy().dtype == got.dtype  # the array holds what the dtype says
    assert str(gradlab.result_type(ga, gb)) == str(torch.result_type(ta, tb)).replace(
        "torch", "gradlab"
    )


NUMBERS = [True, 2, 2.5, 1j]


@pytest.mark.parametrize("a", ARITH)
@pytest.mark.parametrize("number", NUMBERS)
@pytest.mark.parametrize("shape", SHAPES)
def test_python_numbers_promote_as_torch(a, number, shape):
    if a == "float16" and isinstance(number, complex):
        return  # torch gives complex32, which gradlab (NumPy) does not have
    ta, ga = _pair(a, shape, torch), _pair(a, shape, gradlab)
    for lhs in (True, False):
        expected = (ta + number if lhs else number * ta).dtype
        got = (ga + number if lhs else number * ga).dtype
        assert str(got).removeprefix("gradlab.") == str(expected).removeprefix("torch.")
    assert str(gradlab.result_type(ga, number)) == str(torch.result_type(ta, number)).replace(
        "torch", "gradlab"
    )
    if a != "bool" and not isinstance(number, (bool, complex)):
        expected = (ta / number).dtype
        assert str((ga / number).dtype).removeprefix("gradlab.") == str(expected)[6:]


def test_the_documented_cases():
    f32, i64 = gradlab.ones(3), gradlab.tensor([1, 2, 3])
    assert (f32 * i64).dtype is gradlab.float32  # NumPy would give float64
    assert (i64 + 2.5).dtype is gradlab.float32  # the default float, not float64
    assert (f32 + gradlab.tensor(1.0, dtype=gradlab.float64)).dtype is gradlab.float32
    assert (i64 + gradlab.tensor(1.0, dtype=gradlab.float64)).dtype is gradlab.float64
    assert (i64 / 2).dtype is gradlab.float32
    assert gradlab.result_type(2, 2.5) is gradlab.float32
    assert gradlab.promote_types(gradlab.int64, gradlab.float16) is gradlab.float16


def test_gradients_flow_through_promoted_arithmetic():
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    n = gradlab.tensor([3, 4])
    w = gradlab.tensor(2.0, dtype=gradlab.float64, requires_grad=True)
    y = (x * n + x * w).sum()
    assert y.dtype is gradlab.float32
    y.backward()
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    tw = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    (tx * torch.tensor([3, 4]) + tx * tw).sum().backward()
    assert x.grad.dtype is gradlab.float32 and w.grad.dtype is gradlab.float64
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy())
