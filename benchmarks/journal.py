"""Spawn journal overhead per spawn on the sim, as ratios to a spawn without a journal (same run).

`hatch run python benchmarks/journal.py [--spawns N]`: needs PostgreSQL's server binaries for the
PostgreSQL row (see tests/journal/postgres.py); prints a Markdown table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from provider_core import ProviderRegistry, SpawnOptions, discover  # noqa: E402
from provider_core._config import CoreConfig  # noqa: E402
from provider_orbstack.testing import test_double  # noqa: E402
from tests.journal.postgres import fresh_database, postgres_server, server_bin  # noqa: E402


def per_spawn(journal: str | None, spawns: int) -> float:
    """Median seconds per spawn (each with its own key) on a fresh sim."""
    with test_double() as settings:
        registry = ProviderRegistry(CoreConfig(journal=journal, retry=None))
        registry.add(discover().registration("orbstack"))
        handle = registry.get("orbstack", **settings)
        handle.list_instances()  # built and warm before timing
        times = []
        for n in range(spawns):
            options = SpawnOptions(name=f"b-{n}", instance_type="small", idempotency_key=f"bench-{n}")
            started = time.perf_counter()
            instance = handle.spawn(options)
            times.append(time.perf_counter() - started)
            handle.terminate(instance.id)  # the sim has a capacity limit; not timed
        registry.close()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spawns", type=int, default=60)
    spawns = parser.parse_args().spawns
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base = per_spawn(None, spawns)
        sqlite = per_spawn(f"sqlite:///{tmp}/journal.db", spawns)
        rows.append(("SQLite (one file, WAL)", sqlite))
        bin_dir = server_bin()
        if bin_dir is not None:
            with postgres_server(bin_dir) as admin:
                rows.append(("PostgreSQL 15 (unix socket)", per_spawn(fresh_database(admin), spawns)))
    print("| journal | per spawn | without journal | ratio |")
    print("|---|---|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds * 1000:.2f} ms | {base * 1000:.2f} ms | {seconds / base:.2f} |")


if __name__ == "__main__":
    main()
