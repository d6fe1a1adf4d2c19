"""Settle what a crash left unfinished in the journal: `handle.recover(policy)`, `providers recover NAME`.

For every interrupted spawn (REQUESTED or UNCERTAIN) whose lease no live process holds, the instance is
looked up by its key tag and adopted or terminated as the policy says; instances beyond the first with
one key are duplicates and are terminated; a key already bound keeps its instance. Interrupted
terminates are finished. A second run finds nothing unfinished and changes nothing.
"""

from __future__ import annotations

from enum import StrEnum

from attrs import Factory, define, frozen

from provider_core._errors import ProviderError
from provider_core._journal import LEASE_SECONDS, Intent, Journal, Kind, State, holder_name
from provider_core._journaled import JournaledHandle, find_by_key
from provider_core._types import GONE_STATUSES, ProviderInstance


class RecoveryPolicy(StrEnum):
    ADOPT = "adopt"  # record the instance an interrupted spawn created, as if the spawn had returned it
    TERMINATE = "terminate"  # terminate it (the key stays bound to it: a later spawn returns it terminated)


@frozen
class RecoveryReport:
    provider: str
    policy: RecoveryPolicy
    adopted: tuple[str, ...] = ()  # instance ids recorded as created
    terminated: tuple[str, ...] = ()  # instance ids terminated by the policy
    duplicates: tuple[str, ...] = ()  # second instances with one key, terminated
    not_created: int = 0  # interrupted spawns that created nothing
    terminates_finished: tuple[str, ...] = ()  # interrupted terminates now confirmed
    busy: int = 0  # intents a live process is still working on, left alone
    errors: tuple[str, ...] = ()  # what could not be settled this time (run again)

    @property
    def changed(self) -> bool:
        return bool(
            self.adopted or self.terminated or self.duplicates or self.not_created or self.terminates_finished
        )


@define
class _Tally:
    adopted: list[str] = Factory(list)
    terminated: list[str] = Factory(list)
    duplicates: list[str] = Factory(list)
    not_created: int = 0
    terminates_finished: list[str] = Factory(list)
    busy: int = 0
    errors: list[str] = Factory(list)


def recover(handle: JournaledHandle, journal: Journal, policy: RecoveryPolicy) -> RecoveryReport:
    policy = RecoveryPolicy(policy)
    tally = _Tally()
    for intent in journal.unfinished(handle.name):
        try:
            if intent.kind is Kind.TERMINATE:
                _finish_terminate(handle, journal, intent, tally)
            else:
                _settle_spawn(handle, journal, intent, policy, tally)
        except ProviderError as exc:
            tally.errors.append(f"intent {intent.id} ({intent.kind}): {exc.code}: {exc.message}")
    return RecoveryReport(
        handle.name,
        policy,
        tuple(tally.adopted),
        tuple(tally.terminated),
        tuple(tally.duplicates),
        tally.not_created,
        tuple(tally.terminates_finished),
        tally.busy,
        tuple(tally.errors),
    )


def _finish_terminate(handle: JournaledHandle, journal: Journal, intent: Intent, tally: _Tally) -> None:
    if intent.instance_id is not None:
        handle.terminate(intent.instance_id)
        tally.terminates_finished.append(intent.instance_id)
    journal.finish(intent.id, State.CONFIRMED, code="finished by recover")


def _settle_spawn(
    handle: JournaledHandle, journal: Journal, intent: Intent, policy: RecoveryPolicy, tally: _Tally
) -> None:
    digest = intent.key_digest
    if digest is None:  # pragma: no cover - every spawn intent has a key; kept for a hand-edited journal
        journal.finish(intent.id, State.ABANDONED, code="no key")
        return
    holder = holder_name()
    if journal.try_lease(handle.name, digest, holder, LEASE_SECONDS) is not None:
        tally.busy += 1  # its spawn is still running somewhere: that process records the outcome
        return
    try:
        bound = journal.bound(handle.name, digest)
        found = find_by_key(handle, digest)
        keep = bound if bound is not None else (found[0].id if found else None)
        for extra in found:
            if extra.id != keep and _alive(extra):
                handle.terminate(extra.id)
                tally.duplicates.append(extra.id)
        if keep is None:
            journal.finish(intent.id, State.ABANDONED, code="nothing was created")
            tally.not_created += 1
        elif bound is not None:
            journal.finish(intent.id, State.CREATED, instance_id=bound, code="key already bound")
        elif policy is RecoveryPolicy.ADOPT:
            journal.finish(intent.id, State.CREATED, instance_id=keep, code="adopted by recover")
            tally.adopted.append(keep)
        else:
            handle.terminate(keep)
            journal.finish(intent.id, State.TERMINATED, instance_id=keep, code="terminated by recover")
            tally.terminated.append(keep)
    finally:
        journal.release(handle.name, digest, holder)


def _alive(instance: ProviderInstance) -> bool:
    return instance.status not in GONE_STATUSES
