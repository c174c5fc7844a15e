"""The op suite on the guard device (arrays that refuse implicit conversion to NumPy, as
CuPy's do): every op that leaks to the host, or makes a host array beside a device one,
fails here. Values and gradients must equal the CPU's.

The cases are the op tests' own tables (every op gradlab binds, as the catalogue tests
list them) and the in-place tables; layers, losses and optimizers are in
test_guard_device_training.py. Each runs inside ``with gradlab.device("guard"):``, so the
constants a case makes (``L.tensor([0, 2])``) are made there too, as with
``torch.device("cuda")``.
:func:`test_every_op_ran_on_the_guard_device` checks that every primitive op class ran.
"""

import importlib
import importlib.util
import inspect
import pkgutil
import sys
from pathlib import Path

import numpy as np
import pytest
from opcheck import _as_tuple, draw

import gradlab
from gradlab import Tensor, autograd
from gradlab.autograd import Function

TESTS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TESTS))
from test_guard_device_training import LAYERS, _layer_step  # noqa: E402

import guard_device  # noqa: E402
from guard_device import host as _host  # noqa: E402
from guard_device import on as _where  # noqa: E402
from guard_device import same as _same  # noqa: E402
from guard_device import weighted_sum as _weighted_sum  # noqa: E402

CASE_MODULES = (
    "test_elementwise", "test_reduce", "test_movement", "test_linalg", "test_catalogue_math",
    "test_catalogue_numeric", "test_catalogue_reductions", "test_catalogue_indexing",
    "test_linalg_special_namespaces",
)  # fmt: skip


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CASES = [
    (f"{module.removeprefix('test_')}:{case[0]}", *case[1:])
    for module in CASE_MODULES
    for case in importlib.import_module(module).CASES
]
ACTIVATIONS = [
    (name, ours)
    for name, (ours, _) in _load(TESTS / "nn" / "test_activations.py", "_guard_act").CASES.items()
]
_INPLACE = _load(TESTS / "test_inplace.py", "_guard_inplace")
_INPLACE_CATALOGUE = importlib.import_module("test_inplace_catalogue")
_INPLACE_SHAPE = _load(TESTS / "test_inplace_shape.py", "_guard_inplace_shape")

# ops/ files whose move to the device model is another piece of work (the fused and native
# layers' reference paths: conv, pooling, recurrent, cross-entropy; the BLAS bindings).
ELSEWHERE = {
    "recurrent", "lstm", "conv", "conv_block", "pool", "blas", "workspace", "sequence_gemms",
    "losses", "cross_entropy",
}  # fmt: skip
CPU_ONLY = {"linear.LinearReluOp"}  # Sequential's fusion, taken on the CPU only


@pytest.fixture(scope="module", autouse=True)
def guard():
    guard_device.install()
    yield
    guard_device.uninstall()


def _run(fn, arrays, on_guard):
    with _where(on_guard):
        leaves = [gradlab.tensor(a, requires_grad=True) for a in arrays]
        outs = [o for o in _as_tuple(fn(gradlab, *leaves)) if o.dtype.kind == "f"]
        total = _weighted_sum(outs)
        if total is not None and total.requires_grad:
            total.backward()
    return [_host(o) for o in outs], [_host(t.grad) for t in leaves]


@pytest.mark.parametrize("name, fn, shapes, domain", CASES, ids=[c[0] for c in CASES])
def test_op_runs_on_guard_device_as_on_cpu(name, fn, shapes, domain):
    arrays = draw(shapes, domain)
    cpu_values, cpu_grads = _run(fn, arrays, on_guard=False)
    values, grads = _run(fn, arrays, on_guard=True)
    _same(values, cpu_values)
    _same(grads, cpu_grads)


@pytest.mark.parametrize("name, op", ACTIVATIONS, ids=[n for n, _ in ACTIVATIONS])
def test_activation_runs_on_guard_device_as_on_cpu(name, op):
    arrays = draw([(3, 5)], "nz")
    cpu = _run(lambda L, x: op(x), arrays, on_guard=False)
    _same(_run(lambda L, x: op(x), arrays, on_guard=True), cpu)


# ---------------------------------------------------------------------- in-place ops


def _run_inplace(name, on_guard, requires_grad):
    """tests/test_inplace.py's case ``name`` on a non-leaf (or a plain tensor)."""
    with _where(on_guard):
        x = gradlab.tensor(_INPLACE.X, requires_grad=requires_grad)
        other = gradlab.tensor(_INPLACE.OTHER, requires_grad=requires_grad)
        y = x * 1.0
        result = _INPLACE.CASES[name](y, other, gradlab)
        out = y if result is None else result
        if requires_grad:
            (y * gradlab.tensor(_INPLACE.WEIGHTS)).sum().backward()
    return [_host(out), _host(x.grad), _host(other.grad)]


@pytest.mark.parametrize("name", list(_INPLACE.CASES))
def test_inplace_runs_on_guard_device_as_on_cpu(name):
    for requires_grad in (False, True):
        want = _run_inplace(name, False, requires_grad)
        _same(_run_inplace(name, True, requires_grad), want)


def _run_inplace_catalogue(name, args, on_guard):
    with _where(on_guard):
        leaf = gradlab.tensor(_INPLACE_CATALOGUE.X, requires_grad=True)
        t = leaf * 1.0
        getattr(t, name)(*args(gradlab))
        (t * gradlab.tensor(_INPLACE_CATALOGUE.Y)).sum().backward()
    return [_host(t), _host(leaf.grad)]


@pytest.mark.parametrize(
    "name, args", _INPLACE_CATALOGUE.CASES, ids=[c[0] for c in _INPLACE_CATALOGUE.CASES]
)
def test_inplace_catalogue_runs_on_guard_device_as_on_cpu(name, args):
    want = _run_inplace_catalogue(name, args, False)
    _same(_run_inplace_catalogue(name, args, True), want)


def _run_inplace_shape(name, on_guard):
    shape, call = _INPLACE_SHAPE.CASES[name]
    with _where(on_guard):
        leaf = gradlab.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
        t = call(leaf * 1.0)
        _weighted_sum([t]).backward()
    return [_host(t), _host(leaf.grad)]


@pytest.mark.parametrize("name", list(_INPLACE_SHAPE.CASES))
def test_inplace_shape_runs_on_guard_device_as_on_cpu(name):
    _same(_run_inplace_shape(name, True), _run_inplace_shape(name, False))


# Ops with integer or bool results, and random sampling (seeded): no gradient, same values.
_I = [[1, 0, 3], [2, 2, 0]]
NON_FLOAT = {
    "searchsorted": lambda L: L.searchsorted(L.tensor([1, 3, 5, 7]), L.tensor([[3, 6], [0, 9]])),
    "searchsorted_rows": lambda L: L.searchsorted(
        L.tensor([[1, 3], [2, 4]]), L.tensor([[2], [5]]), side="right"
    ),
    "bucketize": lambda L: L.bucketize(L.tensor([0.5, 3.0, 9.0]), L.tensor([1.0, 3.0, 5.0])),
    "isin": lambda L: L.isin(L.tensor([1, 2, 3]), L.tensor([2, 5])),
    "heaviside": lambda L: L.heaviside(L.tensor([-1.0, 0.0, 2.0]), L.tensor([0.5])),
    "gcd_lcm": lambda L: (L.gcd(L.tensor([12, 9]), L.tensor([8, 6])), L.lcm(L.tensor([4, 9]), 6)),
    "nextafter": lambda L: L.nextafter(L.tensor([1.0]), L.tensor([2.0])),
    "int_reductions": lambda L: (
        L.tensor(_I).sum(),
        L.tensor(_I).prod(1),
        L.tensor(_I).cumsum(0),
        L.count_nonzero(L.tensor(_I), dim=0),
        L.tensor(_I).all(1),
        L.any(L.tensor(_I) > 2),
        L.tensor(_I).argmax(),
        L.tensor(_I).argmin(1, keepdim=True),
    ),  # fmt: skip
    "int_sort_median_max": lambda L: (
        L.tensor(_I).sort(1).values,
        L.tensor(_I).median(),
        L.tensor(_I).max(1).indices,
    ),  # fmt: skip
    "bincount_unique": lambda L: (
        L.bincount(L.tensor([0, 1, 1, 4]), weights=L.tensor([0.5, 1.0, 2.0, 3.0]), minlength=6),
        *L.unique(L.tensor(_I), return_inverse=True, return_counts=True),
        *L.unique_consecutive(L.tensor([1, 1, 2, 2, 1]), return_counts=True),
    ),
    "histc_histogram": lambda L: (
        L.histc(L.tensor([0.5, 1.5, 1.7, 2.9, 3.0, -1.0]), bins=4, min=0, max=3),
        *L.histogram(L.tensor([0.5, 1.5, 1.7, 2.9]), bins=3, range=(0.0, 3.0)),
    ),
    "bitwise_logical": lambda L: (
        L.tensor([5, 3]) & L.tensor([3, 1]),
        L.tensor([5, 3]) | 2,
        1 ^ L.tensor([5, 3]),
        ~L.tensor([5, 3]),
        L.tensor([5, 3]) << 1,
        L.bitwise_xor(L.tensor([5]), L.tensor([1])),
        L.logical_and(L.tensor([1, 0]), L.tensor([1, 1])),
        L.logical_not(L.tensor([0.0, 2.0])),
    ),  # fmt: skip
    "tests": lambda L: (
        L.isinf(L.tensor([1.0, float("inf")])),
        L.isnan(L.tensor([float("nan"), 1.0])),
        L.isclose(L.tensor([1.0, 2.0]), L.tensor([1.0, 2.1])),
        L.tensor([1, 2]) == 2,
        L.tensor([1.0, 2.0]) < L.tensor([2.0, 2.0]),
    ),  # fmt: skip
    "index_results": lambda L: (
        L.nonzero(L.tensor(_I)),
        L.argwhere(L.tensor(_I)),
        *L.nonzero(L.tensor(_I), as_tuple=True),
        L.tensor([3.0, 1.0, 2.0]).argsort(),
        L.tensor([[3.0, 1.0, 2.0]]).topk(2).indices,
        L.tensor([3.0, 1.0, 2.0]).kthvalue(2).indices,
        L.tensor([1, 2, 2, 3]).mode().values,
    ),  # fmt: skip
    "integer_division": lambda L: (
        L.tensor([7, -7]) // L.tensor([2, 2]),
        L.tensor([7, -7]) % 3,
        L.div(L.tensor([7, -7]), 2, rounding_mode="trunc"),
        L.fmod(L.tensor([7, -7]), 3),
        L.remainder(L.tensor([7, -7]), L.tensor([3, 3])),
    ),  # fmt: skip
    "factories": lambda L: (
        L.tril_indices(3, 3),
        L.triu_indices(3, 4, 1),
        L.arange(5),
        L.eye(2, 3),
        L.full((2,), 7),
        L.zeros(2, 3).new_ones(2),
        L.ones(2).new_tensor([1, 2]),
        L.empty_like(L.ones(2)) * 0,
        L.logspace(0, 2, 3),
        L.linspace(0, 1, 5),
        L.ones_like(L.zeros(2, dtype=L.int64)),
    ),  # fmt: skip
    "random": lambda L: (
        L.manual_seed(3) and None,
        L.rand(3),
        L.randn(2, 2),
        L.randint(0, 9, (4,)),
        L.randperm(5),
        L.rand_like(L.ones(2)),
        L.randn_like(L.ones(2)),
        L.multinomial(L.tensor([0.2, 0.0, 0.8]), 4, replacement=True),
        L.multinomial(L.tensor([[0.2, 0.5, 0.3]]), 2),
        L.bernoulli(L.tensor([0.3, 0.9])),
        L.poisson(L.tensor([1.0, 4.0])),
        L.normal(L.tensor([0.0, 5.0]), 1.0),
        L.normal(0.0, 1.0, (2,)),
        L.ones(3).uniform_(),
        L.ones(3).normal_(),
    ),  # fmt: skip
}


def _run_non_float(fn, on_guard):
    with _where(on_guard):
        outs = [o for o in _as_tuple(fn(gradlab)) if o is not None]
        assert all(o.device.type == ("guard" if on_guard else "cpu") for o in outs)
    return [_host(o) for o in outs], [o.dtype for o in outs]


@pytest.mark.parametrize("name", NON_FLOAT)
def test_non_float_ops_run_on_guard_device_as_on_cpu(name):
    values, dtypes = _run_non_float(NON_FLOAT[name], True)
    cpu_values, cpu_dtypes = _run_non_float(NON_FLOAT[name], False)
    assert dtypes == cpu_dtypes
    for got, want in zip(values, cpu_values, strict=True):
        np.testing.assert_array_equal(got, want)


class _ScaledExp(gradlab.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        y = (x * k).exp()
        ctx.save_for_backward(y)
        ctx.k = k
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y * ctx.k, None


class _SplitTwo(gradlab.autograd.Function):
    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x * w, x + w

    @staticmethod
    def backward(ctx, g1, g2):
        x, w = ctx.saved_tensors
        return g1 * w + g2, g1 * x + g2


def _autograd_api(on_guard):
    """autograd.grad (with grad_outputs as lists, unused inputs materialized), backward with
    inputs=, tensor hooks (one returning a list), ctx-style Functions of one and two outputs."""
    with _where(on_guard):
        x = gradlab.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
        w = gradlab.tensor([1.5, -0.5], requires_grad=True)
        unused = gradlab.tensor([1.0], requires_grad=True)
        y = (x * w).tanh()
        gx, gw, gu = gradlab.autograd.grad(
            [y.sum(), (y * y)], [x, w, unused], grad_outputs=[None, [[1.0, 2.0], [3.0, 4.0]]],
            retain_graph=True, allow_unused=True, materialize_grads=True,
        )  # fmt: skip
        h = x * 2
        h.register_hook(lambda g: [[1.0, 1.0], [1.0, 1.0]])
        x.register_hook(lambda g: g * 3)
        gradlab.autograd.backward([(h * w).sum(), y.sum()], inputs=[x, w])
        e = _ScaledExp.apply(x, 0.5)
        a, b = _SplitTwo.apply(x, w)
        (e.sum() + (a * b).sum()).backward()
        (x * 1.0).backward([[1.0, 2.0], [0.5, 0.0]])  # a gradient given as a list
        w.grad = [0.25, 0.5]  # and a .grad set from a list
    return [_host(t) for t in (gx, gw, gu, x.grad, w.grad, e, a, b)]


def test_autograd_api_runs_on_guard_device_as_on_cpu():
    _same(_autograd_api(True), _autograd_api(False))


def _decompositions(on_guard):
    """The linalg decompositions (and the step activation), forward and backward."""
    rng = np.random.default_rng(3)
    a = rng.standard_normal((3, 3))
    spd = a @ a.T + 3 * np.eye(3)
    linalg = gradlab.linalg
    with _where(on_guard):
        x = gradlab.tensor(a, requires_grad=True)
        s = gradlab.tensor(spd, requires_grad=True)
        outs = [
            linalg.cholesky(s), linalg.eigh(s)[0], linalg.qr(x)[1], linalg.svdvals(x),
            linalg.pinv(x), linalg.slogdet(x)[1], linalg.solve(s, x), linalg.svd(x)[1],
            gradlab.nn.functional.step(x) if hasattr(gradlab.nn.functional, "step")
            else gradlab.nn.step(x),
        ]  # fmt: skip
        _weighted_sum(outs).backward()
        values = linalg.eigvals(s if on_guard else s.detach())  # complex: forward only
    return [_host(t) for t in outs] + [_host(x.grad), _host(s.grad), _host(values)]


def test_decompositions_run_on_guard_device_as_on_cpu():
    _same(_decompositions(True), _decompositions(False))


def _higher_order(on_guard):
    """A second derivative through advanced indexing and a max along a dim (create_graph)."""
    with _where(on_guard):
        x = gradlab.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]], requires_grad=True)
        y = (x[[0, 0, 1]] ** 3).sum() + (x.max(dim=1).values ** 3).sum()
        (g,) = gradlab.autograd.grad(y, x, create_graph=True)
        (g * g).sum().backward()
    return [_host(g), _host(x.grad)]


def test_second_derivatives_on_guard_device_as_on_cpu():
    _same(_higher_order(True), _higher_order(False))


def test_guard_device_refuses_implicit_conversion():
    t = Tensor(guard_device.from_host(np.ones(3)))
    assert t.device.type == "guard"
    with pytest.raises(guard_device.LeakError):
        np.asarray(t._data)
    with pytest.raises(TypeError, match="can't convert guard device type tensor to numpy"):
        t.numpy()
    with pytest.raises(guard_device.LeakError):
        t._data + np.ones(3)
    assert t.cpu().device.type == "cpu" and t.cpu().tolist() == [1.0, 1.0, 1.0]
    assert gradlab.zeros(2, device="guard").device.type == "guard"
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    y = x.to("guard")
    (y * y).sum().backward()
    assert x.grad.device.type == "cpu" and x.grad.tolist() == [2.0, 4.0]


def test_default_device_as_torch():
    assert gradlab.get_default_device() == gradlab.device("cpu")
    with gradlab.device("guard"):
        assert gradlab.get_default_device().type == "guard"
        assert gradlab.tensor([1.0]).device.type == "guard"
        assert gradlab.randn(2).device.type == "guard"
        assert gradlab.arange(3).device.type == "guard"
        with gradlab.device("cpu"):
            assert gradlab.ones(2).device.type == "cpu"
        assert gradlab.ones(2).device.type == "guard"
        assert gradlab.zeros(2, device="cpu").device.type == "cpu"
    assert gradlab.ones(2).device.type == "cpu"
    gradlab.set_default_device("guard")
    try:
        assert gradlab.empty(1).device.type == "guard"
    finally:
        gradlab.set_default_device(None)
    assert gradlab.empty(1).device.type == "cpu"
    with pytest.raises(RuntimeError, match="cannot use device 'cuda'"):
        gradlab.set_default_device("cuda")
    assert gradlab.empty(1).device.type == "cpu"


# ---------------------------------------------------------------------- coverage


def _op_classes():
    """Every primitive op class (a Function subclass) of gradlab.ops, but ELSEWHERE's."""
    import gradlab.ops as ops

    classes = {}
    for info in pkgutil.iter_modules(ops.__path__):
        if info.name in ELSEWHERE:
            continue
        module = importlib.import_module(f"gradlab.ops.{info.name}")
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, Function)
                and value.__module__ == module.__name__
                and not name.startswith("_")
                # ctx-style ops (static forward(ctx, ...), the decompositions): compared on
                # the guard device by test_decompositions_run_on_guard_device_as_on_cpu
                and not isinstance(inspect.getattr_static(value, "forward"), staticmethod)
            ):
                classes[value] = f"{info.name}.{name}"
    return classes


def test_every_op_ran_on_the_guard_device(monkeypatch):
    """Runs every table above on the guard device and records each op class whose output
    was a guard array: every primitive op of gradlab.ops must be among them."""
    ran = set()
    output = autograd._output

    def recording(out, fn, inputs, track):
        outs = out if isinstance(out, tuple) else (out,)  # multi-output ops give a tuple
        if any(isinstance(o, guard_device.GuardArray) for o in outs):
            ran.add(type(fn))
        return output(out, fn, inputs, track)

    monkeypatch.setattr(autograd, "_output", recording)
    for _, fn, shapes, domain in CASES:
        _run(fn, draw(shapes, domain), on_guard=True)
    for _, op in ACTIVATIONS:
        _run(lambda L, x, op=op: op(x), draw([(3, 5)], "nz"), on_guard=True)
    for name in _INPLACE.CASES:
        _run_inplace(name, True, True)
    for name, args in _INPLACE_CATALOGUE.CASES:
        _run_inplace_catalogue(name, args, True)
    for name in _INPLACE_SHAPE.CASES:
        _run_inplace_shape(name, True)
    _autograd_api(True)
    _decompositions(True)
    _higher_order(True)
    for make, shape in LAYERS.values():
        _layer_step(make, shape, True)
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    (x.to("guard") * 2).sum().backward()  # ToDevice
    with gradlab.device("guard"):  # conv_transpose2d's own op (its conv path is elsewhere)
        gradlab.nn.functional.conv_transpose2d(
            gradlab.randn(1, 2, 3, 3, requires_grad=True), gradlab.randn(2, 1, 2, 2)
        ).sum().backward()
    missing = sorted(
        name for cls, name in _op_classes().items() if cls not in ran and name not in CPU_ONLY
    )
    assert missing == [], " ".join(missing)
