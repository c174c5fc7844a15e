"""Example 10 (notes 002, "Implement He initialization", Q7): the parameter count of
Linear(100, 64), ReLU, Linear(64, 10), He-initialized.

The notes build ``SimpleNN`` (fc1 = Linear(100, 64), ReLU, fc2 = Linear(64, 10)), apply
``kaiming_normal_(weight, nonlinearity='relu')`` to each Linear, and print a summary:
"650" for the last layer and "Total params: 7,114 (27.79 KB)". A Linear(in, out) holds an
(out, in) weight and an (out,) bias, so fc1 has 100*64 + 64 = 6,464 and fc2 64*10 + 10 = 650;
at 4 bytes per float32, 7,114 parameters take 27.79 KB.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np

from gradlab import nn
from gradlab.lab.reproduce.registry import Report, register
from gradlab.nn.summary import count_parameters


@register(
    10,
    "parameter-count",
    "Parameter count of Linear(100, 64), ReLU, Linear(64, 10)",
    source="002 Q7",
)
def parameter_count() -> Report:
    report = Report()
    rng = np.random.default_rng(0)
    model = nn.Sequential(
        OrderedDict(
            fc1=nn.Linear(100, 64, generator=rng),
            relu=nn.ReLU(),
            fc2=nn.Linear(64, 10, generator=rng),
        )
    )

    def he_init(module):
        if isinstance(module, nn.Linear):
            nn.init.kaiming_normal_(module.weight, nonlinearity="relu", generator=rng)

    model.apply(he_init)
    report.print(repr(model))
    report.print()
    report.print(model.summary((100,), print_fn=None))
    report.print()

    fc1 = count_parameters(model.fc1)
    fc2 = count_parameters(model.fc2)
    total = count_parameters(model)
    kilobytes = sum(p.numpy().nbytes for p in model.parameters()) / 1024
    report.print(f"fc1: weight 64 x 100 + bias 64 = {fc1:,}")
    report.print(f"fc2: weight 10 x 64 + bias 10 = {fc2:,}")
    report.print(f"total: {fc1:,} + {fc2:,} = {total:,} parameters, {kilobytes:.2f} KB in float32")
    std = float(model.fc1.weight.numpy().std())
    report.print(
        f"He init: fc1.weight std {std:.4f}, formula sqrt(2 / fan_in) = "
        f"{math.sqrt(2 / 100):.4f} (Var(W) = 2 / n_in)"
    )

    report.check("last layer (fc2) parameters", fc2, 650, tolerance=0)
    report.check("total parameters", total, 7114, tolerance=0)
    report.check("size in KB (float32)", kilobytes, 27.79, decimals=2)
    return report
