"""Example 9 (notes 003, exam Q7): the output size of a convolution layer.

A layer of 8 filters of size 6, stride 2, padding 1, on a 32x32x32 input (32 channels of
32x32). Per spatial axis the output length is ``(W - F + 2P) / S + 1 = (32 - 6 + 2) / 2 + 1
= 15`` (floor division in general), and there is one output channel per filter: 15 x 15 x 8.
gradlab runs a real ``nn.Conv2d(32, 8, 6, stride=2, padding=1)`` forward on a (1, 32, 32, 32)
input (NCHW) and reads the shape off the result.
"""

from __future__ import annotations

import numpy as np

import gradlab
from gradlab import nn
from gradlab.lab.reproduce.registry import Report, register
from gradlab.nn.conv import conv_output_size


@register(
    9,
    "conv-output-size",
    "Conv output size: 32x32x32 input, 8 filters of 6, stride 2, padding 1",
    source="003 Q7",
)
def conv_output_size_example() -> Report:
    report = Report()
    size, kernel, stride, padding, filters = 32, 6, 2, 1, 8
    formula = conv_output_size(size, kernel, stride, padding)
    rng = np.random.default_rng(0)
    conv = nn.Conv2d(32, filters, kernel, stride=stride, padding=padding, generator=rng)
    with gradlab.no_grad():
        out = conv(gradlab.randn(1, 32, size, size, generator=rng))
    _, channels, height, width = out.shape

    report.print("input 32x32x32 (NCHW: (1, 32, 32, 32)); 8 filters of 6x6, stride 2, padding 1")
    report.print(
        f"formula: (W - F + 2P) / S + 1 = ({size} - {kernel} + 2*{padding}) / {stride} "
        f"+ 1 = {formula}"
    )
    report.print(
        f"nn.Conv2d(32, 8, 6, stride=2, padding=1) forward: output shape {tuple(out.shape)}"
    )
    report.print(f"output volume: {height} x {width} x {channels} (one channel per filter)")

    report.check("formula", formula, 15, tolerance=0)
    report.check("output shape", tuple(out.shape), (1, 8, 15, 15))
    report.check("output volume", f"{height} x {width} x {channels}", "15 x 15 x 8")
    return report
