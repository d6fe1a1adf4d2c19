"""Performance requirements as ratios measured in one run; results go to benchmarks/RESULTS.md.

Ratios, not absolute times, because these machines are shared and noisy: each requirement compares two
things measured back to back under the same load.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from provider_core import ListFilter, ProviderRegistry, SpawnOptions  # noqa: E402
from provider_core.testing.memory import MemoryProvider, registration  # noqa: E402

DISCOVER = (
    "import provider_core; r = provider_core.discover(); [r.registration(n).capabilities for n in r.names()]"
)


def fresh_interpreter(code: str, runs: int) -> float:
    """Median wall time of `python -c code` in fresh interpreters."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def per_call(call: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(repeat):
            call()
        best = min(best, (time.perf_counter() - started) / repeat)
    return best


def over_http() -> tuple[float, float]:
    """Seconds per get_instance through a handle and directly, against a real HTTP API double."""
    import provider_core

    registry = provider_core.discover()
    profile = registry.registration("lambda").compliance
    assert profile is not None
    assert profile.test_double is not None
    with profile.test_double() as settings:
        handle = registry.get("lambda", **settings)
        made = handle.spawn(SpawnOptions(name="bench", instance_type=profile.instance_type))
        direct = handle.provider
        try:
            return per_call(lambda: handle.get_instance(made.id), 200), per_call(
                lambda: direct.get_instance(made.id), 200
            )
        finally:
            handle.terminate(made.id)
            handle.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--write", action="store_true", help="rewrite benchmarks/RESULTS.md")
    args = parser.parse_args()

    baseline = fresh_interpreter("pass", args.runs)
    lazy = fresh_interpreter(DISCOVER, args.runs) - baseline
    # What discovery would cost if it imported the SDKs of the installed providers.
    eager = fresh_interpreter(DISCOVER + "; import boto3, botocore.session, httpx", args.runs) - baseline

    http_handle, http_direct = over_http()
    registry = ProviderRegistry()
    registry.add(registration())
    handle = registry.get("memory")
    direct = handle.provider
    assert isinstance(direct, MemoryProvider)
    for n in range(999):
        handle.spawn(SpawnOptions(name=f"bench-{n}", instance_type="mem.small"))
    everything = ListFilter()
    list_handle = per_call(lambda: handle.list_instances(everything), 20)
    list_provider = per_call(lambda: direct.list_instances(everything), 20)

    rows = [
        (
            "lazy discovery / discovery that also imports the SDKs",
            lazy / eager,
            0.7,
            f"{lazy * 1000:.0f} ms vs {eager * 1000:.0f} ms",
        ),
        (
            "get_instance through hooks / direct call, Lambda emulator on loopback HTTP",
            http_handle / http_direct,
            1.25,
            f"{http_handle * 1e3:.2f} ms vs {http_direct * 1e3:.2f} ms",
        ),
        (
            "list 1000 instances through hooks / direct call",
            list_handle / list_provider,
            5.0,
            f"{list_handle * 1000:.1f} ms vs {list_provider * 1000:.2f} ms",
        ),
    ]
    failed = False
    lines = ["| measure | ratio | bound | raw |", "|---|---|---|---|"]
    for label, ratio, bound, raw in rows:
        ok = ratio <= bound
        failed |= not ok
        lines.append(f"| {label} | {ratio:.2f} | <= {bound:g} {'ok' if ok else 'FAILED'} | {raw} |")
    table = "\n".join(lines)
    print(table)
    if args.write:
        header = (
            "# Benchmark results\n\n"
            "Produced by `hatch run bench --write` (`python benchmarks/run.py --write`)\n"
            "on the project's 2-core machine; each ratio compares two measurements taken in the same run.\n\n"
        )
        (REPO / "benchmarks" / "RESULTS.md").write_text(header + table + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
