"""Many processes on one sim database: one machine per idempotency key, none lost, capacity holds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.provider_orbstack.conftest import build_provider

WORKER = """
import json, sys
from provider_core import ProviderError, SpawnOptions
from provider_core.author import IDEMPOTENCY_TAG, MANAGED_TAG, resolve_settings
from provider_orbstack import OrbStackProvider, OrbStackSettings

path, key, instance_type, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
# Room for every small machine, so only the (default) large capacity can run out.
settings = resolve_settings(OrbStackSettings, dict(backend="sim", state_path=path, boot_delay=0,
                            max_instances=1000, max_vcpus=4000, capacity={"small@local": 1000}),
                            provider="orbstack")
provider = OrbStackProvider(settings)
sys.stdin.readline()  # start together
results = []
for n in range(rounds):
    # Every worker walks the same keys in the same order, so each key is raced by all of them.
    # The tags are the ones the core adds to a spawn through a handle.
    idem = None if key == "-" else f"{key}-{n}"
    tags = {MANAGED_TAG: "true"}
    if idem is not None:
        tags[IDEMPOTENCY_TAG] = idem
    try:
        instance = provider.spawn(SpawnOptions(
            name=f"w{n}", instance_type=instance_type, tags=tags, idempotency_key=idem))
        results.append(instance.id)
    except ProviderError as exc:
        results.append(exc.code.value)
print(json.dumps(results))
"""


def run_workers(
    path: Path, keys: list[str], instance_type: str = "small", rounds: int = 1
) -> list[list[str]]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(path), key, instance_type, str(rounds)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for key in keys
    ]
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    outputs = []
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        outputs.append(json.loads(out))
    return outputs


def test_same_idempotency_key_from_many_processes_makes_one_machine(tmp_path: Path) -> None:
    db = tmp_path / "sim.db"
    build_provider(backend="sim", state_path=str(db))  # create the schema once
    results = run_workers(db, ["job"] * 8, rounds=40)
    assert all(r == results[0] for r in results)  # every process got the same machine for each key
    assert all(i.startswith("orb-") for i in results[0])
    assert len(set(results[0])) == 40
    assert len(build_provider(backend="sim", state_path=str(db)).list_instances()) == 40


def test_concurrent_spawns_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "sim.db"
    results = run_workers(db, ["-"] * 6, rounds=20)  # schema created concurrently too
    ids = [i for r in results for i in r]
    assert all(i.startswith("orb-") for i in ids)
    assert len(ids) == len(set(ids)) == 120
    listed = build_provider(backend="sim", state_path=str(db)).list_instances()
    assert sorted(i.id for i in listed) == sorted(ids)


def test_capacity_is_never_oversubscribed_under_concurrency(tmp_path: Path) -> None:
    db = tmp_path / "sim.db"
    build_provider(backend="sim", state_path=str(db))
    results = run_workers(db, ["-"] * 6, instance_type="large", rounds=6)  # 36 tries for 8 slots in local
    outcomes = [o if o == "CAPACITY_ERROR" else "ok" for r in results for o in r]
    assert outcomes.count("ok") == 8
    assert outcomes.count("CAPACITY_ERROR") == 28
