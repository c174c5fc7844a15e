"""Run every side-by-side benchmark in one process and write benchmarks/results/all.md.

Run: ``python benchmarks/run_all.py`` (needs ``pip install torch==2.13.0``). Each bench file
exposes ``cases()``; the harness interleaves gradlab and PyTorch so noise hits both alike.
Take the figures on an otherwise idle machine.
"""

from __future__ import annotations

import importlib
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import measure, report  # noqa: E402

SUITES = ["bench_engine", "bench_mlp", "bench_cnn", "bench_lstm", "bench_optim", "bench_fit"]


def main() -> None:
    import numpy as np
    import torch

    torch.set_num_threads(2)
    cases = []
    for name in SUITES:
        for case in importlib.import_module(name).cases():
            print(f"measuring {case.name} ...", flush=True)
            cases.append(measure(case))
    table = report(cases)
    header = (
        "# gradlab vs PyTorch, side by side\n\n"
        "Written by `python benchmarks/run_all.py`: medians of 7 interleaved rounds, float32, "
        "2 torch threads.\n\n"
        f"numpy {np.__version__}, torch {torch.__version__}, Python "
        f"{platform.python_version()}, {platform.machine()}, {platform.processor() or ''}\n\n"
    )
    out = HERE / "results" / "all.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(header + table + "\n")
    print(table)
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
