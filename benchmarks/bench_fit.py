"""One epoch through ``Trainer.fit`` against a hand-written PyTorch loop on the same data.

Workloads (same initial weights on every side, shuffled every epoch, float32):
- the MLP 784-256-128-10, SGD(lr=0.01, momentum=0.9), cross-entropy, 10,000 samples of 784
  features, batch 32 (313 steps) and batch 256 (40 steps);
- the notes' CIFAR tutorial CNN (conv32-pool-conv64-pool-conv64-dense64-10), Adam(1e-3),
  cross-entropy, 2,000 samples of 3x32x32, batch 64 (32 steps, the last one of 16).

Contenders, each timing one epoch:
- "gradlab": ``Trainer.fit(x, y, epochs=1, batch_size=B, verbose=0)`` (no metrics, no
  callbacks, no validation);
- "pytorch": the loop a PyTorch user writes: ``torch.randperm``, slice a batch, zero_grad,
  forward, loss, backward, step, ``loss.item()``;
- "gradlab loop": the same loop in gradlab over ``DataLoader(TensorDataset(x, y),
  shuffle=True)`` (what ``fit`` runs inside), to show what the Trainer itself costs;
- "numpy": the same epoch hand-written in NumPy, no framework
  (:func:`reference_numpy.mlp_epoch`, :class:`reference_numpy.CNNReference`), the yardstick
  the issue's targets come from.

Targets (gradlab Trainer / PyTorch loop): MLP batch 32 <= 0.65, batch 256 <= 0.80, CNN <= 1.0;
and Trainer / gradlab loop <= 1.10 (under 10% overhead).
Run: ``python benchmarks/bench_fit.py [--cpu] [--profile]``. ``--cpu`` times every side
single-threaded (BLAS, OpenMP and torch on 1 thread) in CPU time of the process
(``time.process_time``) instead of wall time: on a machine shared with other work, the
ratios then hold up where wall-clock medians do not (the targets are for 2 threads, though).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

if __name__ == "__main__" and "--cpu" in sys.argv:  # before numpy starts its BLAS threads
    for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_name] = "1"

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Case, report, run_cases  # noqa: E402
from reference_numpy import CNNReference, mlp_epoch, mlp_params  # noqa: E402

import gradlab  # noqa: E402
from gradlab import nn, optim  # noqa: E402
from gradlab.data import DataLoader, TensorDataset  # noqa: E402
from gradlab.train import Trainer  # noqa: E402

MLP_SAMPLES = 10_000
CNN_SAMPLES = 2_000


def _mlp(lib):
    return lib.Sequential(lib.Linear(784, 256), lib.ReLU(), lib.Linear(256, 128), lib.ReLU(),
                          lib.Linear(128, 10))  # fmt: skip


def _cnn(lib):
    return lib.Sequential(
        lib.Conv2d(3, 32, 3), lib.ReLU(), lib.MaxPool2d(2),
        lib.Conv2d(32, 64, 3), lib.ReLU(), lib.MaxPool2d(2),
        lib.Conv2d(64, 64, 3), lib.ReLU(),
        lib.Flatten(), lib.Linear(64 * 4 * 4, 64), lib.ReLU(), lib.Linear(64, 10),
    )  # fmt: skip


def _copy_into(g_model, t_model) -> None:
    """Give the torch model the gradlab model's weights (same parameter order and shapes)."""
    import torch

    with torch.no_grad():
        for gp, tp in zip(g_model.parameters(), t_model.parameters(), strict=True):
            tp.copy_(torch.from_numpy(np.array(gp.data)))


def _fit_case(name, build, make_optimizer, x, y, batch, target) -> Case:
    """Three contenders, each one epoch over (x, y) at ``batch``, from the same weights."""
    import torch

    gradlab.manual_seed(0)
    fit_model = build(nn)
    loop_model = build(nn)
    loop_model.load_state_dict(fit_model.state_dict())
    t_model = build(torch.nn)
    _copy_into(fit_model, t_model)
    g_make, t_make = make_optimizer

    trainer = Trainer(fit_model, nn.CrossEntropyLoss(), g_make(fit_model.parameters()))
    fit_rng = np.random.default_rng(1)

    def run_fit():
        trainer.fit(x, y, epochs=1, batch_size=batch, verbose=0, generator=fit_rng)

    loader = DataLoader(TensorDataset(x, y), batch_size=batch, shuffle=True,
                        generator=np.random.default_rng(1))  # fmt: skip
    g_loss, g_opt = nn.CrossEntropyLoss(), g_make(loop_model.parameters())

    def run_loop():
        for xb, yb in loader:
            g_opt.zero_grad()
            loss = g_loss(loop_model(xb), yb)
            loss.backward()
            g_opt.step()
            loss.item()

    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    t_loss, t_opt = torch.nn.CrossEntropyLoss(), t_make(t_model.parameters())
    t_gen = torch.Generator().manual_seed(1)
    n = len(x)

    def run_torch():
        order = torch.randperm(n, generator=t_gen)
        for start in range(0, n, batch):
            rows = order[start : start + batch]
            xb, yb = tx[rows], ty[rows]
            t_opt.zero_grad()
            loss = t_loss(t_model(xb), yb)
            loss.backward()
            t_opt.step()
            loss.item()

    contenders = {"gradlab": run_fit, "pytorch": run_torch, "gradlab loop": run_loop}
    if build is _mlp:  # the yardstick: a hand-written NumPy loop, same weights
        params = [np.array(p.data) for p in fit_model.parameters()]
        state = mlp_params(params[0::2], params[1::2])
        numpy_rng = np.random.default_rng(1)
        contenders["numpy"] = lambda: mlp_epoch(state, x, y, batch, numpy_rng)
    else:
        reference = CNNReference([np.array(p.data) for p in fit_model.parameters()])
        cnn_rng = np.random.default_rng(1)

        def run_numpy():
            order = cnn_rng.permutation(n)
            for start in range(0, n, batch):
                rows = order[start : start + batch]
                reference.step(x[rows], y[rows])

        contenders["numpy"] = run_numpy
    return Case(name, contenders, number=1, target=target)


def _sgd():
    import torch

    return (lambda p: optim.SGD(p, lr=0.01, momentum=0.9),
            lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9))  # fmt: skip


def _adam():
    import torch

    return (lambda p: optim.Adam(p, lr=1e-3), lambda p: torch.optim.Adam(p, lr=1e-3))


def mlp_case(batch: int) -> Case:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((MLP_SAMPLES, 784)).astype(np.float32)
    y = rng.integers(0, 10, MLP_SAMPLES)
    return _fit_case(
        f"fit: 1 epoch MLP 784-256-128-10, 10k samples, batch {batch}, SGD momentum",
        _mlp, _sgd(), x, y, batch, 0.65 if batch <= 32 else 0.80,
    )  # fmt: skip


def cnn_case() -> Case:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((CNN_SAMPLES, 3, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, CNN_SAMPLES)
    return _fit_case(
        "fit: 1 epoch CIFAR CNN, 2k samples, batch 64, Adam", _cnn, _adam(), x, y, 64, 1.0
    )


def cases() -> list[Case]:
    return [mlp_case(32), mlp_case(256), cnn_case()]


def overhead(cases_: list[Case]) -> str:
    """A Markdown table of Trainer.fit / the hand-written gradlab loop, per workload."""
    lines = ["| workload | Trainer.fit | gradlab loop | fit / loop (median) | (best) |",
             "| --- | --- | --- | --- | --- |"]  # fmt: skip
    for case in cases_:
        m, b = case.medians, case.best
        lines.append(
            f"| {case.name} | {m['gradlab'] * 1e3:.1f} ms | {m['gradlab loop'] * 1e3:.1f} ms | "
            f"{m['gradlab'] / m['gradlab loop']:.3f} | {b['gradlab'] / b['gradlab loop']:.3f} |"
        )
    return "\n".join(lines)


def measure_cpu(case: Case, rounds: int = 7, warmup: int = 1) -> Case:
    """The harness's interleaved medians, in process CPU time (meant for 1 thread)."""
    for fn in case.contenders.values():
        for _ in range(warmup):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in case.contenders}
    for _ in range(rounds):
        for name, fn in case.contenders.items():
            start = time.process_time()
            for _ in range(case.number):
                fn()
            samples[name].append((time.process_time() - start) / case.number)
    case.medians = {name: float(np.median(v)) for name, v in samples.items()}
    case.best = {name: min(v) for name, v in samples.items()}
    return case


def profile(batch: int = 32, epochs: int = 3) -> None:
    """cProfile of Trainer.fit on the MLP, sorted by own time, then by cumulative time."""
    import cProfile
    import pstats

    fn = mlp_case(batch).contenders["gradlab"]
    fn()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(epochs):
        fn()
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats("trainer|callbacks|loader", 25)


def main() -> None:
    if "--profile" in sys.argv:
        profile()
        return
    all_cases = cases()
    if "--cpu" in sys.argv:
        import torch

        torch.set_num_threads(1)
        for case in all_cases:
            measure_cpu(case)
        print("CPU time of the process, 1 thread on every side")
        print(report(all_cases))
    else:
        run_cases(all_cases)
    print()
    print(overhead(all_cases))


if __name__ == "__main__":
    main()
