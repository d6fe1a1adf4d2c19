"""The handle with a journal: intents written before the provider is called, the key minted once and
reused by retries, handed to the provider only with idempotent_spawn, the key rule on every provider."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from provider_core import (
    BootstrapConfig,
    ErrorCode,
    InstanceStatus,
    ProviderError,
    ProviderHandle,
    ProviderInstance,
    ProviderRegistry,
    RecoveryPolicy,
    RetryPolicy,
    SpawnOptions,
)
from provider_core._config import CoreConfig
from provider_core._journal import Kind, State, key_digest
from provider_core.author import IDEMPOTENCY_TAG
from provider_core.testing.memory import CAPABILITIES, MemoryProvider, MemorySettings, registration

FAST = RetryPolicy(max_attempts=4, base_delay=0.001, max_delay=0.002, max_total=5)


class LostAnswer(MemoryProvider):
    """Creates the instance, then loses the answer (UNAVAILABLE) on the first `lose` spawns."""

    lose = 1

    def __init__(self, settings: MemorySettings | None = None) -> None:
        super().__init__(settings)
        self.seen: list[SpawnOptions] = []

    def spawn(self, options: SpawnOptions) -> ProviderInstance:
        self.seen.append(options)
        instance = super().spawn(options)
        if len(self.seen) <= self.lose:
            raise ProviderError(ErrorCode.UNAVAILABLE, "connection reset", provider=self.name)
        return instance


class NoKeys(LostAnswer):
    """The same, from a provider that takes no idempotency key and does nothing with one."""

    def spawn(self, options: SpawnOptions) -> ProviderInstance:
        assert options.idempotency_key is None
        return super().spawn(options)


def _handle(tmp_path: Path, provider: type[MemoryProvider], **config: Any) -> Iterator[ProviderHandle]:
    registry = ProviderRegistry(CoreConfig(journal=f"sqlite:///{tmp_path / 'j.db'}", **config))
    capabilities = (
        CAPABILITIES if provider is not NoKeys else attrs.evolve(CAPABILITIES, idempotent_spawn=False)
    )
    registry.add(attrs.evolve(registration(provider=provider), capabilities=capabilities))
    yield registry.get("memory")
    registry.close()


@pytest.fixture(params=[LostAnswer, NoKeys], ids=["idempotent_spawn", "no-idempotent_spawn"])
def handle(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ProviderHandle]:
    yield from _handle(tmp_path, request.param, retry=FAST)


def _journal(handle: ProviderHandle) -> Any:
    return handle._journal() if handle._journal is not None else None


def test_a_minted_key_makes_a_retried_spawn_create_one_instance(handle: ProviderHandle) -> None:
    provider: Any = handle.provider
    instance = handle.spawn(SpawnOptions(name="a", instance_type="mem.small"))
    alive = [i for i in handle.list_instances() if i.status is not InstanceStatus.TERMINATED]
    assert [i.id for i in alive] == [instance.id]
    key = instance.tags[IDEMPOTENCY_TAG]
    assert key.startswith("pc-")
    if handle.capabilities.idempotent_spawn:  # the same minted key on every attempt
        assert [o.idempotency_key for o in provider.seen] == [key, key]
    else:  # never handed over; the second attempt found the instance by its tag instead of creating one
        assert len(provider.seen) == 1
    [intent] = _journal(handle).intents()
    assert (intent.state, intent.instance_id) == (State.CREATED, instance.id)
    assert intent.key_digest == key_digest("memory", key)


def test_a_key_is_bound_to_its_first_instance_for_good(handle: ProviderHandle) -> None:
    # For a provider without idempotent_spawn, the journal carries the caller's key.
    options = SpawnOptions(name="a", instance_type="mem.small", idempotency_key="job-7")
    first = handle.spawn(options)
    handle.terminate(first.id)
    provider: Any = handle.provider
    provider.instances.clear()  # the provider forgets terminated machines, as Lambda and RunPod do
    again = handle.spawn(options)
    assert (again.id, again.status) == (first.id, InstanceStatus.TERMINATED)
    assert handle.list_instances() == []


def test_without_a_journal_a_spawn_without_a_key_is_not_retried(tmp_path: Path) -> None:
    registry = ProviderRegistry(CoreConfig(retry=FAST))
    registry.add(registration(provider=LostAnswer))
    handle = registry.get("memory")
    with pytest.raises(ProviderError, match="connection reset"):
        handle.spawn(SpawnOptions(name="a", instance_type="mem.small"))
    assert len(handle.list_instances()) == 1  # created once, not again
    with pytest.raises(ProviderError, match="recover needs a spawn journal"):
        handle.recover(RecoveryPolicy.ADOPT)


def test_an_unknown_outcome_is_left_for_recover_which_adopts_it(tmp_path: Path) -> None:
    for handle in _handle(tmp_path, LostAnswer, retry=None):
        with pytest.raises(ProviderError):
            handle.spawn(SpawnOptions(name="a", instance_type="mem.small"))
        [intent] = _journal(handle).unfinished("memory")
        assert intent.state is State.UNCERTAIN
        report = handle.recover(RecoveryPolicy.ADOPT)
        [created] = handle.list_instances()
        assert report.adopted == (created.id,)
        assert _journal(handle).unfinished("memory") == []
        assert not handle.recover(RecoveryPolicy.ADOPT).changed  # twice changes nothing


def test_a_definite_failure_is_finished_and_creates_nothing(tmp_path: Path) -> None:
    for handle in _handle(tmp_path, MemoryProvider):
        with pytest.raises(ProviderError) as caught:
            handle.spawn(SpawnOptions(name="a", instance_type="no-such-type"))
        assert caught.value.code is ErrorCode.INVALID_SPEC
        [intent] = _journal(handle).intents()
        assert (intent.state, intent.code) == (State.FAILED, "INVALID_SPEC")


def test_terminates_are_recorded_requested_then_confirmed(tmp_path: Path) -> None:
    for handle in _handle(tmp_path, MemoryProvider):
        instance = handle.spawn(SpawnOptions(name="a", instance_type="mem.small"))
        handle.terminate(instance.id)
        kinds = [(i.kind, i.state, i.instance_id) for i in _journal(handle).intents()]
        assert kinds[-1] == (Kind.TERMINATE, State.CONFIRMED, instance.id)


def test_the_journal_holds_no_key_token_or_option_in_clear(tmp_path: Path) -> None:
    for handle in _handle(tmp_path, MemoryProvider):
        script = handle.generate_bootstrap(
            BootstrapConfig("https://cp.example", instance_token="tok-SECRET-123")
        )
        options = SpawnOptions(
            name="n",
            instance_type="mem.small",
            idempotency_key="key-SECRET-456",
            bootstrap=script,
            tags={"team": "tag-SECRET-789"},
        )
        handle.spawn(options)
    dump = "\n".join(sqlite3.connect(tmp_path / "j.db").iterdump())
    for secret in ("tok-SECRET-123", "key-SECRET-456", "tag-SECRET-789"):
        assert secret not in dump
