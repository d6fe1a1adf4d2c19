"""N processes x M shared keys on each backend: exactly one instance per key, on the sim and on Lambda
(whose API has no client token: without the journal's lease two processes can both create). Processes
sharing a journal also share Lambda's per-account request budget."""

from __future__ import annotations

import json
import os
import random
import uuid
from collections.abc import Mapping
from pathlib import Path

import pytest

from provider_lambda.testing import LambdaEmulator, settings_for
from tests.journal.harness import alive_by_key, cleanup, parent, start

# "N,M"; CI runs the small size.
PROCESSES, KEYS = (int(n) for n in os.environ.get("PROVIDER_CORE_JOURNAL_PROCESSES", "4,3").split(","))


def run_children(spec: Mapping[str, object], keys: list[str], tmp_path: Path) -> list[dict[str, str]]:
    go = tmp_path / "go"
    children = []
    for n in range(PROCESSES):
        mine = list(keys)
        random.Random(n).shuffle(mine)
        children.append(start({**spec, "keys": mine, "go": str(go)}))
    for child in children:  # every child built its provider and waits: start them together
        assert child.stdout is not None
        assert json.loads(child.stdout.readline() or "{}").get("ready"), child.communicate()[1]
    go.touch()
    results = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        results += [json.loads(line) for line in out.splitlines()]
    return results


@pytest.mark.parametrize("provider", ["orbstack", "lambda"])
def test_processes_sharing_a_journal_get_one_instance_per_key(
    provider: str, journal_url: str, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:10]
    keys = [f"k-{run}-{m}" for m in range(KEYS)]
    with parent(provider, journal_url) as (handle, settings):
        try:
            spec = {
                "provider": provider,
                "settings": settings,
                "journal": journal_url,
                "op": "spawn",
                "run": run,
            }
            results = run_children(spec, keys, tmp_path)
            alive = alive_by_key(handle, run)
            duplicates = {k: [i.id for i in v] for k, v in alive.items() if len(v) > 1}
            assert not duplicates, f"{provider}: keys with more than one instance: {duplicates}"
            assert sorted(alive) == sorted(keys)
            for result in results:  # every process was given the key's one instance
                assert [i.id for i in alive[result["key"]]] == [result["spawned"]]
        finally:
            cleanup(handle, run)


def test_processes_sharing_a_journal_share_lambdas_request_budget(tmp_path: Path) -> None:
    # One backend is enough: both reserve slots with the same single SQL statement (test_journal_backends).
    journal_url = f"sqlite:///{tmp_path / 'journal.db'}"
    run = uuid.uuid4().hex[:10]
    with LambdaEmulator() as emulator:
        # The emulator answers 429 to requests closer together than this, account-wide, like Lambda.
        emulator.enforce_limits(0.02, 0.02)
        # Slots 0.2 s apart: a process may send up to 0.18 s late (a loaded CI machine) and still pass.
        settings = settings_for(emulator, request_interval=0.2, launch_interval=0.2)
        spec = {"provider": "lambda", "settings": settings, "journal": journal_url, "op": "spawn", "run": run}
        results = run_children(spec, [f"k-{run}"], tmp_path)
        assert emulator.throttled == 0
        assert len({r["spawned"] for r in results}) == 1
