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

The computation is :func:`gradlab.explain.trace.backprop_trace` on
:data:`~gradlab.explain.trace_config.EXAMPLE_7` (what ``gradlab explain backprop
examples/configs/backprop_example7.toml`` prints as the notes' per-unit tables).
"""

from __future__ import annotations

import numpy as np

from gradlab.explain.trace import backprop_trace
from gradlab.explain.trace_config import EXAMPLE_7
from gradlab.lab.reproduce.registry import Report, register


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
    spec = EXAMPLE_7
    # nn.Linear(2, 2) -> nn.ReLU() -> nn.Linear(2, 2) (identity output), nn.MSELoss(),
    # backward(), one optim.SGD(lr=0.1) step: the per-unit trace of gradlab.explain.trace
    trace = backprop_trace(spec)
    fc1, fc2 = trace.layers
    w21 = (0, 1)  # fc1.weight[out=h1, in=i2]
    loaded = {"fc1.weight": fc1.weight.tolist(), "fc1.bias": fc1.bias.tolist(),
              "fc2.weight": fc2.weight.tolist(), "fc2.bias": fc2.bias.tolist()}  # fmt: skip
    pre, post, out = fc1.net_input, fc1.output, fc2.output  # (h1, h2), (h3, h4), (o1, o2)
    grad_w21 = float(fc1.weight_grad[w21])
    w21_before, w21_after = float(fc1.weight[w21]), float(fc1.new_weight[w21])
    lr = spec.lr

    report.print(f"input (i1, i2) = {_pair(spec.input)}, targets (t1, t2) = {_pair(spec.target)}")
    report.print("nn.Linear(2, 2) -> nn.ReLU() -> nn.Linear(2, 2), the notes' weights loaded:")
    report.print(f"  fc1.weight = [[w11, w21], [w12, w22]] = {loaded['fc1.weight']}")
    report.print(f"  fc1.bias = [b1, b2] = {loaded['fc1.bias']}")
    report.print(f"  fc2.weight = [[w31, w41], [w32, w42]] = {loaded['fc2.weight']}")
    report.print(f"  fc2.bias = [b3, b4] = {loaded['fc2.bias']}")
    report.print("  (Linear.weight is (out, in): the notes' w_ij, from unit i to unit j, is")
    report.print("   weight[j, i]; w21, from i2 to h1, is fc1.weight[0, 1])")
    report.print()
    report.print("forward:")
    report.print(f"  before ReLU (h1, h2) = fc1(i) = {_pair(pre)}")
    report.print(f"  after ReLU  (h3, h4) = max(0, h) = {_pair(post)}")
    report.print(f"  output      (o1, o2) = fc2(h3, h4) = {_pair(out)}")
    report.print(
        f"loss: the notes' 1/2*(t1-o1)^2 + 1/2*(t2-o2)^2 = nn.MSELoss() (mean of the two "
        f"squared errors) = {trace.loss:g}"
    )
    report.print()
    report.print("backward (loss.backward()):")
    report.print(
        "  dMSE/dw21 = [(o1-t1)*w31 + (o2-t2)*w32] * relu'(h1) * i2 = "
        f"fc1.weight.grad[0, 1] = {grad_w21:g}"
    )
    report.print(
        f"  (the whole fc1.weight.grad = {fc1.weight_grad.tolist()}; h2 < 0, so its row is 0)"
    )
    report.print(
        f"optim.SGD(lr={lr}).step(): w21 = {w21_before:g} - {lr} * ({grad_w21:g}) = {w21_after:g}"
    )
    report.print("  (the step updates every parameter; the notes ask only for w21)")

    report.check("h before ReLU (h1, h2)", pre, [2.0, -0.5], tolerance=1e-12)
    report.check("h after ReLU (h3, h4)", post, [2.0, 0.0], tolerance=1e-12)
    report.check("output (o1, o2)", out, [0.0, -1.5], tolerance=1e-12)
    report.check("MSE", trace.loss, 2.5, tolerance=1e-12)
    report.check("dMSE/dw21", grad_w21, -1.5, tolerance=1e-12)
    report.check("w21 after one step", w21_after, 0.65, tolerance=1e-12)
    return report
