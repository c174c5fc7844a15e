"""dtype objects as ``Tensor.dtype``, their attributes against torch's, finfo/iinfo,
get_default_dtype."""

import pickle

import numpy as np
import pytest

import gradlab

torch = pytest.importorskip("torch")

NAMES = [
    "float16", "float32", "float64", "complex64", "complex128", "uint8", "int8", "int16",
    "int32", "int64", "bool", "uint16", "uint32", "uint64",
]  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_dtype_attributes_as_torch(name):
    ours, theirs = getattr(gradlab, name), getattr(torch, name)
    assert repr(ours) == str(ours) == f"gradlab.{name}"
    for attr in ("is_floating_point", "is_complex", "is_signed", "itemsize"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert ours.to_real().name == str(theirs.to_real()).removeprefix("torch.")
    assert pickle.loads(pickle.dumps(ours)) is ours


@pytest.mark.parametrize("name", ["float32", "float64", "int64", "bool", "uint8", "complex64"])
def test_tensor_dtype_is_the_dtype_object(name):
    x = gradlab.zeros(2, dtype=getattr(gradlab, name))
    assert x.dtype is getattr(gradlab, name)
    assert str(x.dtype) == f"gradlab.{name}"
    assert x.dtype == getattr(gradlab, name) and x.dtype != (
        gradlab.float16 if name != "float16" else gradlab.float32
    )


def test_aliases_compare_and_hash_as_one():
    assert gradlab.float is gradlab.float32 and gradlab.long == gradlab.int64
    assert gradlab.double == gradlab.float64 and gradlab.float32 != gradlab.float64
    assert len({gradlab.float, gradlab.float32, gradlab.ones(1).dtype}) == 1
    assert {gradlab.float32: "f"}[gradlab.ones(1).dtype] == "f"
    assert gradlab.float32 != "float32"  # as torch: a dtype is not its name


def test_dtype_arguments_take_objects_numpy_dtypes_and_strings():
    for spec in (gradlab.float64, np.float64, np.dtype("float64"), "float64"):
        assert gradlab.zeros(2, dtype=spec).dtype is gradlab.float64
        assert gradlab.ones(2).to(spec).dtype is gradlab.float64
    assert np.zeros(2, dtype=gradlab.ones(1).dtype).dtype == np.float32
    assert np.dtype(gradlab.ones(1, dtype=gradlab.int64).dtype) == np.int64


def test_tensor_repr_names_gradlab_dtypes():
    assert repr(gradlab.tensor([1.5], dtype=gradlab.float64)) == (
        "tensor([1.5000], dtype=gradlab.float64)"
    )
    assert repr(gradlab.tensor([1], dtype=gradlab.int32)) == "tensor([1], dtype=gradlab.int32)"


def test_to_complex_as_torch():
    assert gradlab.float32.to_complex() is gradlab.complex64
    assert gradlab.float64.to_complex() is gradlab.complex128
    with pytest.raises(RuntimeError, match="Unknown Complex ScalarType"):
        gradlab.int64.to_complex()


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo_as_torch(name):
    ours, theirs = gradlab.finfo(getattr(gradlab, name)), torch.finfo(getattr(torch, name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert gradlab.finfo(np.float32).eps == torch.finfo(torch.float32).eps
    assert gradlab.finfo().dtype == "float32"


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_as_torch(name):
    ours, theirs = gradlab.iinfo(getattr(gradlab, name)), torch.iinfo(getattr(torch, name))
    assert (ours.bits, ours.min, ours.max, ours.dtype) == (
        theirs.bits, theirs.min, theirs.max, theirs.dtype,
    )  # fmt: skip


def test_finfo_iinfo_refuse_the_other_category():
    with pytest.raises(TypeError, match="floating point"):
        gradlab.finfo(gradlab.int64)
    with pytest.raises(TypeError, match="integer"):
        gradlab.iinfo(gradlab.float32)
    with pytest.raises(TypeError, match="bool"):
        gradlab.iinfo(gradlab.bool)


def test_get_default_dtype_is_a_dtype_object():
    assert gradlab.get_default_dtype() is gradlab.float32
    gradlab.set_default_dtype(gradlab.float64)
    try:
        assert gradlab.get_default_dtype() is gradlab.float64
        assert gradlab.tensor([1.0]).dtype is gradlab.float64
    finally:
        gradlab.set_default_dtype(gradlab.float32)
    assert gradlab.get_default_dtype() is gradlab.float32
