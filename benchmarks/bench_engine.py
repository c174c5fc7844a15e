"""The engine's per-op overhead: gradlab vs PyTorch (and raw NumPy) on tiny tracked work.

Cases: a tracked elementwise add on 10 float32 elements (forward, and forward + backward of
``(a + b).sum()``) and a tracked 32x32 matmul (forward, and forward + backward). At this size
the arithmetic is negligible, so the times are the framework's own Python/C++ overhead.
Run: ``python benchmarks/bench_engine.py`` (writes benchmarks/results/engine.md too).
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Case, run_cases  # noqa: E402

import gradlab  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "engine.md"


def _pair(shape_a, shape_b, seed=0):
    """The same float32 inputs for all three contenders."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape_a).astype(np.float32)
    b = rng.standard_normal(shape_b).astype(np.float32)
    return a, b


def _backward_case(name, op, a_np, b_np, numpy_fn, number, target=None):
    """forward + ``.sum().backward()``; grads set to None each time in both frameworks."""
    import torch

    ga, gb = (gradlab.tensor(v, requires_grad=True) for v in (a_np, b_np))
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (a_np, b_np))

    def run_gradlab():
        ga.grad = gb.grad = None
        op(ga, gb).sum().backward()

    def run_torch():
        ta.grad = tb.grad = None
        op(ta, tb).sum().backward()

    return Case(
        name,
        {"gradlab": run_gradlab, "pytorch": run_torch, "numpy": lambda: numpy_fn(a_np, b_np)},
        number=number,
        target=target,
    )


def _forward_case(name, op, a_np, b_np, number, target=None):
    import torch

    ga, gb = (gradlab.tensor(v, requires_grad=True) for v in (a_np, b_np))
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (a_np, b_np))
    return Case(
        name,
        {
            "gradlab": lambda: op(ga, gb),
            "pytorch": lambda: op(ta, tb),
            "numpy": lambda: op(a_np, b_np),
        },
        number=number,
        target=target,
    )


def _add_backward_numpy(a, b):
    """What the tracked version does, by hand: forward, sum, and the two input gradients."""
    out = a + b
    out.sum()
    grad = np.ones_like(out)
    return grad, grad.copy()


def _matmul_backward_numpy(a, b):
    out = a @ b
    out.sum()
    grad = np.ones_like(out)
    return grad @ b.T, a.T @ grad


def cases() -> list[Case]:
    add_a, add_b = _pair((10,), (10,))
    mm_a, mm_b = _pair((32, 32), (32, 32), seed=1)
    return [
        _forward_case(
            "tracked add, 10 float32, forward", lambda a, b: a + b, add_a, add_b, 2000, 0.6
        ),
        _backward_case(
            "tracked add, 10 float32, forward + backward",
            lambda a, b: a + b,
            add_a,
            add_b,
            _add_backward_numpy,
            500,
        ),
        _forward_case("tracked matmul 32x32, forward", lambda a, b: a @ b, mm_a, mm_b, 1000),
        _backward_case(
            "tracked matmul 32x32, forward + backward",
            lambda a, b: a @ b,
            mm_a,
            mm_b,
            _matmul_backward_numpy,
            300,
        ),
    ]


def main() -> None:
    import torch

    table = run_cases(cases())
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    header = (
        "# Engine overhead: gradlab vs PyTorch\n\n"
        "Written by `python benchmarks/bench_engine.py`: medians of interleaved timings, "
        "float32, 2 torch threads. The `other` column is raw NumPy doing the same arithmetic "
        "by hand (no graph). Compare ratios, not absolute times, across runs.\n\n"
        f"numpy {np.__version__}, torch {torch.__version__}, Python "
        f"{platform.python_version()}, {platform.machine()}\n\n"
    )
    RESULTS.write_text(header + table + "\n")
    print(f"\nwrote {RESULTS}")


if __name__ == "__main__":
    main()
