"""gradlab with and without ``gradlab[fast]``, beside PyTorch eager, in one run.

Every case of the step, recurrent, optimizer and fit benchmarks runs in this one process,
its contenders interleaved round by round (so machine noise hits all alike): gradlab as
installed (with the compiled kernels where numba is there), gradlab with them switched off
(``gradlab._fast.compiled.set_enabled(False)`` around each call: the NumPy references),
PyTorch eager with its defaults and, for the optimizer rows, PyTorch's fastest CPU update,
``fused=True``, which is the yardstick there. Ratios are medians of per-round ratios.

The header records what each library ran on: NumPy's BLAS and its kernel (threadpoolctl),
PyTorch's threads and CPU capability, numba's version and threading layer, the OPENBLAS
variables, and the load average before and after. Run with the OpenBLAS pins unset, so that
both libraries use the CPU's own kernels::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/run_fast_ab.py [--rounds 7]

writes ``benchmarks/results/fast_ab.md`` (``--out`` to change).
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

SUITES = ["bench_mlp", "bench_cnn", "bench_lstm", "bench_optim", "bench_fit"]
SKIP = ("conv layers only",)  # a component of the CNN step, not a target row


def without_fast(fn):
    """``fn`` with the compiled kernels switched off for the duration of each call."""
    from gradlab._fast import compiled

    def run():
        old = compiled.set_enabled(False)
        try:
            return fn()
        finally:
            compiled.set_enabled(old)

    return run


def _time(fn, number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def measure(case, rounds: int) -> dict:
    """Per contender, the list of per-round mean seconds (contenders interleaved)."""
    contenders = {"gradlab": case.contenders["gradlab"]}
    contenders["gradlab without fast"] = without_fast(case.contenders["gradlab"])
    for name in ("pytorch", "pytorch fused"):
        if name in case.contenders:
            contenders[name] = case.contenders[name]
    for fn in contenders.values():  # warm-up: numba compiles (or loads its cache) here
        fn()
        fn()
    samples: dict = {name: [] for name in contenders}
    names = list(contenders)
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            samples[name].append(_time(contenders[name], case.number))
    return samples


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f} ms" if seconds < 1e-2 else f"{seconds * 1e3:.1f} ms"


def row(case, samples: dict) -> str:
    yardstick = "pytorch fused" if "pytorch fused" in samples else "pytorch"
    base = samples[yardstick]

    def ratio(name):
        return statistics.median(a / b for a, b in zip(samples[name], base))

    r_fast, r_plain = ratio("gradlab"), ratio("gradlab without fast")
    target = 1.0  # issue 17: every row at most PyTorch's time
    verdict = "✓" if r_fast <= target else "✗"
    median = {name: statistics.median(v) for name, v in samples.items()}
    torch_cell = _ms(median[yardstick])
    if yardstick == "pytorch fused":
        torch_cell += f" (default: {_ms(median['pytorch'])})"
    return (
        f"| {case.name} | {_ms(median['gradlab'])} | {_ms(median['gradlab without fast'])} | "
        f"{yardstick.replace('pytorch', 'eager')} | {torch_cell} | {r_fast:.2f} {verdict} | "
        f"{r_plain:.2f} | ≤ {target:.2f} |"
    )


def environment() -> str:
    import numpy as np
    import torch
    from threadpoolctl import threadpool_info

    lines = [f"Python {platform.python_version()}, {platform.machine()}, numpy {np.__version__}, "
             f"torch {torch.__version__}"]  # fmt: skip
    for info in threadpool_info():
        lines.append(
            f"threadpoolctl: {info.get('internal_api')} {info.get('version')} "
            f"({info.get('user_api')}), kernel {info.get('architecture')}, "
            f"{info.get('num_threads')} threads, {Path(info.get('filepath', '')).name}"
        )
    capability = torch.backends.cpu.get_cpu_capability()
    lines.append(
        f"PyTorch: {torch.get_num_threads()} threads, CPU capability {capability}, "
        f"mkldnn {torch.backends.mkldnn.is_available()}, eager defaults (optimizer rows "
        f"against fused=True)"
    )
    from gradlab._fast import compiled

    if compiled.available():
        import numba

        lines.append(f"numba {numba.__version__} (gradlab's kernels run on the calling thread)")
    else:
        lines.append("numba: not installed (both gradlab columns run the NumPy references)")
    pins = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    lines.append(f"OpenBLAS pins: {pins}")
    return "\n".join(f"- {line}" for line in lines)


HEADER = [
    "| workload | gradlab | gradlab without [fast] | PyTorch | PyTorch time | "
    "gradlab / PyTorch | without [fast] / PyTorch | target |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--only", default="", help="only cases whose name contains this text")
    parser.add_argument("--out", default=str(HERE / "results" / "fast_ab.md"))
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(2)
    load_before = os.getloadavg()
    lines = list(HEADER)
    print("\n".join(lines), flush=True)
    for suite in SUITES:
        for case in importlib.import_module(suite).cases():
            if args.only.lower() not in case.name.lower() or case.name.startswith(SKIP):
                continue
            lines.append(row(case, measure(case, args.rounds)))
            print(lines[-1], flush=True)
    load_after = os.getloadavg()
    text = (
        "# gradlab with and without [fast], beside PyTorch eager\n\n"
        f"`env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/run_fast_ab.py "
        f"--rounds {args.rounds}`: one process, contenders interleaved, medians of "
        "per-round ratios (lower is better; optimizer rows against PyTorch `fused=True`).\n\n"
        f"{environment()}\n- load average (1, 5, 15 min): before "
        f"{', '.join(f'{v:.2f}' for v in load_before)}, after "
        f"{', '.join(f'{v:.2f}' for v in load_after)}\n\n" + "\n".join(lines) + "\n"
    )
    Path(args.out).write_text(text)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
