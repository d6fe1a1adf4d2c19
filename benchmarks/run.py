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


NOTES = """
## Notes

- **Cold start** reads the saved registration index (`provider_core/_index.py`), rebuilt when the
  installed distributions change; its goal is 2.0x `python -c pass` and faster than the libcloud anchor,
  judged when the anchor is measured (`PROVIDER_CORE_BENCH_ANCHORS=1`). **Dispatch** is measured with
  retries off (the goal's setting) and, apart, with the default retry policy on; test-only plugins are
  dormant in the registry `discover()` returns unless asked for.
- **Listing at scale.** A raw `fetchall()` costs about 2.5 us per row. The sim reads only what the
  listing returns (the filter and the managed rule in SQL, in rowid order, so no sort) and builds one
  generic `ProviderInstance` per row with `provider_core.author.build_instance` (the constructor's result
  and errors; plain values skip its per-field validator calls: about 0.9 us instead of 2.2 us); the core
  keeps a generic instance as it is and does not call an empty filter. The loop runs under
  `provider_core.author.gc_paused()`: without it the garbage collector walked the whole heap again and
  again as 100,000 new objects piled up (about a sixth of the time), freeing nothing. Before, each row
  was built twice (the sim's `OrbStackInstance`, then the core's projection), after a sort. What is left
  above the floor is the instance itself, its datetime and its tag dict. Peak memory is the instances.
- **Bulk spawn.** Lambda's pacing counts each bucket's next slot from the previous call's answer when
  that came back within 0.1 s (`provider_core.author.PacedRequest`), not from when it left: the server
  saw a request before answering it, so two requests reach it at least an interval apart however late a
  thread runs (with a 5 % margin on departures, a thread of the loaded 2-core machine that reached the
  server a few milliseconds late drew a 429). A slower answer counts from 0.1 s after the request left,
  so a real launch that takes seconds does not stretch the pacing. The price is one loopback round trip
  per interval (about 1.10x the floor here, where a spawn is one request). The
  instance-types catalog is cached for 5 s (read once per bulk spawn, re-read before a refusal). RunPod
  learns its limits from the RateLimit headers of the first answers and counts each request in its
  sliding log from its answer too (one round trip per window). 429s in the first second are tolerated
  by the goal (it has not learned the limits yet); each fails its spawn (a spawn without a key is not
  retried), so fewer than 200 spawns ran and the ratio can fall under 1. The provider is built before
  the clock starts (imports, no request). The test doubles' server listens with a backlog of 128: with
  socketserver's 5, the burst of new connections lost SYNs, and a request that left on time reached the
  emulator a second late, in the next rate window, and drew a 429 there.
- **Anchors** {anchors} (`PROVIDER_CORE_BENCH_ANCHORS=1` installs apache-libcloud and llm into a side
  environment under `~/.cache/provider-core/bench-anchors`).
- **Multi-AZ.** The latency is added client side to every EC2 call of the benchmark's provider; "one call"
  is one `spawn` in the zone with room, through the same handle. The first probe falls through the five
  full zones one launch each; a repeated probe starts where it worked; the race launches in all six at
  once and returns the first that lands (the others are terminated as they land).
- **Noise.** The machine is shared with other sessions (see the load average above): every comparison is
  interleaved in one run and keeps the best (or median) round, but absolute times move a lot between runs.
"""


def run(names: Sequence[str], size: Size) -> list[Figure]:
    """Every benchmark's figures; one that fails is a FAILED row, and the others still run."""
    found: list[Figure] = []
    for name in names:
        print(f"-- {name}", file=sys.stderr, flush=True)
        try:
            figures = BENCHMARKS[name](size)
        except Exception as exc:
            if size is SMOKE:
                raise  # the smoke test is there to see it
            figures = [
                Figure(f"{name}: FAILED", None, "-", 0.0, f"{type(exc).__name__}: {exc}", command(name))
            ]
        print(table(figures, judged=size is FULL), file=sys.stderr, flush=True)
        found.extend(figures)
    return found


def command(name: str) -> str:
    return f"hatch run bench --only {name}"


def table(figures: Sequence[Figure], *, judged: bool) -> str:
    lines = [
        "| figure | goal | floor or anchor | measured | verdict | detail | command |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in figures:
        unit = "x" if f.unit == "x" else f" {f.unit}"
        goal = "measured only" if f.goal is None else f"≤ {f.goal:g}{unit}"
        measured = f"{f.ratio:.2f}x" if f.unit == "x" else f"{f.ratio:.1f} {f.unit}"
        verdict = f.verdict if judged else "not judged (smoke size)"
        lines.append(
            f"| {f.name} | {goal} | {f.floor} | {measured} | {verdict} | {f.detail} | `{f.command}` |"
        )
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


# Sections of RESULTS.md written by other suites (the soak, the journal): a benchmark run keeps them.
KEPT_SECTIONS = ("## Reliability", "## Journal")


def _kept_sections(results: Path) -> str:
    old = results.read_text() if results.exists() else ""
    starts = sorted(i for i in (old.find(f"\n{title}\n") for title in KEPT_SECTIONS) if i >= 0)
    return "" if not starts else "\n" + old[starts[0] + 1 :].rstrip() + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", action="append", choices=sorted(BENCHMARKS), help="run only these")
    parser.add_argument("--size", choices=("full", "smoke"), default="full")
    parser.add_argument("--write", action="store_true", help="rewrite benchmarks/RESULTS.md")
    given = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(given)
    size = FULL if args.size == "full" else SMOKE
    names = args.only or list(BENCHMARKS)
    where = machine()
    figures = run(names, size)
    text = table(figures, judged=size is FULL)
    print(text)
    if args.write:
        header = (
            "# Benchmark results\n\n"
            f"Produced by `hatch run bench --write` (`{' '.join(['python benchmarks/run.py', *given])}`)"
            f" on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.\n\n"
            f"Machine: {where}.\n\n"
            "Each figure is taken in one run; compared commands run interleaved, and the best (timed\n"
            "calls) or "
            "median (fresh interpreters) of the rounds is kept. Anchors are measured when\n"
            f"`{coldstart.ANCHORS_ENV}=1`.\n\n"
        )
        results = REPO / "benchmarks" / "RESULTS.md"
        measured = coldstart.anchors_asked() and "coldstart" in names
        anchors = f"were {'' if measured else 'not '}measured in this run"
        notes = NOTES.replace("{anchors}", anchors)
        results.write_text(header + text + "\n" + notes + _kept_sections(results))
    missed = [f.name for f in figures if f.verdict.startswith("MISSED")]
    return 1 if missed and size is FULL else 0


if __name__ == "__main__":
    raise SystemExit(main())
