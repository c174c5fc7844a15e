"""One optimizer step over 1M float32 parameters: gradlab against PyTorch's default
implementation and against its fastest CPU update, ``fused=True``.

Run: ``python benchmarks/bench_optim.py``. The model is four tensors (two 1000x~460 weight
matrices and their biases) totalling about 1M parameters, gradients fixed; each call is one
``step()`` (the parameters drift, which does not change the cost). The issue's target is
gradlab <= PyTorch ``fused=True``; with ``gradlab[fast]`` gradlab runs one compiled pass per
parameter (:mod:`gradlab._fast.optim_kernels`), without it the NumPy reference updates.
Figures: benchmarks/results/.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from harness import Case, run_cases  # noqa: E402

import gradlab  # noqa: E402
from gradlab import optim  # noqa: E402

SHAPES = [(1000, 500), (500,), (1000, 499), (1000,)]


def _setup():
    import torch

    rng = np.random.default_rng(0)
    weights = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    grads = [rng.standard_normal(s).astype(np.float32) * 0.01 for s in SHAPES]
    gl = []
    th = []
    for w, g in zip(weights, grads):
        p = gradlab.Tensor(w.copy(), requires_grad=True)
        p.grad = gradlab.Tensor(g.copy())
        gl.append(p)
        t = torch.nn.Parameter(torch.from_numpy(w.copy()))
        t.grad = torch.from_numpy(g.copy())
        th.append(t)
    return gl, th


def cases() -> list[Case]:
    import torch

    total = sum(int(np.prod(s)) for s in SHAPES)
    out = []
    for name, gl_cls, th_cls, kwargs in [
        ("SGD momentum 0.9", optim.SGD, torch.optim.SGD, {"lr": 0.01, "momentum": 0.9}),
        ("Adam", optim.Adam, torch.optim.Adam, {"lr": 1e-3}),
    ]:
        gl, th = _setup()
        gl_opt, th_opt = gl_cls(gl, **kwargs), th_cls(th, **kwargs)
        _, th_fused = _setup()
        fused = th_cls(th_fused, fused=True, **kwargs)
        out.append(
            Case(
                f"{name} step, {total / 1e6:.2f}M float32 params",
                {"gradlab": gl_opt.step, "pytorch": th_opt.step, "pytorch fused": fused.step},
                number=20,
                target=1.0,
            )
        )
    return out


if __name__ == "__main__":
    run_cases(cases())
