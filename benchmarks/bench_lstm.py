"""LSTM and GRU forward + backward: gradlab's fused layers against torch.nn.LSTM / nn.GRU.

The workload of PERFORMANCE.md: input 32, hidden 128, sequence 50, batch 64, float32; one
step is a forward pass, loss = a fixed random projection of the output, and a backward pass
that reaches the input and every parameter. Target (issue 17): at most 1.0x PyTorch.
Run: ``python benchmarks/bench_lstm.py``; ``--min`` adds the ratio of best single-call times
over many alternating calls (PyTorch's 2-thread oneDNN LSTM is bimodal on a shared machine:
its median can be twice its best, so the median ratio flatters gradlab), ``--profile`` a
cProfile of gradlab's LSTM step. Figures: benchmarks/results/.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Case, run_cases  # noqa: E402
from reference_numpy import LSTMReference  # noqa: E402

import gradlab  # noqa: E402
from gradlab import nn  # noqa: E402

T, N, I, H = 50, 64, 32, 128


def _pair(name: str, target: float | None) -> Case:
    import torch

    torch_module = getattr(torch.nn, name)(I, H)
    ours = getattr(nn, name)(I, H)
    ours.load_state_dict({k: v.detach().numpy() for k, v in torch_module.state_dict().items()})
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, N, I)).astype(np.float32)
    proj = rng.standard_normal((T, N, H)).astype(np.float32)

    xg = gradlab.tensor(x, requires_grad=True)
    pg = gradlab.tensor(proj)

    def run_gradlab():
        xg.grad = None
        ours.zero_grad()
        out, _ = ours(xg)
        (out * pg).sum().backward()

    xt = torch.tensor(x, requires_grad=True)
    pt = torch.tensor(proj)

    def run_torch():
        xt.grad = None
        torch_module.zero_grad()
        out, _ = torch_module(xt)
        (out * pt).sum().backward()

    contenders = {"gradlab": run_gradlab, "pytorch": run_torch}
    if name == "LSTM":  # the yardstick: a hand-written NumPy loop, same weights
        params = {k: v.detach().numpy() for k, v in torch_module.state_dict().items()}
        reference = LSTMReference(
            params["weight_ih_l0"], params["weight_hh_l0"], params["bias_ih_l0"],
            params["bias_hh_l0"],
        )  # fmt: skip
        contenders["numpy"] = lambda: reference.step(x, proj)
    return Case(
        f"{name} T={T} N={N} I={I} H={H}, forward + backward",
        contenders,
        number=5,
        target=target,
    )


def cases() -> list[Case]:
    return [_pair("LSTM", 1.0), _pair("GRU", 1.0)]


def best_of(case: Case, calls: int = 60) -> str:
    """Alternate single calls; the ratio of the best times and the median per-pair ratio."""
    import statistics
    import time

    ours, theirs = case.contenders["gradlab"], case.contenders["pytorch"]
    times: dict = {ours: [], theirs: []}
    for _ in range(calls):
        for fn in (ours, theirs):
            start = time.perf_counter()
            fn()
            times[fn].append(time.perf_counter() - start)
    ratios = [a / b for a, b in zip(times[ours], times[theirs])]
    best_ours, best_theirs = min(times[ours]), min(times[theirs])
    return (
        f"{case.name}: best gradlab {best_ours * 1e3:.2f} ms, best pytorch "
        f"{best_theirs * 1e3:.2f} ms, ratio of bests {best_ours / best_theirs:.2f}, "
        f"median per-call ratio {statistics.median(ratios):.2f}"
    )


def profile() -> None:
    import cProfile
    import pstats

    run = _pair("LSTM", None).contenders["gradlab"]
    run()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(20):
        run()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    all_cases = cases()
    run_cases(all_cases)
    if "--min" in sys.argv:
        for case in all_cases:
            print(best_of(case))
    if "--profile" in sys.argv:
        profile()
