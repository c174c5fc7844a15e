"""Optimizers against PyTorch: 50-step trajectories of a small tanh MLP in float64."""

import numpy as np
import pytest

import gradlab
from gradlab import optim

torch = pytest.importorskip("torch")

SHAPES = [(3, 6), (6,), (6, 2), (2,)]
RTOL = 1e-6


def _init():
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal(s) * 0.7 for s in SHAPES]
    x = rng.standard_normal((8, 3))
    y = rng.standard_normal((8, 2))
    return weights, x, y


def _gl_loss(params, x, y):
    w1, b1, w2, b2 = params
    out = ((gradlab.Tensor(x) @ w1 + b1).tanh()) @ w2 + b2
    return ((out - gradlab.Tensor(y)) ** 2).mean()


def _torch_loss(params, x, y):
    w1, b1, w2, b2 = params
    out = torch.tanh(torch.from_numpy(x) @ w1 + b1) @ w2 + b2
    return ((out - torch.from_numpy(y)) ** 2).mean()


def _make(weights):
    gl = [gradlab.Tensor(w.copy(), requires_grad=True) for w in weights]
    th = [torch.tensor(w.copy(), requires_grad=True) for w in weights]
    return gl, th


def _run(gl_cls, th_cls, kwargs, steps=50, reload_at=None, groups=None):
    weights, x, y = _init()
    gl, th = _make(weights)
    if groups is None:
        gl_opt, th_opt = gl_cls(gl, **kwargs), th_cls(th, **kwargs)
    else:
        gl_opt = gl_cls([dict(g, params=[gl[i] for i in idx]) for idx, g in groups], **kwargs)
        th_opt = th_cls([dict(g, params=[th[i] for i in idx]) for idx, g in groups], **kwargs)
    # maximize ascends -loss: the same stable descent (ascending the loss itself diverges
    # chaotically, amplifying 1e-16 rounding differences past any tolerance)
    sign = -1.0 if kwargs.get("maximize") else 1.0
    for step in range(steps):
        gl_opt.zero_grad()
        (_gl_loss(gl, x, y) * sign).backward()
        gl_opt.step()
        th_opt.zero_grad()
        (_torch_loss(th, x, y) * sign).backward()
        th_opt.step()
        for a, b in zip(gl, th):
            np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=RTOL, atol=1e-12)
        if step == reload_at:
            saved = gl_opt.state_dict()
            fresh = gl_cls(gl, **kwargs)
            fresh.load_state_dict(saved)
            gl_opt = fresh
    return gl_opt


CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "maximize": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.02, "initial_accumulator_value": 0.1}),  # noqa: E501
    ("Adagrad", {"lr": 0.05, "maximize": True, "eps": 1e-6}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "amsgrad": True, "weight_decay": 0.05}),
    ("Adam", {"lr": 0.01, "maximize": True, "eps": 1e-4}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("NAdam", {"lr": 0.01}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.05, "momentum_decay": 0.01}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.05, "decoupled_weight_decay": True}),
    ("NAdam", {"lr": 0.01, "maximize": True}),
]  # fmt: skip


@pytest.fixture(autouse=True)
def _float64_torch():
    # PyTorch keeps NAdam's mu_product in the default dtype; float64 makes it exact.
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_trajectory_matches_torch(name, kwargs):
    _run(getattr(optim, name), getattr(torch.optim, name), kwargs)


@pytest.mark.parametrize(
    "name,kwargs", [c for c in CASES if c[0] != "SGD" or "momentum" in c[1]][::2]
)
def test_state_dict_round_trip_mid_run(name, kwargs):
    opt = _run(getattr(optim, name), getattr(torch.optim, name), kwargs, reload_at=24)
    state = opt.state_dict()
    for values in state["state"].values():
        for v in values.values():
            assert isinstance(v, (np.ndarray, float, int))
    for group in state["param_groups"]:
        assert all(isinstance(i, int) for i in group["params"])


def test_load_state_dict_copies_arrays():
    weights, x, y = _init()
    gl, _ = _make(weights)
    opt = optim.Adam(gl, lr=0.01)
    _gl_loss(gl, x, y).backward()
    opt.step()
    saved = opt.state_dict()
    fresh = optim.Adam(gl, lr=0.01)
    fresh.load_state_dict(saved)
    assert fresh.state[gl[0]]["exp_avg"] is not opt.state[gl[0]]["exp_avg"]
    np.testing.assert_array_equal(fresh.state[gl[0]]["exp_avg"], opt.state[gl[0]]["exp_avg"])
    assert fresh.state[gl[0]]["step"] == 1.0


def test_load_torch_state_dict():
    weights, x, y = _init()
    gl, th = _make(weights)
    th_opt = torch.optim.Adam(th, lr=0.01)
    _torch_loss(th, x, y).backward()
    th_opt.step()
    opt = optim.Adam(gl, lr=0.5)
    opt.load_state_dict(th_opt.state_dict())
    assert opt.param_groups[0]["lr"] == 0.01
    assert opt.state[gl[2]]["step"] == 1.0
    np.testing.assert_allclose(opt.state[gl[2]]["exp_avg_sq"], th_opt.state[th[2]]["exp_avg_sq"])


def test_param_groups_with_different_lrs():
    groups = [([0, 1], {"lr": 0.1}), ([2, 3], {"lr": 0.01, "momentum": 0.5})]
    opt = _run(optim.SGD, torch.optim.SGD, {"lr": 0.03, "momentum": 0.9}, groups=groups)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    assert opt.param_groups[0]["momentum"] == 0.9
    assert opt.state_dict()["param_groups"][1]["params"] == [2, 3]


def test_add_param_group_and_duplicates():
    a = gradlab.Tensor(np.ones(3), requires_grad=True)
    b = gradlab.Tensor(np.ones(2), requires_grad=True)
    opt = optim.SGD([a], lr=0.1)
    opt.add_param_group({"params": b, "lr": 0.5})
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["momentum"] == 0
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})


def test_named_parameters_and_repr():
    a = gradlab.Tensor(np.ones(3), requires_grad=True)
    opt = optim.Adam([("w", a)])
    assert opt.param_groups[0]["param_names"] == ["w"]
    assert "Parameter Group 0" in repr(opt) and "lr: 0.001" in repr(opt)


def test_zero_grad_and_closure():
    weights, x, y = _init()
    gl, _ = _make(weights)
    opt = optim.SGD(gl, lr=0.1)
    calls = []

    def closure():
        opt.zero_grad()
        loss = _gl_loss(gl, x, y)
        loss.backward()
        calls.append(gradlab.is_grad_enabled())
        return loss

    with gradlab.no_grad():
        loss = opt.step(closure)
    assert calls == [True] and loss.item() > 0
    opt.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in gl)
    opt.zero_grad()
    assert all(p.grad is None for p in gl)


def test_params_without_grad_are_skipped_and_grad_untouched():
    a = gradlab.Tensor(np.ones(3), requires_grad=True)
    b = gradlab.Tensor(np.ones(3), requires_grad=True)
    a.grad = np.array([1.0, 2.0, 3.0])
    opt = optim.SGD([a, b], lr=0.1, momentum=0.9, weight_decay=0.1, maximize=True)
    opt.step()
    np.testing.assert_allclose(a.grad, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(b.numpy(), 1.0)
    assert b not in opt.state


def test_adagrad_notes_example():
    # 003: eta 0.1, w = (0.5, -0.3), b = 0.1, g = (0.2, -0.4, 0.1) -> w = (0.4, -0.2), b = 0.0
    w = gradlab.Tensor(np.array([0.5, -0.3]), requires_grad=True)
    b = gradlab.Tensor(np.array(0.1), requires_grad=True)
    w.grad, b.grad = np.array([0.2, -0.4]), np.array(0.1)
    optim.Adagrad([w, b], lr=0.1).step()
    np.testing.assert_allclose(w.numpy(), [0.4, -0.2], atol=1e-9)
    np.testing.assert_allclose(b.numpy(), 0.0, atol=1e-9)


def test_float32_params_stay_float32():
    p = gradlab.Tensor(np.ones(4, dtype=np.float32), requires_grad=True)
    p.grad = np.full(4, 0.5, dtype=np.float32)
    data = p.numpy()
    opt = optim.Adam([p], lr=0.1)
    opt.step()
    assert p.numpy() is data and p.numpy().dtype == np.float32
    assert opt.state[p]["exp_avg"].dtype == np.float32


BAD = [
    (optim.SGD, {"lr": -0.1}, "lr must be >= 0, got -0.1"),
    (optim.SGD, {"momentum": -0.5}, "momentum must be >= 0, got -0.5"),
    (optim.SGD, {"weight_decay": -1}, "weight_decay must be >= 0, got -1"),
    (optim.SGD, {"nesterov": True}, "nesterov=True requires momentum > 0.*momentum=0"),
    (optim.SGD, {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "dampening=0.1"),
    (optim.Adam, {"lr": -1e-3}, "lr must be >= 0, got -0.001"),
    (optim.Adam, {"betas": (1.0, 0.999)}, r"betas\[0\] must be in \[0, 1\), got 1.0"),
    (optim.Adam, {"betas": (0.9, -0.1)}, r"betas\[1\] must be in \[0, 1\), got -0.1"),
    (optim.Adam, {"eps": -1e-8}, "eps must be >= 0, got -1e-08"),
    (optim.Adam, {"weight_decay": -0.1}, "weight_decay must be >= 0"),
    (optim.AdamW, {"betas": (0.9, 1.5)}, r"AdamW: betas\[1\]"),
    (optim.NAdam, {"betas": (-0.1, 0.9)}, r"betas\[0\]"),
    (optim.NAdam, {"momentum_decay": -1}, "momentum_decay must be >= 0, got -1"),
    (optim.NAdam, {"eps": -1}, "eps must be >= 0"),
    (optim.Adagrad, {"lr_decay": -1}, "lr_decay must be >= 0, got -1"),
    (optim.Adagrad, {"eps": -1}, "eps must be >= 0"),
    (optim.Adagrad, {"initial_accumulator_value": -1}, "initial_accumulator_value"),
    (optim.RMSprop, {"alpha": -1}, "alpha must be >= 0, got -1"),
    (optim.RMSprop, {"eps": -1}, "eps must be >= 0"),
    (optim.RMSprop, {"momentum": -1}, "momentum must be >= 0"),
]


@pytest.mark.parametrize("cls,kwargs,message", BAD)
def test_bad_hyperparameters(cls, kwargs, message):
    p = gradlab.Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match=message):
        cls([p], **kwargs)


@pytest.mark.parametrize(
    "cls", [optim.SGD, optim.Adam, optim.AdamW, optim.NAdam, optim.Adagrad, optim.RMSprop]
)
def test_empty_parameter_list(cls):
    with pytest.raises(ValueError, match=r"params is an empty parameter list \(\[\]\)"):
        cls([])


def test_bad_params():
    p = gradlab.Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(p)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2])
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.SGD([np.ones(2)])
    opt = optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="2 parameter groups, this optimizer has 1"):
        opt.load_state_dict({"state": {}, "param_groups": [{"params": [0]}, {"params": [1]}]})
