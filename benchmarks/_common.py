"""What every figure shares: its row in RESULTS.md, the sizes, and timing compared commands interleaved."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence

from attrs import frozen


@frozen
class Size:
    """How big a run is: `full` for RESULTS.md, `smoke` for CI (every benchmark runs, none is judged)."""

    name: str
    rounds: int  # interleaved repetitions of a timed comparison
    listing: tuple[int, ...]  # OrbStack sim listing sizes
    reconcile: int
    spawns: int  # bulk spawn count
    rate: float  # bulk spawn rate limit, requests per second
    workers: int  # bulk spawn concurrency
    calls: int  # dispatch calls per round
    latency: float  # multi-AZ: seconds per EC2 call
    zones: int
    aws_instances: int  # managed, and as many unmanaged
    cold_runs: int


FULL = Size("full", 5, (1_000, 10_000, 100_000), 10_000, 200, 20.0, 8, 20_000, 0.2, 6, 2_000, 15)
SMOKE = Size("smoke", 1, (50,), 50, 6, 200.0, 3, 200, 0.0, 3, 5, 1)


@frozen
class Figure:
    """One row of RESULTS.md. `goal` is the bound the ratio must stay under; None: measured only."""

    name: str
    goal: float | None
    floor: str  # what the ratio divides by: the floor or the anchor
    ratio: float
    detail: str  # the raw measurements behind the ratio
    command: str
    unit: str = "x"  # "x": a ratio to the floor; "µs" or "ms": an amount the goal bounds
    # A second condition of the goal that failed (peak memory, 429s), which the ratio alone cannot show.
    also_missed: str = ""

    @property
    def verdict(self) -> str:
        if self.goal is None:
            return "measured"
        if self.also_missed:
            return f"MISSED ({self.also_missed})"
        return "ok" if self.ratio <= self.goal else "MISSED"


def interleaved(commands: Mapping[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Best seconds of each command over `rounds`, each round running every command once, in turn, so
    load on a shared machine falls on all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, command in commands.items():
            started = time.perf_counter()
            result = command()
            times[name].append(time.perf_counter() - started)
            del result  # freed outside the timing
    return {name: min(found) for name, found in times.items()}


def fresh_interpreters(commands: Mapping[str, Sequence[str]], runs: int) -> dict[str, float]:
    """Median wall time of each argv in new processes, interleaved."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            started = time.perf_counter()
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(found) for name, found in times.items()}


def python(*code: str) -> list[str]:
    return [sys.executable, *code]


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"
