"""Creation (new_*, *_like, logspace), random sampling, Python protocols, sizes and ``out=``
of the catalogue, against PyTorch where the result is deterministic."""

import warnings

import numpy as np
import pytest

import gradlab

torch = pytest.importorskip("torch")


def test_new_methods_keep_dtype_as_torch():
    for dtype in (np.float64, np.int64, np.float32):
        ours = gradlab.tensor(np.ones(2, dtype))
        theirs = torch.tensor(np.ones(2, dtype))
        for name, args in [
            ("new_zeros", (2, 3)),
            ("new_ones", ((3,),)),
            ("new_empty", (0, 2)),
            ("new_full", ((2, 2), 7)),
            ("new_tensor", ([1, 2, 3],)),
        ]:
            got, expected = getattr(ours, name)(*args), getattr(theirs, name)(*args)
            assert got.shape == tuple(expected.shape) and got.dtype == expected.numpy().dtype
            if name != "new_empty":
                np.testing.assert_array_equal(got.numpy(), expected.numpy())
    x = gradlab.tensor([1.0])
    t = x.new_zeros(2, dtype=gradlab.float64, requires_grad=True)
    assert t.dtype == np.float64 and t.requires_grad and t.is_leaf
    with pytest.warns(UserWarning, match="clone"):
        x.new_tensor(x)


def test_like_factories_and_logspace():
    x = gradlab.tensor(np.zeros((2, 3), np.float64))
    for fn in (gradlab.empty_like, gradlab.rand_like, gradlab.randn_like):
        out = fn(x)
        assert out.shape == (2, 3) and out.dtype == np.float64
    r = gradlab.rand_like(x, dtype=gradlab.float32, requires_grad=True)
    assert r.dtype == np.float32 and r.requires_grad and ((r.numpy() >= 0) & (r.numpy() < 1)).all()
    ints = gradlab.randint_like(gradlab.tensor([[1, 2]]), 3, 7)
    assert ints.dtype == np.int64 and ((ints.numpy() >= 3) & (ints.numpy() < 7)).all()
    with pytest.raises(RuntimeError):
        gradlab.rand_like(gradlab.tensor([1, 2]))
    for args, kwargs in [((0, 2, 5), {}), ((1, 3, 4), {"base": 2.0}), ((0, 1, 3), {})]:
        np.testing.assert_allclose(
            gradlab.logspace(*args, **kwargs).numpy(), torch.logspace(*args, **kwargs).numpy()
        )
    assert gradlab.logspace(0, 1, 3, dtype=gradlab.float64).dtype == np.float64
    with pytest.raises(RuntimeError, match="cannot use device .cuda."):
        gradlab.zeros_like(x) if False else gradlab.empty_like(x, device="cuda")
    gradlab.empty_like(x, device="cpu")


def test_random_functions_draw_from_the_explicit_generator():
    probs = gradlab.tensor([[0.1, 0.0, 0.6, 0.3], [1.0, 1.0, 0.0, 0.0]])
    for fn in (
        lambda g: gradlab.multinomial(probs, 2, generator=g),
        lambda g: probs.multinomial(50, replacement=True, generator=g),
        lambda g: gradlab.bernoulli(probs, generator=g),
        lambda g: gradlab.normal(probs, 2.0, generator=g),
        lambda g: gradlab.normal(0.0, 1.0, (3,), generator=g),
        lambda g: gradlab.poisson(probs * 3, generator=g),
    ):
        a = fn(np.random.default_rng(5))
        b = fn(np.random.default_rng(5))
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    gradlab.manual_seed(3)
    first = gradlab.multinomial(probs, 2)
    gradlab.manual_seed(3)
    np.testing.assert_array_equal(first.numpy(), gradlab.multinomial(probs, 2).numpy())


def test_random_distributions_and_dtypes():
    rng = np.random.default_rng(0)
    probs = gradlab.tensor([0.1, 0.0, 0.6, 0.3])
    draws = gradlab.multinomial(probs, 20000, replacement=True, generator=rng)
    assert draws.dtype == np.int64 and draws.shape == (20000,)
    np.testing.assert_allclose(np.bincount(draws.numpy(), minlength=4) / 20000,
                               [0.1, 0.0, 0.6, 0.3], atol=0.02)  # fmt: skip
    no_repeat = gradlab.multinomial(gradlab.tensor([[1.0, 1.0, 1.0, 0.0]] * 50), 3, generator=rng)
    assert all(sorted(row) == [0, 1, 2] for row in no_repeat.tolist())
    first = gradlab.multinomial(gradlab.tensor([[0.7, 0.2, 0.1]] * 4000), 1, generator=rng)
    np.testing.assert_allclose(np.bincount(first.numpy()[:, 0]) / 4000, [0.7, 0.2, 0.1], atol=0.03)
    coin = gradlab.bernoulli(gradlab.full((20000,), 0.25, dtype=gradlab.float64), generator=rng)
    assert coin.dtype == np.float64 and abs(coin.numpy().mean() - 0.25) < 0.02
    n = gradlab.normal(gradlab.tensor([0.0, 10.0]), gradlab.tensor([1.0, 0.0]), generator=rng)
    assert n.dtype == np.float32 and n[1].item() == 10.0
    assert gradlab.normal(2.0, 3.0, size=(2, 2)).dtype == np.float32
    for bad in (
        lambda: gradlab.multinomial(gradlab.tensor([1.0, -1.0]), 1),
        lambda: gradlab.multinomial(gradlab.tensor([0.0, 0.0]), 1),
        lambda: gradlab.multinomial(gradlab.tensor([1.0, 0.0]), 3),
        lambda: gradlab.multinomial(gradlab.tensor([1.0, 0.0, 0.0]), 2),
        lambda: gradlab.bernoulli(gradlab.tensor([1.5])),
        lambda: gradlab.normal(gradlab.tensor([0.0]), -1.0),
    ):
        with pytest.raises(RuntimeError):
            bad()


def test_python_protocols_match_torch():
    for values in ([1.5, -2.0], [[1, 2], [3, 4]], 3.25, 7):
        ours, theirs = gradlab.tensor(values), torch.tensor(values)
        assert len(ours.shape) == theirs.dim()
        assert ours.nelement() == theirs.nelement() and ours.numel() == theirs.numel()
        assert ours.element_size() == theirs.element_size()
        assert ours.nbytes == theirs.nbytes and ours.itemsize == theirs.itemsize
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
        if ours.ndim:
            assert len(ours) == len(theirs)
            assert [t.tolist() for t in ours] == [t.tolist() for t in theirs]
            assert [t.tolist() for t in reversed(ours)] == [t.tolist() for t in reversed(theirs)]
            assert (2 in ours) == (2 in theirs) and (1.5 in ours) == (1.5 in theirs)
            assert f"{ours}" == str(ours)
            with pytest.raises(TypeError):
                f"{ours:.2f}"
        else:
            assert f"{ours:.3f}" == f"{theirs:.3f}" and f"{ours:>8}" == f"{theirs:>8}"
            assert bool(ours) == bool(theirs)
    index = gradlab.tensor(2)
    assert [10, 20, 30][index] == 30 and list(range(5))[gradlab.tensor([1])] == 1
    for bad in (gradlab.tensor(1.0), gradlab.tensor([1, 2])):
        with pytest.raises(TypeError, match="only integer tensors"):
            [1, 2, 3][bad]
    with pytest.raises(RuntimeError, match="__contains__"):
        _ = "a" in gradlab.tensor([1.0])
    with pytest.raises(RuntimeError):
        bool(gradlab.tensor([1.0, 2.0]))
    with pytest.raises(TypeError):
        len(gradlab.tensor(1.0))
    with pytest.raises(TypeError):
        iter(gradlab.tensor(1.0))


def test_operators_on_integer_and_bool_tensors():
    a, b = [3, -7, 8], [2, 2, 3]
    for op in (
        lambda x, y: x & y,
        lambda x, y: x | y,
        lambda x, y: x ^ y,
        lambda x, y: ~x,
        lambda x, y: x // y,
        lambda x, y: x % y,
        lambda x, y: 7 // y,
        lambda x, y: 7 % y,
        lambda x, y: x << 1,
        lambda x, y: (x > 0) & (y > 2),
        lambda x, y: +x,
    ):
        got = op(gradlab.tensor(a), gradlab.tensor(b))
        expected = op(torch.tensor(a), torch.tensor(b))
        assert got.dtype == expected.numpy().dtype
        np.testing.assert_array_equal(got.numpy(), expected.numpy())
    x = gradlab.tensor([-3.5, 2.5], requires_grad=True)
    (x // 2).sum().backward()  # floor division: a zero gradient, as PyTorch
    np.testing.assert_array_equal(np.asarray(x.grad), [0.0, 0.0])
    np.testing.assert_allclose((x % 2).numpy(), (torch.tensor([-3.5, 2.5]) % 2).numpy())


def test_out_argument():
    x = gradlab.tensor([0.5, 1.0])
    out = gradlab.empty(2)
    result = gradlab.sin(x, out=out)
    assert result is out
    np.testing.assert_allclose(out.numpy(), np.sin([0.5, 1.0]).astype(np.float32))
    empty = gradlab.tensor([])
    gradlab.add(x, 1.0, out=empty)
    assert empty.shape == (2,) and empty.tolist() == [1.5, 2.0]
    values, indices = gradlab.empty(2), gradlab.zeros(2, dtype=gradlab.int64)
    result = gradlab.sort(gradlab.tensor([2.0, 1.0]), out=(values, indices))
    assert result.values is values and indices.tolist() == [1, 0]
    small = gradlab.zeros(1)
    with pytest.warns(UserWarning, match="resized"):
        gradlab.exp(x, out=small)
    assert small.shape == (2,)
    with pytest.raises(RuntimeError, match="can't be cast"):
        gradlab.sin(x, out=gradlab.zeros(2, dtype=gradlab.int64))
    with pytest.raises(RuntimeError, match="automatic differentiation"):
        gradlab.sin(gradlab.tensor([1.0], requires_grad=True), out=gradlab.zeros(1))
    with gradlab.no_grad():
        gradlab.sin(gradlab.tensor([1.0], requires_grad=True), out=gradlab.zeros(1))
    with pytest.raises(TypeError):
        x.sin(out=out)  # methods take no out=, as PyTorch's
    theirs = torch.empty(2)
    torch.cumsum(torch.tensor([1.0, 2.0]), 0, out=theirs)
    ours = gradlab.empty(2)
    gradlab.cumsum(gradlab.tensor([1.0, 2.0]), 0, out=ours)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_methods_exist_where_torch_has_them():
    """Every catalogue name that torch has as a Tensor method is a gradlab Tensor method."""
    from gradlab.ops import catalogue

    missing = [
        name
        for name in catalogue.torch_functions()
        if hasattr(torch.Tensor, name) and not hasattr(gradlab.Tensor, name)
    ]
    assert not missing, missing
    not_in_torch = [name for name in catalogue.torch_functions() if not hasattr(torch, name)]
    assert not not_in_torch, not_in_torch


def test_no_warnings_from_ordinary_calls():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = gradlab.tensor([[0.5, 1.0], [2.0, -1.0]], requires_grad=True)
        (x.norm() + x.std() + x.median() + x.erfinv().sum() * 0).backward()
