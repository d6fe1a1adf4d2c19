"""The sim narrows a listing in SQL: the provider itself returns only what the filter keeps, and the same
instances the core's own filter would keep."""

from __future__ import annotations

import pytest

from provider_core import InstanceStatus, ListFilter, ProviderHandle, ProviderInstance, SpawnOptions
from provider_core.author import project
from provider_orbstack import OrbStackInstance
from tests.provider_orbstack.conftest import Clock


@pytest.fixture
def machines(handle: ProviderHandle, clock: Clock) -> list[OrbStackInstance]:
    """Managed machines of every kind, and one unmanaged machine the listing must never read."""
    made = [
        handle.spawn(SpawnOptions(name="api-1", instance_type="small", tags={"team": "a"})),
        handle.spawn(SpawnOptions(name="db-1", instance_type="small", region="local-2", tags={"team": "b"})),
        handle.spawn(SpawnOptions(name="api-2", instance_type="medium", tags={'odd "key".x': "1"})),
    ]
    handle.provider.spawn(SpawnOptions(name="api-unmanaged", instance_type="small", tags={"team": "a"}))
    clock.advance(1.0)
    handle.terminate(made[1].id)
    handle.provider.backend.set_status(made[2].id, InstanceStatus.STOPPED, "staged")  # type: ignore[attr-defined]
    return [handle.provider.get_instance(m.id) for m in made]  # type: ignore[misc]


@pytest.mark.parametrize(
    "wanted",
    [
        None,
        ListFilter(),
        ListFilter(statuses=["running"]),
        ListFilter(statuses=["terminating", "stopped"]),
        ListFilter(statuses=[]),
        ListFilter(region="local-2"),
        ListFilter(tags={"team": "a"}),
        ListFilter(tags={'odd "key".x': "1"}),
        ListFilter(tags={"team": "a", "other": "x"}),
        ListFilter(name_prefix="api"),
        ListFilter(name_prefix="%"),
        ListFilter(name_prefix=""),
    ],
)
def test_the_provider_returns_exactly_what_the_core_keeps(
    handle: ProviderHandle, machines: list[OrbStackInstance], wanted: ListFilter | None
) -> None:
    listed = handle.provider.list_instances(wanted)
    kept = sorted(m.id for m in machines if (wanted or ListFilter()).matches(m))
    assert sorted(i.id for i in listed) == kept
    # One object per row: the listing builds generic instances, which the core keeps as they are.
    assert all(type(i) is ProviderInstance for i in listed)
    assert sorted(i.id for i in handle.list_instances(wanted)) == kept


def test_a_listed_machine_carries_what_get_instance_shows(
    handle: ProviderHandle, machines: list[OrbStackInstance]
) -> None:
    # The listing is the projection of what get_instance shows, in the order the machines were made.
    assert handle.provider.list_instances() == [project(m, ProviderInstance) for m in machines]
