"""Every figure of issue 12 as a ratio taken in one run; `--write` puts them in benchmarks/RESULTS.md.

Ratios, not absolute times, because these machines are shared and noisy: each figure compares commands
measured in the same run, interleaved, so load falls on all of them alike. `--size smoke` runs every
benchmark tiny (the CI smoke test does), and judges nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # run as a script: `python benchmarks/run.py`

from benchmarks import aws, bulk, coldstart, dispatch, listing  # noqa: E402
from benchmarks._common import FULL, SMOKE, Figure, Size  # noqa: E402

BENCHMARKS: dict[str, Callable[[Size], list[Figure]]] = {
    "coldstart": coldstart.figures,
    "dispatch": dispatch.figures,
    "listing": listing.figures,
    "bulk": bulk.figures,
    "aws": aws.figures,
}


def run(names: Sequence[str], size: Size) -> list[Figure]:
    found: list[Figure] = []
    for name in names:
        print(f"-- {name}", file=sys.stderr, flush=True)
        found.extend(BENCHMARKS[name](size))
    return found


def table(figures: Sequence[Figure], *, judged: bool) -> str:
    lines = [
        "| figure | goal | floor or anchor | measured | verdict | detail | command |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in figures:
        goal = "measured only" if f.goal is None else f"≤ {f.goal:g}{f.unit if f.unit != 'x' else '×'}"
        measured = f"{f.ratio:.2f}×" if f.unit == "x" else f"{f.ratio:.1f} {f.unit}"
        verdict = f.verdict if judged else "not judged (smoke size)"
        lines.append(f"| {f.name} | {goal} | {f.floor} | {measured} | {verdict} | {f.detail} | `{f.command}` |")
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPU(s), {cpu}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; load average {load} at the start"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", action="append", choices=sorted(BENCHMARKS), help="run only these")
    parser.add_argument("--size", choices=("full", "smoke"), default="full")
    parser.add_argument("--write", action="store_true", help="rewrite benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    size = FULL if args.size == "full" else SMOKE
    names = args.only or list(BENCHMARKS)
    where = machine()
    figures = run(names, size)
    text = table(figures, judged=size is FULL)
    print(text)
    if args.write:
        header = (
            "# Benchmark results\n\n"
            f"Produced by `hatch run bench --write` ({' '.join(['python benchmarks/run.py', *(argv or sys.argv[1:])])})"
            f" on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.\n\n"
            f"Machine: {where}.\n\n"
            "Each figure is taken in one run; compared commands run interleaved, and the best (timed calls) or\n"
            "median (fresh interpreters) of the rounds is kept. Anchors are measured when\n"
            f"`{coldstart.ANCHORS_ENV}=1`.\n\n"
        )
        (REPO / "benchmarks" / "RESULTS.md").write_text(header + text + "\n")
    missed = [f.name for f in figures if f.verdict == "MISSED"]
    return 1 if missed and size is FULL else 0


if __name__ == "__main__":
    raise SystemExit(main())
