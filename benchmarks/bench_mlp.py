"""MLP 784-256-128-10 training step (SGD momentum 0.9, cross-entropy): gradlab vs PyTorch.

The step is zero_grad, forward, loss, backward, optimizer step, in a hand-written loop on both
sides with the same weights and data, at batch 32 (overhead-bound) and 256 (BLAS-bound).
Run: ``python benchmarks/bench_mlp.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Case, run_cases  # noqa: E402

import gradlab  # noqa: E402
from gradlab import nn, optim  # noqa: E402


def _step_case(batch: int) -> Case:
    import torch

    rng = np.random.default_rng(batch)
    x = rng.standard_normal((batch, 784)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    g_model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                            nn.Linear(128, 10))  # fmt: skip
    t_model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
                                  torch.nn.Linear(256, 128), torch.nn.ReLU(),
                                  torch.nn.Linear(128, 10))  # fmt: skip
    g_model.load_state_dict(t_model.state_dict())
    g_opt = optim.SGD(g_model.parameters(), lr=0.01, momentum=0.9)
    t_opt = torch.optim.SGD(t_model.parameters(), lr=0.01, momentum=0.9)
    g_loss, t_loss = nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    gx, gy = gradlab.tensor(x), gradlab.tensor(y)
    tx, ty = torch.tensor(x), torch.tensor(y)

    def run_gradlab():
        g_opt.zero_grad()
        g_loss(g_model(gx), gy).backward()
        g_opt.step()

    def run_torch():
        t_opt.zero_grad()
        t_loss(t_model(tx), ty).backward()
        t_opt.step()

    return Case(
        f"MLP 784-256-128-10 training step, batch {batch}, SGD momentum",
        {"gradlab": run_gradlab, "pytorch": run_torch},
        number=50 if batch <= 32 else 20,
    )


def cases() -> list[Case]:
    return [_step_case(32), _step_case(256)]


if __name__ == "__main__":
    run_cases(cases())
