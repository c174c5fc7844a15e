"""Learning-rate schedules against PyTorch's, over 300 steps; closed forms; windows."""

import math

import numpy as np
import pytest

import gradlab
from gradlab import optim
from gradlab.optim import lr_scheduler as gls

torch = pytest.importorskip("torch")
tls = torch.optim.lr_scheduler

STEPS = 300


def _pair(opt_name="SGD", groups=1, **opt_kwargs):
    gl_params = [gradlab.Tensor(np.zeros(2), requires_grad=True) for _ in range(groups)]
    th_params = [torch.zeros(2, requires_grad=True) for _ in range(groups)]
    lrs = [0.1 * (i + 1) for i in range(groups)]
    gl = getattr(optim, opt_name)(
        [{"params": [p], "lr": lr} for p, lr in zip(gl_params, lrs)], **opt_kwargs
    )
    th = getattr(torch.optim, opt_name)(
        [{"params": [p], "lr": lr} for p, lr in zip(th_params, lrs)], **opt_kwargs
    )
    return gl, th


def _momentum(opt):
    g = opt.param_groups[0]
    return g["betas"][0] if "betas" in g else g["momentum"]


def _compare(make, opt_name="SGD", groups=1, metrics=None, cycles=False, **opt_kwargs):
    gl_opt, th_opt = _pair(opt_name, groups, **opt_kwargs)
    gl, th = make(gls, gl_opt), make(tls, th_opt)
    gl_lrs, th_lrs, gl_m, th_m = [], [], [], []
    for t in range(STEPS):
        gl_lrs.append([g["lr"] for g in gl_opt.param_groups])
        th_lrs.append([g["lr"] for g in th_opt.param_groups])
        assert gl.get_last_lr() == pytest.approx(th.get_last_lr(), rel=1e-12)
        if cycles:
            gl_m.append(_momentum(gl_opt))
            th_m.append(_momentum(th_opt))
        th_opt.step()
        gl_opt.step()
        if metrics is None:
            gl.step()
            th.step()
        else:
            gl.step(metrics[t])
            th.step(metrics[t])
    np.testing.assert_allclose(gl_lrs, th_lrs, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gl_m, th_m, rtol=1e-12)
    return gl, gl_lrs


CASES = {
    "lambda": lambda m, o: m.LambdaLR(o, lambda e: 0.97**e + 0.01 * (e % 7)),
    "step": lambda m, o: m.StepLR(o, step_size=30, gamma=0.5),
    "multistep": lambda m, o: m.MultiStepLR(o, milestones=[40, 90, 90, 200], gamma=0.3),
    "exponential": lambda m, o: m.ExponentialLR(o, gamma=math.exp(-0.05)),
    "linear": lambda m, o: m.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=40),
    "cosine": lambda m, o: m.CosineAnnealingLR(o, T_max=70, eta_min=0.001),
    "warm_restarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2, eta_min=0.001),
    "warm_restarts_1": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=17),
    "onecycle_cos": lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=STEPS),
    "onecycle_linear": lambda m, o: m.OneCycleLR(o, max_lr=1.0, epochs=30, steps_per_epoch=10,
                                                 anneal_strategy="linear", pct_start=0.25),
    "onecycle_three": lambda m, o: m.OneCycleLR(o, max_lr=0.8, total_steps=STEPS + 5,
                                                three_phase=True, div_factor=10.0),
    "cyclic_triangular": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=20, step_size_down=30),
    "cyclic_triangular2": lambda m, o: m.CyclicLR(o, 0.01, 0.2, step_size_up=25, mode="triangular2"),  # noqa: E501
    "cyclic_exp_range": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=15, mode="exp_range", gamma=0.99),  # noqa: E501
    "cyclic_scale_fn": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=15, scale_fn=lambda x: 0.9**x,  # noqa: E501
                                               scale_mode="iterations"),
    "cyclic_no_momentum": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=10, cycle_momentum=False),  # noqa: E501
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("groups", [1, 2])
def test_schedule_matches_torch(name, groups):
    cycles = name.startswith(("cyclic", "onecycle")) and name != "cyclic_no_momentum"
    kwargs = {"momentum": 0.9} if cycles else {}
    _compare(CASES[name], groups=groups, cycles=cycles, **kwargs)


def test_per_group_values():
    def make(m, o):
        return m.CyclicLR(o, [0.01, 0.02], [0.1, 0.2], step_size_up=9, base_momentum=[0.7, 0.8])

    _compare(make, groups=2, cycles=True, momentum=0.9)
    _compare(lambda m, o: m.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=STEPS), groups=2,
             cycles=True, momentum=0.9)  # fmt: skip


@pytest.mark.parametrize(
    "name", ["cyclic_triangular", "cyclic_exp_range", "onecycle_cos", "onecycle_three"]
)
def test_momentum_cycling_with_adam_beta1(name):
    _compare(CASES[name], opt_name="Adam", cycles=True)


@pytest.mark.parametrize("name", [n for n in CASES if n != "lambda"] + ["lambda"])
def test_lr_at_matches_stepped_values(name):
    opt = optim.SGD([gradlab.Tensor(np.zeros(2), requires_grad=True)], lr=0.1, momentum=0.9)
    sched = CASES[name](gls, opt)
    expected = [sched.lr_at(t) for t in range(STEPS)]
    lrs = gls.lr_curve(sched, STEPS)
    np.testing.assert_allclose(lrs, expected, rtol=1e-9, atol=1e-15)


def test_sequential_warmup_then_cosine():
    def make(m, o):
        warm = m.LinearLR(o, start_factor=0.1, total_iters=20)
        cos = m.CosineAnnealingLR(o, T_max=280, eta_min=1e-4)
        return m.SequentialLR(o, [warm, cos], milestones=[20])

    sched, lrs = _compare(make, groups=2)
    np.testing.assert_allclose(
        [sched.lr_at(t) for t in range(STEPS)], np.array(lrs)[:, 0], rtol=1e-9
    )
    assert lrs[0][0] == pytest.approx(0.01) and lrs[20][0] == pytest.approx(0.1)


def test_sequential_three_schedulers():
    def make(m, o):
        a = m.LinearLR(o, start_factor=0.5, total_iters=10)
        b = m.ExponentialLR(o, gamma=0.98)
        c = m.StepLR(o, step_size=25, gamma=0.5)
        return m.SequentialLR(o, [a, b, c], milestones=[30, 120])

    _compare(make)


METRICS_MIN = [1.0 / (1 + t // 7) + 0.001 * (t % 3) if t < 120 else 0.2 for t in range(STEPS)]
METRICS_MAX = [-m for m in METRICS_MIN]


@pytest.mark.parametrize(
    "mode,metrics,kwargs",
    [
        ("min", METRICS_MIN, {"patience": 3}),
        (
            "min",
            METRICS_MIN,
            {"patience": 2, "threshold": 0.05, "threshold_mode": "abs", "cooldown": 4},
        ),
        ("max", METRICS_MAX, {"patience": 5, "factor": 0.5, "threshold": 0.01, "min_lr": 0.002}),
        (
            "max",
            METRICS_MAX,
            {"patience": 0, "threshold_mode": "abs", "cooldown": 2, "min_lr": [1e-3, 1e-4]},
        ),
    ],
)
def test_reduce_on_plateau(mode, metrics, kwargs):
    _, lrs = _compare(
        lambda m, o: m.ReduceLROnPlateau(o, mode=mode, **kwargs), groups=2, metrics=metrics
    )
    assert lrs[-1][0] < lrs[0][0]


def test_reduce_on_plateau_needs_metric():
    opt, _ = _pair()
    sched = gls.ReduceLROnPlateau(opt)
    with pytest.raises(ValueError, match="metrics is required"):
        sched.step()
    with pytest.raises(TypeError, match="no closed form"):
        sched.lr_at(3)


def test_first_value_set_at_construction():
    opt, _ = _pair()
    gls.StepLR(opt, step_size=5, gamma=0.5)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["initial_lr"] == 0.1
    opt, _ = _pair()
    gls.LinearLR(opt, start_factor=0.1)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.01)


@pytest.mark.parametrize("window", ["welch", "hann", "triangular"])
def test_cyclic_windows_closed_forms(window):
    base, high, half = 0.01, 0.11, 25
    sched = gls.plot_ready(
        gls.CyclicLR, base_lr=base, max_lr=high, step_size_up=half, window=window
    )
    shapes = {
        "triangular": lambda x: 1 - abs(2 * x - 1),
        "welch": lambda x: 1 - (2 * x - 1) ** 2,
        "hann": lambda x: math.sin(math.pi * x) ** 2,
    }
    lrs = gls.lr_curve(sched, 200)
    for t, lr in enumerate(lrs):
        x = (t % (2 * half)) / (2 * half)
        assert lr == pytest.approx(base + (high - base) * shapes[window](x), rel=1e-12)
        assert sched.lr_at(t) == pytest.approx(lr, rel=1e-12)
    assert math.sin(math.pi * 0.3) ** 2 == pytest.approx((1 - math.cos(2 * math.pi * 0.3)) / 2)


def test_welch_momentum_and_triangular2():
    sched = gls.plot_ready(gls.CyclicLR, base_lr=0.0, max_lr=1.0, step_size_up=4, mode="triangular2",  # noqa: E501
                           window="welch", momentum=0.9)  # fmt: skip
    assert sched.lr_at(4) == 1.0 and sched.lr_at(12) == 0.5
    assert sched.lr_at(2) == pytest.approx(0.75)
    assert sched.momentum_at(4) == pytest.approx(0.8)


def test_plot_ready_and_lr_curve():
    sched = gls.plot_ready(gls.ExponentialLR, lr=0.01, gamma=math.exp(-0.05))
    assert gls.lr_curve(sched, 3) == pytest.approx(
        [0.01, 0.01 * math.exp(-0.05), 0.01 * math.exp(-0.1)]
    )
    one = gls.plot_ready(gls.OneCycleLR, max_lr=1.0, total_steps=100, betas=(0.9, 0.99))
    assert one.momentum_at(0) == 0.95
    plateau = gls.plot_ready(gls.ReduceLROnPlateau, lr=1.0, patience=0)
    assert gls.lr_curve(plateau, 4, metrics=[1.0, 1.0, 1.0]) == pytest.approx([1.0, 1.0, 0.1, 0.01])


def test_step_decay_keras_form():
    fn = gls.step_decay(0.01, 0.5, 10)
    assert [fn(e) for e in (0, 9, 10, 19, 20, 35)] == pytest.approx(
        [0.01, 0.01, 0.005, 0.005, 0.0025, 0.00125]
    )
    sched = gls.plot_ready(gls.StepLR, lr=0.01, step_size=10, gamma=0.5)
    assert [sched.lr_at(e) for e in range(50)] == pytest.approx([fn(e) for e in range(50)])
    with pytest.raises(ValueError, match="epochs_drop must be > 0, got 0"):
        gls.step_decay(0.01, 0.5, 0)


def test_state_dict_round_trip_plain():
    opt, _ = _pair(momentum=0.9)
    sched = gls.CyclicLR(opt, 0.01, 0.1, step_size_up=7)
    for _ in range(11):
        sched.step()
    state = sched.state_dict()
    assert "optimizer" not in state and state["last_epoch"] == 11

    def plain(v):
        if isinstance(v, (list, tuple)):
            return all(plain(x) for x in v)
        if isinstance(v, dict):
            return all(plain(x) for x in v.values())
        return v is None or isinstance(v, (bool, int, float, str))

    assert plain(state)
    opt2, _ = _pair(momentum=0.9)
    other = gls.CyclicLR(opt2, 0.01, 0.1, step_size_up=7)
    other.load_state_dict(state)
    sched.step()
    other.step()
    assert other.get_last_lr() == sched.get_last_lr()
    warm = gls.LinearLR(opt2, total_iters=3)
    seq = gls.SequentialLR(opt2, [warm, gls.ExponentialLR(opt2, 0.9)], milestones=[3])
    assert plain(seq.state_dict()) and len(seq.state_dict()["_schedulers"]) == 2


BAD = [
    (lambda o: gls.StepLR(o, step_size=0), "step_size must be > 0, got 0"),
    (lambda o: gls.LinearLR(o, start_factor=0), r"start_factor must be in \(0, 1\], got 0"),
    (lambda o: gls.LinearLR(o, end_factor=1.5), "end_factor must be in"),
    (lambda o: gls.CosineAnnealingLR(o, T_max=0), "T_max must be > 0"),
    (lambda o: gls.CosineAnnealingWarmRestarts(o, T_0=0), "T_0 must be an integer > 0, got 0"),
    (
        lambda o: gls.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=0),
        "T_mult must be an integer >= 1",
    ),
    (lambda o: gls.CyclicLR(o, 0.1, 1.0, mode="square"), "mode must be .*got 'square'"),
    (lambda o: gls.CyclicLR(o, 0.1, 1.0, window="box"), "window must be one of.*got 'box'"),
    (
        lambda o: gls.CyclicLR(o, [0.1, 0.2], 1.0),
        "base_lr must have one value per param group: got 2",
    ),
    (lambda o: gls.OneCycleLR(o, 1.0), "give total_steps, or epochs and steps_per_epoch"),
    (lambda o: gls.OneCycleLR(o, 1.0, total_steps=0), "total_steps must be an integer > 0, got 0"),
    (lambda o: gls.OneCycleLR(o, 1.0, 10, pct_start=1.5), "pct_start must be a float in"),
    (lambda o: gls.OneCycleLR(o, 1.0, 10, anneal_strategy="exp"), "anneal_strategy must be"),
    (lambda o: gls.ReduceLROnPlateau(o, factor=1.0), "factor must be < 1.0, got 1.0"),
    (lambda o: gls.ReduceLROnPlateau(o, mode="best"), "mode must be 'min' or 'max', got 'best'"),
    (lambda o: gls.ReduceLROnPlateau(o, threshold_mode="x"), "threshold_mode must be"),
    (lambda o: gls.LambdaLR(o, [lambda e: 1.0] * 2), "expected 1 lr_lambdas"),
    (lambda o: gls.SequentialLR(o, [], []), "schedulers is empty"),
    (lambda o: gls.SequentialLR(o, [gls.StepLR(o, 3)], [1]), "expected 0 milestones"),
]


@pytest.mark.parametrize("make,message", BAD)
def test_bad_arguments(make, message):
    opt = optim.SGD([gradlab.Tensor(np.zeros(2), requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match=message):
        make(opt)


def test_cycle_momentum_needs_momentum_and_onecycle_overrun():
    class NoMomentum:
        defaults = {"lr": 0.1}
        param_groups = [{"lr": 0.1, "params": []}]

    with pytest.raises(ValueError, match="cycle_momentum=True needs an optimizer with momentum"):
        gls.CyclicLR(NoMomentum(), 0.01, 0.1)
    sched = gls.plot_ready(gls.OneCycleLR, max_lr=1.0, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(ValueError, match="tried to step 4 times, but total_steps is 3"):
        sched.step()
