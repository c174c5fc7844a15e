"""Example 7 (notes 003, exam Part III "Backpropagation"): the 2-2-2 ReLU net, its forward
pass, the loss, and one gradient-descent step on w21 with learning rate 0.1.

The net is Linear(2, 2), ReLU, Linear(2, 2). The notes name each weight w_{from,to}:
h1 = i1·w11 + i2·w21 + b1 and o1 = h3·w31 + h4·w41 + b3, so w21 connects input i2 to hidden
unit h1. PyTorch's (and gradlab's) ``Linear.weight`` has shape (out_features, in_features):
row = the unit it feeds, column = the input it comes from. So w_{ij} of the notes is
``weight[j, i]`` (0-based), and w21 (from i2 to h1) is ``fc1.weight[0, 1]``::

    fc1.weight = [[w11, w21],     fc1.bias = [b1, b2]     (h1, h2: before the ReLU)
                  [w12, w22]]
    fc2.weight = [[w31, w41],     fc2.bias = [b3, b4]     (inputs h3, h4: after the ReLU)
                  [w32, w42]]

The notes call ½·Σ(t − o)² over the two outputs "MSE"; with two outputs that is exactly the
mean squared error Σ(t − o)²/2, so gradlab uses ``nn.MSELoss()`` (reduction 'mean'), which
gives the same value (2.5) and the same gradients.
"""

from __future__ import annotations

import numpy as np

import gradlab
from gradlab import nn, optim
from gradlab.lab.reproduce.registry import Report, register

_INPUT = (2.0, -1.0)
_TARGET = (1.0, 0.5)
# the notes' table, in Linear's (out, in) layout (see the module docstring)
_FC1_WEIGHT = ((1.0, 0.5), (-0.5, -1.0))  # ((w11, w21), (w12, w22))
_FC1_BIAS = (0.5, -0.5)  # (b1, b2)
_FC2_WEIGHT = ((0.5, -0.5), (-1.0, 1.0))  # ((w31, w41), (w32, w42))
_FC2_BIAS = (-1.0, 0.5)  # (b3, b4)
_LR = 0.1


def _pair(values) -> str:
    return "(" + ", ".join(f"{float(v):g}" for v in np.ravel(values)) + ")"


@register(
    7,
    "relu-backprop",
    "2-2-2 ReLU net: forward, MSE, one SGD step on w21 with lr 0.1",
    source="003 Part III",
)
def relu_backprop() -> Report:
    report = Report()
    fc1 = nn.Linear(2, 2, dtype="float64")
    fc2 = nn.Linear(2, 2, dtype="float64")
    relu = nn.ReLU()
    with gradlab.no_grad():
        fc1.weight.copy_(np.array(_FC1_WEIGHT))
        fc1.bias.copy_(np.array(_FC1_BIAS))
        fc2.weight.copy_(np.array(_FC2_WEIGHT))
        fc2.bias.copy_(np.array(_FC2_BIAS))
    w21 = (0, 1)  # fc1.weight[out=h1, in=i2]
    w21_before = float(fc1.weight.data[w21])
    layers = {"fc1": fc1, "fc2": fc2}
    loaded = {f"{n}.{k}": v.tolist() for n, m in layers.items() for k, v in m.state_dict().items()}

    x = gradlab.tensor(_INPUT, dtype="float64")
    target = gradlab.tensor(_TARGET, dtype="float64")
    pre = fc1(x)  # (h1, h2)
    post = relu(pre)  # (h3, h4)
    out = fc2(post)  # (o1, o2)
    loss = nn.MSELoss()(out, target)
    loss.backward()
    grad_w21 = float(fc1.weight.grad[w21])

    optimizer = optim.SGD([*fc1.parameters(), *fc2.parameters()], lr=_LR)
    optimizer.step()
    w21_after = float(fc1.weight.data[w21])

    report.print(f"input (i1, i2) = {_pair(_INPUT)}, targets (t1, t2) = {_pair(_TARGET)}")
    report.print("nn.Linear(2, 2) -> nn.ReLU() -> nn.Linear(2, 2), the notes' weights loaded:")
    report.print(f"  fc1.weight = [[w11, w21], [w12, w22]] = {loaded['fc1.weight']}")
    report.print(f"  fc1.bias = [b1, b2] = {loaded['fc1.bias']}")
    report.print(f"  fc2.weight = [[w31, w41], [w32, w42]] = {loaded['fc2.weight']}")
    report.print(f"  fc2.bias = [b3, b4] = {loaded['fc2.bias']}")
    report.print("  (Linear.weight is (out, in): the notes' w_ij, from unit i to unit j, is")
    report.print("   weight[j, i]; w21, from i2 to h1, is fc1.weight[0, 1])")
    report.print()
    report.print("forward:")
    report.print(f"  before ReLU (h1, h2) = fc1(i) = {_pair(pre.data)}")
    report.print(f"  after ReLU  (h3, h4) = max(0, h) = {_pair(post.data)}")
    report.print(f"  output      (o1, o2) = fc2(h3, h4) = {_pair(out.data)}")
    report.print(
        f"loss: the notes' 1/2*(t1-o1)^2 + 1/2*(t2-o2)^2 = nn.MSELoss() (mean of the two "
        f"squared errors) = {loss.item():g}"
    )
    report.print()
    report.print("backward (loss.backward()):")
    report.print(
        "  dMSE/dw21 = [(o1-t1)*w31 + (o2-t2)*w32] * relu'(h1) * i2 = "
        f"fc1.weight.grad[0, 1] = {grad_w21:g}"
    )
    report.print(
        f"  (the whole fc1.weight.grad = {fc1.weight.grad.tolist()}; h2 < 0, so its row is 0)"
    )
    report.print(
        f"optim.SGD(lr={_LR}).step(): w21 = {w21_before:g} - {_LR} * ({grad_w21:g}) = {w21_after:g}"
    )
    report.print("  (the step updates every parameter; the notes ask only for w21)")

    report.check("h before ReLU (h1, h2)", pre, [2.0, -0.5], tolerance=1e-12)
    report.check("h after ReLU (h3, h4)", post, [2.0, 0.0], tolerance=1e-12)
    report.check("output (o1, o2)", out, [0.0, -1.5], tolerance=1e-12)
    report.check("MSE", loss, 2.5, tolerance=1e-12)
    report.check("dMSE/dw21", grad_w21, -1.5, tolerance=1e-12)
    report.check("w21 after one step", w21_after, 0.65, tolerance=1e-12)
    return report
