"""The notes' CIFAR-10 tutorial CNN: gradlab vs PyTorch eager on the same weights and data.

Model (3x32x32 input, batch 64): conv32 3x3, ReLU, maxpool 2, conv64 3x3, ReLU, maxpool 2,
conv64 3x3, ReLU, flatten, dense 64, ReLU, dense 10; cross-entropy; Adam(1e-3).
Cases: one full training step (zero_grad, forward, loss, backward, Adam step), and the
convolutional part alone (forward + backward of the three conv layers with pooling).
The full step needs nn.Linear, nn.CrossEntropyLoss and optim.Adam; it is skipped (with a
note) while any of them is missing. Target: gradlab / PyTorch <= 1.0 on the full step.
Run: ``python benchmarks/bench_cnn.py [--profile]`` (writes benchmarks/results/cnn.md too).
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Case, run_cases  # noqa: E402
from reference_numpy import CNNReference  # noqa: E402

import gradlab  # noqa: E402
import gradlab.nn as nn  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "cnn.md"
BATCH = 64


def _has_full_step() -> bool:
    import gradlab.optim as optim

    return all(
        hasattr(nn, name)
        for name in ("Linear", "ReLU", "Flatten", "Sequential", "CrossEntropyLoss")
    ) and hasattr(optim, "Adam")


def _conv_layers(lib):
    return [
        lib.Conv2d(3, 32, 3), lib.ReLU(), lib.MaxPool2d(2),
        lib.Conv2d(32, 64, 3), lib.ReLU(), lib.MaxPool2d(2),
        lib.Conv2d(64, 64, 3), lib.ReLU(),
    ]  # fmt: skip


def _models(full: bool):
    """(gradlab model, torch model) with the same weights."""
    import torch

    gradlab.manual_seed(0)
    g_layers = _conv_layers(nn)
    t_layers = _conv_layers(torch.nn)
    if full:
        g_layers += [nn.Flatten(), nn.Linear(64 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, 10)]
        t_layers += [
            torch.nn.Flatten(),
            torch.nn.Linear(64 * 4 * 4, 64),
            torch.nn.ReLU(),
            torch.nn.Linear(64, 10),
        ]
    g_model = nn.Sequential(*g_layers)
    t_model = torch.nn.Sequential(*t_layers)
    with torch.no_grad():
        for gp, tp in zip(g_model.parameters(), t_model.parameters(), strict=True):
            tp.copy_(torch.from_numpy(np.array(gp.data)))
    return g_model, t_model


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, 3, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, BATCH)
    return x, y


def full_step_case() -> Case:
    import torch

    import gradlab.optim as optim

    g_model, t_model = _models(full=True)
    x, y = _data()
    gx, gy = gradlab.tensor(x), gradlab.tensor(y)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    g_loss, t_loss = nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    g_opt = optim.Adam(g_model.parameters(), lr=1e-3)
    t_opt = torch.optim.Adam(t_model.parameters(), lr=1e-3)

    def run_gradlab():
        g_opt.zero_grad()
        loss = g_loss(g_model(gx), gy)
        loss.backward()
        g_opt.step()

    def run_torch():
        t_opt.zero_grad()
        loss = t_loss(t_model(tx), ty)
        loss.backward()
        t_opt.step()

    # the yardstick: a hand-written NumPy step (PERFORMANCE.md's 0.98-1.06x)
    reference = CNNReference([np.array(p.data) for p in g_model.parameters()], lr=1e-3)
    return Case(
        "CIFAR CNN training step, batch 64, Adam",
        {"gradlab": run_gradlab, "pytorch": run_torch, "numpy": lambda: reference.step(x, y)},
        number=5,
        target=1.0,
    )


def conv_case() -> Case:
    import torch

    g_model, t_model = _models(full=False)
    x, _ = _data()
    gx, tx = gradlab.tensor(x), torch.from_numpy(x)

    def run_gradlab():
        g_model.zero_grad()
        g_model(gx).sum().backward()

    def run_torch():
        t_model.zero_grad()
        t_model(tx).sum().backward()

    return Case(
        "conv layers only (3 conv, 2 pool), forward + backward, batch 64",
        {"gradlab": run_gradlab, "pytorch": run_torch},
        number=5,
    )


def cases() -> list[Case]:
    cases = [conv_case()]
    if _has_full_step():
        cases.insert(0, full_step_case())
    return cases


def profile(steps: int = 20) -> None:
    """cProfile of gradlab's full step (or the conv part), sorted by own time."""
    import cProfile
    import pstats

    case = cases()[0]
    fn = case.contenders["gradlab"]
    for _ in range(3):
        fn()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        fn()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main() -> None:
    import torch

    if "--profile" in sys.argv:
        profile()
        return
    all_cases = cases()
    table = run_cases(all_cases)
    note = (
        ""
        if _has_full_step()
        else (
            "\nThe full training step was skipped: nn.Linear, nn.CrossEntropyLoss or optim.Adam "
            "is missing.\n"
        )
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    header = (
        "# CIFAR-10 tutorial CNN: gradlab vs PyTorch\n\n"
        "Written by `python benchmarks/bench_cnn.py`: medians of interleaved timings, float32, "
        "2 torch threads, PyTorch eager in its default NCHW layout. Compare ratios, not "
        "absolute times, across runs.\n\n"
        f"numpy {np.__version__}, torch {torch.__version__}, Python "
        f"{platform.python_version()}, {platform.machine()}\n\n"
    )
    RESULTS.write_text(header + table + "\n" + note)
    print(f"\nwrote {RESULTS}")


if __name__ == "__main__":
    main()
