"""Proof by killing: a control plane in a child process is SIGKILLed at each step of a spawn and of a
terminate; after recover() there is no leaked and no duplicated machine, and recovering again changes
nothing. The test doubles live in this process, so what the child did survives it."""

from __future__ import annotations

import signal
import uuid
from pathlib import Path

import pytest

from provider_core import RecoveryPolicy, SpawnOptions
from provider_core._journal import State, key_digest
from provider_core.author import GONE_STATUSES
from provider_core.testing._tools import eventually
from tests.journal.child import KILL_POINTS, RUN_TAG
from tests.journal.harness import PROVIDERS, alive_by_key, cleanup, parent, start


@pytest.mark.parametrize("op", ["spawn", "terminate"])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_control_plane_killed_at_every_step_leaks_and_duplicates_nothing(
    provider: str, op: str, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:10]
    journal_url = f"sqlite:///{tmp_path / 'journal.db'}"
    with parent(provider, journal_url) as (handle, settings):
        journal = handle._journal() if handle._journal is not None else None
        assert journal is not None
        profile = handle.registration.compliance
        assert profile is not None
        try:
            for point in KILL_POINTS:
                key = f"k-{run}-{point}"
                options = SpawnOptions(
                    name=f"j-{key[-12:]}",
                    instance_type=profile.instance_type,
                    region=profile.region,
                    idempotency_key=key,
                    tags={RUN_TAG: run},
                )
                spec = {
                    "provider": provider,
                    "settings": settings,
                    "journal": journal_url,
                    "op": op,
                    "kill_at": point,
                    "run": run,
                }
                target = None
                if op == "spawn":
                    spec["keys"] = [key]
                else:
                    target = handle.spawn(options)
                    spec["ids"] = [target.id]
                child = start(spec)
                _, err = child.communicate(timeout=120)
                assert child.returncode == -signal.SIGKILL, f"{point}: the child was not killed: {err}"

                report = handle.recover(RecoveryPolicy.ADOPT)
                assert not report.errors, report
                assert not report.busy, report
                did = (
                    "adopted"
                    if report.adopted
                    else "finished terminate"
                    if report.terminates_finished
                    else ("nothing created" if report.not_created else "nothing to do")
                )
                print(f"KILL | {provider} | {op} | {point} | {did} |")  # the table in benchmarks/RESULTS.md
                alive = alive_by_key(handle, run).get(key, [])
                assert len(alive) <= 1, f"{provider} {op} killed {point}: duplicated {alive}"
                if op == "spawn":
                    # Not leaked: whatever the child created is the key's instance in the journal...
                    bound = journal.bound(provider, key_digest(provider, key))
                    assert [i.id for i in alive] == ([bound] if bound else []), (point, report)
                    # ...and the key still gives exactly that instance, or one new one when none was made.
                    again = handle.spawn(options)
                    assert bound in (None, again.id)
                    assert [i.id for i in alive_by_key(handle, run)[key]] == [again.id]
                else:
                    assert target is not None
                    gone, last = eventually(
                        lambda t=target.id: handle.get_instance(t),  # type: ignore[misc]
                        lambda i: i is None or i.status in GONE_STATUSES,
                        30,
                    )
                    assert gone, f"{provider} terminate killed {point}: {last} still alive after recover"
                assert journal.unfinished(provider) == []
                assert not handle.recover(RecoveryPolicy.ADOPT).changed  # twice changes nothing
            states = {i.state for i in journal.intents()}
            assert states <= {State.CREATED, State.CONFIRMED, State.ABANDONED}
        finally:
            cleanup(handle, run)
