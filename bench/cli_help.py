"""Whole-process time of `inbox --help`, against a bare `python -c pass` in the same run.

Budget (issue 2): <= 150 ms. Ends with `RESULT help_p50_ms=<a> help_p95_ms=<b> python_p50_ms=<c>`.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def timings(argv: list[str], runs: int) -> list[float]:
    results = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        results.append((time.perf_counter() - started) * 1000)
    return sorted(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    options = parser.parse_args()
    inbox = shutil.which("inbox") or str(Path(sys.executable).with_name("inbox"))
    bare = timings([sys.executable, "-c", "pass"], options.runs)
    help_ms = timings([inbox, "--help"], options.runs)
    p95 = help_ms[int(len(help_ms) * 0.95) - 1]
    print(f"python -c pass: p50 {statistics.median(bare):.0f} ms")
    print(
        f"inbox --help:   p50 {statistics.median(help_ms):.0f} ms, "
        f"p95 {p95:.0f} ms over {options.runs} runs"
    )
    print(
        f"RESULT help_p50_ms={statistics.median(help_ms):.0f} help_p95_ms={p95:.0f} "
        f"python_p50_ms={statistics.median(bare):.0f}"
    )


if __name__ == "__main__":
    main()
