"""Layers, losses and optimizers on the guard device (see test_guard_device.py): forward,
backward and the optimizer's step give the CPU's numbers, with no host array made or kept.
Layers whose fast path is host code run their readable references there."""

import sys
from pathlib import Path

import numpy as np
import pytest

import gradlab
from gradlab import Tensor

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import guard_device  # noqa: E402
from guard_device import host as _host  # noqa: E402
from guard_device import on as _where  # noqa: E402
from guard_device import same as _same  # noqa: E402
from guard_device import weighted_sum as _weighted_sum  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def guard():
    guard_device.install()
    yield
    guard_device.uninstall()


_RNG = np.random.default_rng(0)


class _FirstOutput(gradlab.nn.Module):
    """A recurrent layer's output sequence (it returns (output, state))."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x)[0]


class _Attention(gradlab.nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = gradlab.nn.MultiheadAttention(4, 2, batch_first=True)

    def forward(self, x):
        mask = [[False, False, True], [False, False, False]]  # key padding, as lists
        return self.inner(x, x, x, key_padding_mask=mask)[0]


_INDICES = np.array([[1, 0, 3], [2, 2, 4]])
LAYERS = {
    "Linear": (lambda: gradlab.nn.Linear(4, 3), (2, 4)),
    "BatchNorm1d": (lambda: gradlab.nn.BatchNorm1d(3), (4, 3)),
    "BatchNorm2d": (lambda: gradlab.nn.BatchNorm2d(2), (3, 2, 2, 2)),
    "LayerNorm": (lambda: gradlab.nn.LayerNorm(3), (4, 3)),
    "PReLU": (lambda: gradlab.nn.PReLU(3), (2, 3)),
    "MultiheadAttention": (_Attention, (2, 3, 4)),
    "Upsample_bilinear": (
        lambda: gradlab.nn.Upsample(scale_factor=2, mode="bilinear"),
        (1, 1, 2, 3),
    ),
    "Upsample_nearest": (lambda: gradlab.nn.Upsample(size=(3, 5)), (1, 2, 2, 3)),
    "Embedding": (
        lambda: (
            lambda x: gradlab.nn.functional.embedding(gradlab.tensor(_INDICES), x, padding_idx=0)
        ),
        (5, 3),
    ),
    "MSELoss": (lambda: lambda x: gradlab.nn.MSELoss()(x, x.detach() * 0.5), (2, 3)),
    "BCEWithLogitsLoss": (
        lambda: lambda x: gradlab.nn.BCEWithLogitsLoss()(x, x.detach().sigmoid()),
        (4,),
    ),
    "HuberLoss_list_target": (
        lambda: lambda x: gradlab.nn.HuberLoss()(x, [[0.5, -1.0, 2.0], [0.0, 1.0, 3.0]]),
        (2, 3),
    ),
    "focal_loss_binary": (
        lambda: lambda x: gradlab.nn.focal.sigmoid_focal_loss(x, (x.detach() > 0).double()),
        (4, 3),
    ),
    "focal_loss_classes": (
        lambda: lambda x: gradlab.nn.focal.focal_loss(x, gradlab.tensor([0, 2, 1, 1])),
        (4, 3),
    ),
    "dice_loss": (
        lambda: lambda x: gradlab.nn.overlap_losses.dice_loss(x, gradlab.tensor([0, 2, 1, 1])),
        (4, 3),
    ),
    "l2_penalty": (lambda: lambda x: gradlab.nn.regularizers.l2_penalty([x], 0.1), (2, 3)),
}


class _BothStates(gradlab.nn.Module):
    """h' + c' of an LSTM cell (it returns the pair)."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        h, c = self.inner(x)
        return h + c


class _ClassLoss(gradlab.nn.Module):
    """A class-index loss module on targets made from the input (its buffers move with it)."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x, (x.detach() > 0).long()[:, 0])


# Layers whose fast path is host NumPy code (im2col with pooled buffers, pooling masks, the
# fused recurrent ops, the fused cross-entropy): off the CPU they run their readable references
# (gradlab.nn.reference), and dropout moves its host-drawn mask to the device. Values and
# gradients must equal the CPU's fast path's.
ON_REFERENCE = {
    "Conv2d": (lambda: gradlab.nn.Conv2d(2, 3, 3), (1, 2, 5, 5)),
    "Conv2d strided": (
        lambda: gradlab.nn.Conv2d(2, 3, (3, 2), stride=2, padding=1, dilation=(1, 2)),
        (2, 2, 6, 7),
    ),
    "Conv2d grouped": (lambda: gradlab.nn.Conv2d(4, 6, 3, groups=2), (1, 4, 5, 5)),
    "Conv1d": (lambda: gradlab.nn.Conv1d(2, 3, 3, padding=1), (2, 2, 6)),
    "MaxPool2d": (lambda: gradlab.nn.MaxPool2d(2), (1, 2, 4, 4)),
    "MaxPool2d ceil": (lambda: gradlab.nn.MaxPool2d(3, 2, padding=1, ceil_mode=True), (2, 2, 6, 6)),
    "AvgPool2d": (lambda: gradlab.nn.AvgPool2d(2), (1, 2, 4, 4)),
    "AvgPool2d padded": (
        lambda: gradlab.nn.AvgPool2d(3, 2, padding=1, count_include_pad=False),
        (1, 2, 5, 5),
    ),
    "AdaptiveAvgPool2d": (lambda: gradlab.nn.AdaptiveAvgPool2d((2, 3)), (1, 2, 5, 7)),
    "Dropout": (lambda: gradlab.nn.Dropout(0.5), (4, 3)),
    "CrossEntropyLoss": (
        lambda: lambda x: gradlab.nn.CrossEntropyLoss()(x, (x.detach() > 0).long()[:, 0]),
        (4, 3),
    ),
    "CrossEntropyLoss smoothed": (
        lambda: (
            lambda x: gradlab.nn.CrossEntropyLoss(ignore_index=1, label_smoothing=0.1)(
                x, (x.detach() > 0).long()[:, 0]
            )
        ),
        (4, 3),
    ),
    "CrossEntropyLoss weighted": (
        lambda: _ClassLoss(gradlab.nn.CrossEntropyLoss(weight=gradlab.tensor([1.0, 2.0, 0.5]))),
        (4, 3),
    ),
    "NLLLoss": (
        lambda: lambda x: gradlab.nn.NLLLoss()(x.log_softmax(1), (x.detach() > 0).long()[:, 0]),
        (4, 3),
    ),
    "LSTM": (lambda: _FirstOutput(gradlab.nn.LSTM(3, 4, batch_first=True)), (2, 5, 3)),
    "GRU": (lambda: _FirstOutput(gradlab.nn.GRU(3, 4, batch_first=True)), (2, 5, 3)),
    "RNN 2 layers bidirectional": (
        lambda: _FirstOutput(gradlab.nn.RNN(3, 4, num_layers=2, bidirectional=True)),
        (5, 2, 3),
    ),
    "LSTMCell": (lambda: _BothStates(gradlab.nn.LSTMCell(3, 4)), (2, 3)),
    "GRUCell": (lambda: gradlab.nn.GRUCell(3, 4), (2, 3)),
}


def _layer_step(make, shape, on_guard, x_array=None):
    """One forward and backward through a fresh layer (seeded), on the guard device or the
    CPU: (output, input gradient, parameter gradients) as host arrays."""
    gradlab.manual_seed(0)
    layer = make()
    if isinstance(layer, gradlab.nn.Module):
        layer.to(gradlab.float64)  # float64 weights, as the input: the paths agree to 1e-12
        if on_guard:
            layer.to("guard")
    x_array = _RNG.standard_normal(shape) if x_array is None else x_array
    with _where(on_guard):
        x = gradlab.tensor(x_array, requires_grad=True)
        out = layer(x)
        _weighted_sum([out]).backward()
    params = list(layer.parameters()) if isinstance(layer, gradlab.nn.Module) else []
    return [_host(out), _host(x.grad), *(_host(p.grad) for p in params)]


@pytest.mark.parametrize("name", LAYERS)
def test_layer_runs_on_guard_device_as_on_cpu(name):
    make, shape = LAYERS[name]
    x = _RNG.standard_normal(shape)
    _same(_layer_step(make, shape, True, x), _layer_step(make, shape, False, x))


@pytest.mark.parametrize("name", ON_REFERENCE)
def test_layer_runs_its_reference_on_guard_device_as_on_cpu(name):
    make, shape = ON_REFERENCE[name]
    x = _RNG.standard_normal(shape)
    _same(_layer_step(make, shape, True, x), _layer_step(make, shape, False, x))


def test_max_pool_indices_on_guard_device_as_on_cpu():
    pool = gradlab.nn.MaxPool2d(3, 2, padding=1, ceil_mode=True, return_indices=True)
    array = np.random.default_rng(2).integers(-2, 3, (2, 3, 7, 6)).astype(np.float64)
    _, indices = pool(Tensor(guard_device.from_host(array)))
    _, cpu = pool(Tensor(array))
    assert indices.device.type == "guard" and indices.dtype == cpu.dtype
    np.testing.assert_array_equal(guard_device.to_host(indices._data), cpu.numpy())


OPTIMIZERS = {
    "SGD": lambda ps: gradlab.optim.SGD(ps, lr=0.1),
    "SGD_momentum_nesterov_wd": lambda ps: gradlab.optim.SGD(
        ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01
    ),
    "SGD_maximize_dampening": lambda ps: gradlab.optim.SGD(
        ps, lr=0.1, momentum=0.5, dampening=0.3, maximize=True
    ),
    "Adam": lambda ps: gradlab.optim.Adam(ps, lr=0.1),
    "Adam_amsgrad_wd": lambda ps: gradlab.optim.Adam(ps, lr=0.1, amsgrad=True, weight_decay=0.1),
    "AdamW": lambda ps: gradlab.optim.AdamW(ps, lr=0.1),
    "Adagrad": lambda ps: gradlab.optim.Adagrad(ps, lr=0.1, lr_decay=0.01, weight_decay=0.1),
    "RMSprop": lambda ps: gradlab.optim.RMSprop(ps, lr=0.01),
    "RMSprop_centered_momentum": lambda ps: gradlab.optim.RMSprop(
        ps, lr=0.01, centered=True, momentum=0.9, weight_decay=0.1
    ),
    "NAdam": lambda ps: gradlab.optim.NAdam(ps, lr=0.1, weight_decay=0.1),
    "Adadelta": lambda ps: gradlab.optim.Adadelta(ps, lr=1.0, weight_decay=0.1),
    "Adamax": lambda ps: gradlab.optim.Adamax(ps, lr=0.1, weight_decay=0.1),
    "RAdam": lambda ps: gradlab.optim.RAdam(ps, lr=0.1),
    "RAdam_decoupled": lambda ps: gradlab.optim.RAdam(
        ps, lr=0.1, weight_decay=0.1, decoupled_weight_decay=True
    ),
}


def _optimizer_steps(make, on_guard, steps=6):
    """A few steps on a small quadratic loss, with gradient clipping; the parameters after."""
    with _where(on_guard):
        w = gradlab.tensor(_RNG_W, requires_grad=True)
        b = gradlab.tensor(_RNG_B, requires_grad=True)
        target = gradlab.tensor(_RNG_T)
        optimizer = make([w, b])
        for _ in range(steps):
            optimizer.zero_grad()
            loss = ((w * target + b) ** 2).sum()
            loss.backward()
            gradlab.nn.utils.clip_grad_norm_([w, b], 5.0)
            gradlab.nn.utils.clip_grad_value_([w, b], 2.0)
            optimizer.step()
        restored = make([w, b])
        restored.load_state_dict(optimizer.state_dict())
    return [_host(w), _host(b)]


_RNG_W, _RNG_B, _RNG_T = (np.random.default_rng(1).standard_normal(s) for s in ((3, 4), 4, 4))


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_steps_on_guard_device_as_on_cpu(name):
    make = OPTIMIZERS[name]
    _same(_optimizer_steps(make, True), _optimizer_steps(make, False))


def test_lbfgs_on_guard_device_as_on_cpu():
    def run(on_guard):
        with _where(on_guard):
            w = gradlab.tensor(_RNG_W, requires_grad=True)
            target = gradlab.tensor(_RNG_T)
            optimizer = gradlab.optim.LBFGS([w], lr=0.5, line_search_fn="strong_wolfe")

            def closure():
                optimizer.zero_grad()
                loss = ((w * target - 1.0) ** 2).sum()
                loss.backward()
                return loss

            for _ in range(2):
                optimizer.step(closure)
        return [_host(w)]

    _same(run(True), run(False))
