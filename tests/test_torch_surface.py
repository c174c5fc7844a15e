"""PyTorch's names on gradlab: dtype objects, Tensor.type(), legacy tensor constructors,
Generator, backends.cudnn, autograd.Variable, nn.modules, and the AttributeErrors that name
what gradlab does not implement."""

import pickle

import numpy as np
import pytest

import gradlab
from gradlab import nn

torch = pytest.importorskip("torch")

ALIASES = ["float", "float32", "float64", "double", "half", "float16", "long", "int64", "int",
           "int32", "int16", "short", "int8", "uint8", "bool", "complex64", "cfloat",
           "complex128", "cdouble"]  # fmt: skip


@pytest.mark.parametrize("name", ALIASES)
def test_dtype_objects_print_and_compare_as_torch(name):
    ours, theirs = getattr(gradlab, name), getattr(torch, name)
    assert repr(ours) == repr(theirs).replace("torch.", "gradlab.") and str(ours) == repr(ours)
    assert ours.is_floating_point == theirs.is_floating_point
    assert ours.is_complex == theirs.is_complex and ours.itemsize == theirs.itemsize
    expected = torch.zeros(2, dtype=theirs).numpy().dtype
    assert gradlab.zeros(2, dtype=ours).dtype == expected
    assert gradlab.zeros(2, dtype=ours).dtype == ours  # both ways round
    assert ours == expected and np.dtype(ours) == expected
    assert pickle.loads(pickle.dumps(ours)) is ours
    assert ours != name  # as torch.float32 != "float32"


def test_dtype_works_as_dtype_everywhere():
    assert gradlab.tensor([1, 2], dtype=gradlab.float).dtype == np.float32
    assert gradlab.arange(3, dtype=gradlab.double).dtype == np.float64
    assert gradlab.randn(2, dtype=gradlab.float64).dtype == np.float64
    assert nn.Linear(2, 2, dtype=gradlab.float64).weight.dtype == np.float64
    assert np.zeros(2).astype(gradlab.half).dtype == np.float16
    assert {gradlab.float32: 1}[gradlab.float] == 1
    with pytest.raises(AttributeError, match="bfloat16 is not implemented in gradlab"):
        gradlab.bfloat16  # noqa: B018


def test_tensor_type_and_conversions_as_torch():
    for data in ([1.5, 2.0], [1, 2], [True, False]):
        ours, theirs = gradlab.tensor(data), torch.tensor(data)
        assert ours.type() == theirs.type()
        for method in ("float", "double", "long", "int", "bool", "half"):
            got = getattr(ours, method)()
            assert got.dtype == getattr(theirs, method)().numpy().dtype
            assert got.type() == getattr(theirs, method)().type()
        assert ours.type(gradlab.long).tolist() == theirs.type(torch.long).tolist()
        assert ours.type("torch.DoubleTensor").dtype == np.float64
    x = gradlab.tensor([1.0])
    assert x.type(gradlab.float32) is x


def test_legacy_constructors_as_torch():
    for name in ("FloatTensor", "DoubleTensor", "LongTensor", "BoolTensor", "IntTensor",
                 "ByteTensor"):  # fmt: skip
        ours, theirs = getattr(gradlab, name), getattr(torch, name)
        assert ours([1, 0, 1]).tolist() == theirs([1, 0, 1]).tolist()
        assert ours([1, 0]).dtype == theirs([1, 0]).numpy().dtype
        assert ours(2, 3).shape == tuple(theirs(2, 3).shape)
        assert isinstance(ours([1]), ours)
    assert not isinstance(gradlab.tensor([1.0]), gradlab.LongTensor)
    assert gradlab.FloatTensor(np.arange(3)).dtype == np.float32
    with pytest.raises(TypeError):
        gradlab.FloatTensor("abc")


def test_generator_objects():
    g = gradlab.Generator()
    assert g.initial_seed() == torch.Generator().initial_seed()
    assert g.manual_seed(5) is g and g.initial_seed() == 5
    a = gradlab.randn(4, generator=g)
    g.manual_seed(5)
    np.testing.assert_array_equal(gradlab.randn(4, generator=g).numpy(), a.numpy())
    state = g.get_state()
    assert state.dtype == np.uint8
    first = gradlab.rand(3, generator=g).numpy()
    g.set_state(state)
    np.testing.assert_array_equal(gradlab.rand(3, generator=g).numpy(), first)
    assert isinstance(gradlab.randperm(5, generator=g), gradlab.Tensor)
    assert gradlab.randint(0, 5, (3,), generator=g).shape == (3,)
    seed = g.seed()
    assert g.initial_seed() == seed
    clone = pickle.loads(pickle.dumps(g))
    assert isinstance(clone, gradlab.Generator)
    np.testing.assert_array_equal(clone.random(3), g.random(3))
    g.manual_seed(-1)  # negative seeds are reduced modulo 2**64, as PyTorch
    assert g.initial_seed() == 2**64 - 1
    with pytest.raises(RuntimeError, match="CUDA is not implemented in gradlab"):
        gradlab.Generator(device="cuda")
    with pytest.raises(RuntimeError, match="get_state"):
        g.set_state(gradlab.zeros(3, dtype=gradlab.uint8))
    with pytest.raises(TypeError, match="uint8"):
        g.set_state(gradlab.zeros(3))


def test_backends_flags_are_accepted_on_cpu():
    gradlab.backends.cudnn.deterministic = True
    gradlab.backends.cudnn.benchmark = False
    assert gradlab.backends.cudnn.enabled
    assert not gradlab.backends.cudnn.is_available() and not gradlab.backends.mps.is_available()


def test_variable_is_the_deprecated_alias_returning_a_tensor():
    from gradlab.autograd import Variable

    x = gradlab.tensor([1.0, 2.0])
    v = Variable(x, requires_grad=True)
    assert v is x and v.requires_grad and isinstance(x, Variable)
    (v * v).sum().backward()
    assert np.asarray(x.grad).tolist() == [2.0, 4.0]
    with pytest.raises(TypeError, match="Variable data has to be a tensor"):
        Variable([1.0])


def test_nn_modules_namespace():
    from gradlab.nn.modules.loss import MSELoss, _Loss

    assert MSELoss is nn.MSELoss and issubclass(MSELoss, _Loss)
    for name in ("Linear", "Conv2d", "ReLU", "LSTM", "Embedding", "Sequential",
                 "TransformerEncoderLayer", "BatchNorm1d", "Module"):  # fmt: skip
        assert getattr(nn.modules, name) is getattr(nn, name)


@pytest.mark.parametrize(
    "namespace, name, hint",
    [
        ("gradlab", "mps", "not implemented"),
        ("gradlab", "sparse_coo_tensor", "sparse tensors"),
        ("gradlab", "jit", "TorchScript"),
        ("gradlab.nn", "Transformer", "TransformerEncoderLayer"),
        ("gradlab.nn", "DataParallel", "one CPU process"),
        ("gradlab.nn.functional", "grid_sample", None),
        ("gradlab.optim", "SparseAdam", "optim.Adam"),
        ("gradlab.optim.lr_scheduler", "CosineAnnealingLR", "exists"),
    ],
)
def test_pytorch_names_that_gradlab_lacks_say_so(namespace, name, hint):
    import importlib

    module = importlib.import_module(namespace)
    if hint == "exists":  # a name gradlab has is found as usual
        assert getattr(module, name) is not None
        return
    with pytest.raises(AttributeError, match=f"{namespace}.{name} is not implemented in gradlab"):
        getattr(module, name)
    if hint:
        with pytest.raises(AttributeError, match=hint):
            getattr(module, name)
    assert not hasattr(module, name)


def test_names_pytorch_does_not_have_keep_pythons_message():
    with pytest.raises(AttributeError, match="module 'gradlab' has no attribute 'no_such_name'"):
        gradlab.no_such_name  # noqa: B018
    with pytest.raises(AttributeError, match="has no attribute '__wrapped__'"):
        gradlab.nn.__wrapped__  # noqa: B018
