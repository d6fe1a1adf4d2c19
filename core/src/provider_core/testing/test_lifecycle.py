"""The core contract: spawn, get_instance, list_instances and terminate."""

from __future__ import annotations

import pytest

from provider_core import ErrorCode, InstanceStatus, ProviderError, ProviderHandle, ProviderInstance
from provider_core.author import MANAGED_TAG, ProviderRegistration
from provider_core.testing._fixtures import Unbuildable
from provider_core.testing._session import ProviderSession, Spawner
from provider_core.testing._tools import is_alive, unknown_id


def _gone(instance: ProviderInstance | None) -> bool:
    return instance is None or instance.status == InstanceStatus.TERMINATED


def _check_status(instance: ProviderInstance, source: str) -> None:
    assert isinstance(instance.status, InstanceStatus), (
        f"{source} returned an invalid status {instance.status!r} for {instance.id}: "
        f"it must be one of {', '.join(InstanceStatus)}"
    )


def test_provider_can_be_built(built: ProviderSession | Unbuildable) -> None:
    """Reported here only: every other test of a provider that cannot be built is skipped."""
    if isinstance(built, Unbuildable):
        pytest.fail(built.reason, pytrace=False)


def test_spawn_returns_id_and_valid_status(spawn: Spawner, registration: ProviderRegistration) -> None:
    instance = spawn("basic")
    assert isinstance(instance.id, str), f"spawn must return an id, got {instance.id!r}"
    assert instance.id, "spawn must return an id, got an empty one"
    _check_status(instance, "spawn")
    assert instance.status not in (InstanceStatus.TERMINATED, InstanceStatus.TERMINATING), (
        f"spawn returned an instance that is already {instance.status}"
    )
    assert instance.provider == registration.name, (
        f"spawn returned provider={instance.provider!r}, not the registration's name {registration.name!r}"
    )


def test_spawned_instance_is_visible(
    handle: ProviderHandle, spawn: Spawner, provider_session: ProviderSession
) -> None:
    instance = spawn("visible")
    found = spawn.fetch(instance.id)
    assert found.id == instance.id, f"get_instance({instance.id!r}) returned another instance, {found.id}"
    _check_status(found, "get_instance")
    listed, instances = provider_session.wait(
        handle.list_instances, lambda got: any(i.id == instance.id for i in got), "list_instances after spawn"
    )
    assert listed, f"list_instances does not list the spawned instance {instance.id}"
    for item in instances:
        _check_status(item, "list_instances")


def test_spawn_creates_exactly_one_instance(spawn: Spawner, provider_session: ProviderSession) -> None:
    instance = spawn("single")
    _, mine = provider_session.wait(spawn.alive_ids, lambda ids: instance.id in ids, "listing a new instance")
    assert mine == [instance.id], (
        f"spawn created {len(mine)} instances for one call (expected only {instance.id}): {mine}"
    )


def test_management_tag_is_present(handle: ProviderHandle, spawn: Spawner) -> None:
    instance = spawn("tagged", tags={"cc-owner": "compliance"})
    found = spawn.fetch(instance.id)
    assert found.tags.get(MANAGED_TAG) == "true", (
        f"management tag missing: get_instance({instance.id!r}).tags lacks {MANAGED_TAG}=true "
        f"(tags: {dict(found.tags)})"
    )
    assert found.tags.get("cc-owner") == "compliance", (
        f"spawn dropped the caller's tags: cc-owner=compliance missing from {dict(found.tags)}"
    )
    unmanaged = [i.id for i in handle.list_instances() if not i.managed]
    assert not unmanaged, f"list_instances must return managed instances only, it returned {unmanaged}"


def test_terminate_is_idempotent(handle: ProviderHandle, spawn: Spawner) -> None:
    instance = spawn("twice")
    handle.terminate(instance.id)
    try:
        handle.terminate(instance.id)
    except ProviderError as exc:
        pytest.fail(f"terminate is not idempotent: second call raised {exc!r}", pytrace=False)


def test_terminate_unknown_id_is_a_no_op(handle: ProviderHandle, spawn: Spawner) -> None:
    sample = spawn("sample")
    missing = unknown_id(sample.id, {i.id for i in handle.list_instances()})
    try:
        handle.terminate(missing)
    except ProviderError as exc:
        pytest.fail(
            f"terminate is not idempotent: terminating unknown id {missing!r} raised {exc!r}", pytrace=False
        )


def test_terminated_instance_ends_terminated_or_absent(
    handle: ProviderHandle, spawn: Spawner, provider_session: ProviderSession
) -> None:
    instance = spawn("ends")
    handle.terminate(instance.id)
    gone, last = provider_session.wait(
        lambda: handle.get_instance(instance.id), _gone, "waiting for terminate"
    )
    assert gone, (
        f"terminate did not take effect: instance {instance.id} is still "
        f"{last.status if last else '?'} {provider_session.waited()} after terminate"
    )
    alive = [i for i in handle.list_instances() if i.id == instance.id and is_alive(i)]
    assert not alive, f"list_instances still lists terminated instance {instance.id} as {alive[0].status}"


def test_get_instance_returns_none_for_unknown_id(handle: ProviderHandle, spawn: Spawner) -> None:
    sample = spawn("sample")
    missing = unknown_id(sample.id, {i.id for i in handle.list_instances()})
    try:
        found = handle.get_instance(missing)
    except ProviderError as exc:
        pytest.fail(f"get_instance must return None for an unknown id, it raised {exc!r}", pytrace=False)
    assert found is None, f"get_instance must return None for an unknown id {missing!r}, got {found!r}"


def test_impossible_spec_raises_invalid_spec(
    handle: ProviderHandle, spawn: Spawner, unique_name: str
) -> None:
    options = spawn.options("impossible", instance_type=f"{unique_name}-no-such-type")
    try:
        created = handle.spawn(options)
    except ProviderError as exc:
        raised = exc
    else:
        spawn.track(created)
        pytest.fail(
            f"an impossible spec (unknown instance type {options.instance_type!r}) was accepted: "
            f"spawn returned {created.id}",
            pytrace=False,
        )
    assert raised.code == ErrorCode.INVALID_SPEC, (
        f"an impossible spec (unknown instance type) must raise ProviderError(INVALID_SPEC), "
        f"got {raised.code}: {raised}"
    )


def test_handle_returns_generic_types(handle: ProviderHandle, spawn: Spawner) -> None:
    instance = spawn("generic")
    found = spawn.fetch(instance.id)
    results = [
        ("spawn", instance),
        ("get_instance", found),
        *(("list_instances", i) for i in handle.list_instances()),
    ]
    wrong = [
        f"{source} gave {type(value).__name__}"
        for source, value in results
        if type(value) is not ProviderInstance
    ]
    assert not wrong, f"the handle must return exactly ProviderInstance: {', '.join(wrong)}"
