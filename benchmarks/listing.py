"""Listing at scale on the OrbStack sim against a raw SQL fetch of the same rows, with peak memory, and a
reconcile of N expected against N listed.

The machines are written straight into the sim's SQLite file (spawning 100,000 through the API would
measure spawning); every one is managed and one in ten terminated, so the listing returns every row and
the floor is `SELECT * FROM machines`, fetched with the sqlite3 module and nothing else.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import time
import tracemalloc
from functools import partial
from pathlib import Path

import provider_core
from benchmarks._common import Figure, Size, interleaved, ms
from provider_core import InstanceStatus, ProviderHandle
from provider_core.author import MANAGED_TAG

RATIO_GOAL = 2.0
MEMORY_GOAL_MIB = 100.0
RECONCILE_GOAL_MS = 100.0
COLUMNS = (
    "id, name, instance_type, region, image, spot, tags, private_ip, created_at, ready_at, terminate_at,"
    " gone_at"
)


def fill(path: Path, count: int) -> list[str]:
    """count managed machines, as spawns would have left them; returns their ids."""
    now = time.time()
    rows = [
        (
            f"orb-{n:012x}",
            f"bench-{n}",
            ("small", "medium")[n % 2],
            ("local", "local-2")[n % 3 == 0],
            "ubuntu",
            0,
            json.dumps({MANAGED_TAG: "true", "team": f"t{n % 7}"}, sort_keys=True),
            f"198.19.249.{n % 250 + 2}",
            now - count + n,
            now - count + n + 1,
            now - 10 if n % 10 == 0 else None,
            now - 9 if n % 10 == 0 else None,
        )
        for n in range(count)
    ]
    with sqlite3.connect(path) as conn:
        conn.executemany(f"INSERT INTO machines ({COLUMNS}) VALUES ({', '.join('?' * 12)})", rows)
    conn.close()
    return [str(row[0]) for row in rows]


def raw_fetch(path: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT * FROM machines").fetchall()
    finally:
        conn.close()


def peak_mib(handle: ProviderHandle) -> float:
    tracemalloc.start()
    try:
        listed = handle.list_instances()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del listed
    return peak / 2**20


def sim(directory: str, name: str) -> tuple[ProviderHandle, Path]:
    """A handle on a fresh sim file, from the registry a control plane gets (plugins included)."""
    path = Path(directory) / f"{name}.db"
    handle = provider_core.discover().get("orbstack", backend="sim", state_path=str(path))
    handle.health_check()  # builds the provider, which creates the schema
    return handle, path


def figures(size: Size) -> list[Figure]:
    found = []
    command = "hatch run bench --only listing"
    with tempfile.TemporaryDirectory() as directory:
        for count in size.listing:
            handle, path = sim(directory, f"list-{count}")
            fill(path, count)
            best = interleaved(
                {"raw": partial(raw_fetch, path), "handle": handle.list_instances}, size.rounds
            )
            peak = peak_mib(handle)
            top = count == max(size.listing)
            found.append(
                Figure(
                    f"OrbStack sim: list {count:,} through the handle / raw SQL fetch of the same rows",
                    RATIO_GOAL if top else None,
                    f"`SELECT * FROM machines` ({ms(best['raw'])})",
                    best["handle"] / best["raw"],
                    f"{ms(best['handle'])} vs {ms(best['raw'])}; peak {peak:.1f} MiB"
                    + (
                        f" (goal {MEMORY_GOAL_MIB:g} MiB: {'ok' if peak <= MEMORY_GOAL_MIB else 'MISSED'})"
                        if top
                        else ""
                    ),
                    command,
                    also_missed=f"peak {peak:.0f} MiB" if top and peak > MEMORY_GOAL_MIB else "",
                )
            )
            handle.close()
        handle, path = sim(directory, "reconcile")
        ids = fill(path, size.reconcile)
        # What a control plane believes: mostly right, a few wrong either way.
        expected = {i: InstanceStatus.RUNNING for i in ids[1:]}
        expected["orb-gone"] = InstanceStatus.RUNNING
        best = interleaved(
            {"raw": lambda: raw_fetch(path), "reconcile": lambda: handle.reconcile(expected)}, size.rounds
        )
        report = handle.reconcile(expected)
        handle.close()
    found.append(
        Figure(
            f"OrbStack sim: reconcile {size.reconcile:,} expected vs {size.reconcile:,} listed",
            RECONCILE_GOAL_MS,
            "absolute (raw fetch of the rows shown beside)",
            best["reconcile"] * 1e3,
            f"{ms(best['reconcile'])} ({len(report.drift)} drifts found); raw fetch {ms(best['raw'])}, "
            f"{best['reconcile'] / best['raw']:.2f}x",
            "hatch run bench --only listing",
            unit="ms",
        )
    )
    return found
