"""Adadelta, Adamax, RAdam, LBFGS; ConstantLR, PolynomialLR, ChainedScheduler: trajectories
equal to torch's over many steps with the same weights and data."""

import numpy as np
import pytest

import gradlab
from gradlab import nn, optim
from gradlab.optim import lr_scheduler

torch = pytest.importorskip("torch")


def _pair(dtype=torch.float64):
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 1))
    theirs = theirs.to(dtype)
    ours = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 1)).to(
        np.float64 if dtype == torch.float64 else np.float32
    )
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def _data(dtype=np.float64):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((16, 4)).astype(dtype)
    return x, (np.sin(x.sum(axis=1, keepdims=True))).astype(dtype)


def _assert_same_weights(ours, theirs, rtol):
    ours_state = ours.state_dict()
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(np.asarray(ours_state[key]), value.detach().numpy(),
                                   rtol=rtol, atol=rtol, err_msg=key)  # fmt: skip


CASES = [
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "weight_decay": 0.01, "maximize": False}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1}),
    ("RAdam", {}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "maximize": True}),
]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("name, kwargs", CASES)
def test_trajectory_matches_torch(name, kwargs, dtype):
    ours, theirs = _pair(dtype)
    x, y = _data(np.float64 if dtype == torch.float64 else np.float32)
    opt_ours = getattr(optim, name)(ours.parameters(), **kwargs)
    opt_theirs = getattr(torch.optim, name)(theirs.parameters(), **kwargs)
    for _ in range(60):  # RAdam switches to the rectified update after step 5
        for model, opt, wrap in ((ours, opt_ours, gradlab.tensor),
                                 (theirs, opt_theirs, torch.tensor)):  # fmt: skip
            opt.zero_grad()
            loss = ((model(wrap(x)) - wrap(y)) ** 2).mean()
            loss.backward()
            opt.step()
    _assert_same_weights(ours, theirs, 1e-10 if dtype == torch.float64 else 2e-5)
    ours_state = opt_ours.state_dict()["state"][0]
    for key, value in opt_theirs.state_dict()["state"][0].items():
        expected = float(value) if key == "step" else value.numpy()
        np.testing.assert_allclose(np.asarray(ours_state[key]), expected, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", ["Adadelta", "Adamax", "RAdam"])
def test_bad_hyperparameters_raise(name):
    p = [gradlab.zeros(2, requires_grad=True)]
    with pytest.raises(ValueError):
        getattr(optim, name)(p, lr=-1.0)
    if name == "Adadelta":
        with pytest.raises(ValueError, match="Invalid rho value: 1.5"):
            optim.Adadelta(p, rho=1.5)
    else:
        with pytest.raises(ValueError, match="betas"):
            getattr(optim, name)(p, betas=(1.0, 0.9))


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("history_size", [100, 3])
def test_lbfgs_matches_torch_with_a_closure(line_search_fn, history_size):
    ours, theirs = _pair()
    x, y = _data()
    kwargs = {"lr": 0.5 if line_search_fn is None else 1.0, "max_iter": 8,
              "history_size": history_size, "line_search_fn": line_search_fn}  # fmt: skip
    opt_ours = optim.LBFGS(ours.parameters(), **kwargs)
    opt_theirs = torch.optim.LBFGS(theirs.parameters(), **kwargs)
    losses = {id(ours): [], id(theirs): []}
    for _ in range(5):
        for model, opt, wrap in ((ours, opt_ours, gradlab.tensor),
                                 (theirs, opt_theirs, torch.tensor)):  # fmt: skip

            def closure(model=model, opt=opt, wrap=wrap):
                opt.zero_grad()
                loss = ((model(wrap(x)) - wrap(y)) ** 2).mean()
                loss.backward()
                return loss

            losses[id(model)].append(opt.step(closure).item())
    np.testing.assert_allclose(losses[id(ours)], losses[id(theirs)], rtol=1e-9)
    _assert_same_weights(ours, theirs, 1e-8)
    state_theirs = opt_theirs.state_dict()["state"][0]
    state_ours = opt_ours.state_dict()["state"][0]
    assert state_ours["func_evals"] == state_theirs["func_evals"]
    assert state_ours["n_iter"] == state_theirs["n_iter"]
    assert losses[id(ours)][-1] < losses[id(ours)][0]


def test_lbfgs_refuses_groups_and_unknown_line_search():
    a, b = gradlab.zeros(2, requires_grad=True), gradlab.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        optim.LBFGS([{"params": [a]}, {"params": [b]}])
    with pytest.raises(ValueError, match="strong_wolfe"):
        optim.LBFGS([a], line_search_fn="armijo")


def _sched_pair(make):
    p_ours = [gradlab.zeros(1, requires_grad=True)]
    p_theirs = [torch.zeros(1, requires_grad=True)]
    opt_ours, opt_theirs = optim.SGD(p_ours, lr=0.1), torch.optim.SGD(p_theirs, lr=0.1)
    return make(lr_scheduler, opt_ours), make(torch.optim.lr_scheduler, opt_theirs)


SCHEDULES = {
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=4),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=7, power=2.0),
    "Chained": lambda m, o: m.ChainedScheduler(
        [m.ConstantLR(o, factor=0.5, total_iters=3), m.ExponentialLR(o, gamma=0.9)]
    ),
    "ChainedPoly": lambda m, o: m.ChainedScheduler(
        [m.LinearLR(o, start_factor=0.2, total_iters=4), m.PolynomialLR(o, 10, 0.5)], o
    ),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedules_match_torch(name):
    ours, theirs = _sched_pair(SCHEDULES[name])
    for step in range(15):
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12)
        if name in ("ConstantLR", "PolynomialLR"):
            assert ours.lr_at(step) == pytest.approx(theirs.get_last_lr()[0], rel=1e-12)
        ours.optimizer.step()
        theirs.optimizer.step()
        ours.step()
        theirs.step()


def test_chained_scheduler_state_dict_and_errors():
    ours, _ = _sched_pair(SCHEDULES["Chained"])
    for _ in range(3):
        ours.step()
    state = ours.state_dict()
    fresh, _ = _sched_pair(SCHEDULES["Chained"])
    fresh.load_state_dict(state)
    assert fresh._schedulers[1].last_epoch == ours._schedulers[1].last_epoch
    with pytest.raises(ValueError, match="expects at least one scheduler"):
        lr_scheduler.ChainedScheduler([])
    with pytest.raises(ValueError, match="Constant multiplicative factor"):
        _sched_pair(lambda m, o: m.ConstantLR(o, factor=2.0))
