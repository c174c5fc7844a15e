"""Each contender of each benchmark in its own process, one at a time: no cross-talk.

Interleaving in one process (``run_all.py``) shares noise fairly, but the libraries' worker
threads keep spinning after their own work (OpenBLAS's after a GEMM, PyTorch's OpenMP pool)
and slow whichever library runs next. This script times each library alone, in a fresh
process, and prints the ratio of medians. Run: ``python benchmarks/run_alone.py``.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import Case, measure  # noqa: E402

SUITES = ["bench_mlp", "bench_cnn", "bench_lstm", "bench_optim", "bench_fit"]


def _child(suite: str, index: int, contender: str) -> None:
    import torch

    torch.set_num_threads(2)
    case = importlib.import_module(suite).cases()[index]
    alone = Case(case.name, {contender: case.contenders[contender]}, number=case.number)
    measure(alone)
    print(json.dumps({"median": alone.medians[contender], "best": alone.best[contender]}))


def _time(suite: str, index: int, contender: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", suite, str(index), contender],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    lines = [
        "| workload | gradlab alone | pytorch alone | gradlab / pytorch (median) | (best) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for suite in SUITES:
        for index, case in enumerate(importlib.import_module(suite).cases()):
            g, t = _time(suite, index, "gradlab"), _time(suite, index, "pytorch")
            lines.append(
                f"| {case.name} | {g['median'] * 1e3:.2f} ms | {t['median'] * 1e3:.2f} ms | "
                f"{g['median'] / t['median']:.2f} | {g['best'] / t['best']:.2f} |"
            )
            print(lines[-1], flush=True)
    out = HERE / "results" / "alone.md"
    out.write_text("# Each library alone in its own process\n\n" + "\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        _child(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        main()
