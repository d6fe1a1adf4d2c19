"""list_instances filters: each criterion with instances that must match and ones that must not."""

from __future__ import annotations

import pytest

from provider_core import InstanceStatus, ListFilter, ProviderHandle, ProviderInstance
from provider_core.author import ComplianceProfile
from provider_core.testing._session import ProviderSession, Spawner
from provider_core.testing._tools import requires


def _check_filter(
    handle: ProviderHandle,
    what: str,
    filter: ListFilter,
    matching: list[ProviderInstance],
    other: list[ProviderInstance],
    session: ProviderSession,
) -> None:
    """Matching instances must show up (allowing for eventual consistency); the others never may."""
    wanted = {i.id for i in matching}
    found, listed = session.wait(
        lambda: {i.id for i in handle.list_instances(filter)}, lambda ids: wanted <= ids, f"the {what} filter"
    )
    assert found, (
        f"list_instances with the {what} filter {filter} misses matching instances {sorted(wanted - listed)}"
    )
    leaked = sorted(i.id for i in other if i.id in listed)
    assert not leaked, f"list_instances ignores the {what} filter: {filter} returned non-matching {leaked}"


def _wait_for(
    session: ProviderSession, instance: ProviderInstance, statuses: set[InstanceStatus | None]
) -> None:
    def status() -> InstanceStatus | None:
        found = session.handle.get_instance(instance.id)
        return None if found is None else found.status

    wanted = sorted(map(str, statuses))
    reached, last = session.wait(status, lambda s: s in statuses, f"waiting for {instance.id} to be {wanted}")
    assert reached, f"instance {instance.id} never reached {wanted} in {session.waited()}: {last}"


def test_list_filter_by_status(
    handle: ProviderHandle, spawn: Spawner, provider_session: ProviderSession
) -> None:
    keep, gone = spawn("keep"), spawn("gone")
    handle.terminate(gone.id)
    _wait_for(provider_session, keep, {InstanceStatus.RUNNING})
    _wait_for(provider_session, gone, {InstanceStatus.TERMINATED, None})
    running = ListFilter(statuses={InstanceStatus.RUNNING})
    _check_filter(handle, "status", running, [keep], [gone], provider_session)
    finished = ListFilter(statuses={InstanceStatus.TERMINATED, InstanceStatus.STOPPED})
    _check_filter(handle, "status", finished, [], [keep], provider_session)


@pytest.fixture
def alt_region(profile: ComplianceProfile) -> str:
    if profile.alt_region is None:
        pytest.skip("the ComplianceProfile names no alt_region")
    return profile.alt_region


@requires("multi_region")
def test_list_filter_by_region(
    handle: ProviderHandle,
    spawn: Spawner,
    profile: ComplianceProfile,
    alt_region: str,
    provider_session: ProviderSession,
) -> None:
    home, away = spawn("home", region=profile.region), spawn("away", region=alt_region)
    found = spawn.fetch(away.id)
    assert found.region == alt_region, f"spawn ignored the region: asked for {alt_region}, got {found.region}"
    home_region = spawn.fetch(home.id).region
    assert home_region, f"instance {home.id} reports no region although the provider declares multi_region"
    _check_filter(handle, "region", ListFilter(region=home_region), [home], [away], provider_session)
    _check_filter(handle, "region", ListFilter(region=alt_region), [away], [home], provider_session)


def test_list_filter_by_tags(
    handle: ProviderHandle, spawn: Spawner, unique_name: str, provider_session: ProviderSession
) -> None:
    match = f"{unique_name}-match"
    both = spawn("both", tags={"cc-filter": match, "cc-extra": "yes"})
    wrong_value = spawn("wrong", tags={"cc-filter": f"{unique_name}-other", "cc-extra": "yes"})
    one_tag = spawn("one", tags={"cc-filter": match})
    wanted = ListFilter(tags={"cc-filter": match, "cc-extra": "yes"})
    _check_filter(handle, "tags", wanted, [both], [wrong_value, one_tag], provider_session)
    _check_filter(
        handle,
        "tags",
        ListFilter(tags={"cc-filter": match}),
        [both, one_tag],
        [wrong_value],
        provider_session,
    )


def test_list_filter_by_name_prefix(
    handle: ProviderHandle, spawn: Spawner, unique_name: str, provider_session: ProviderSession
) -> None:
    alpha, beta = spawn("alpha"), spawn("beta")
    prefix = f"{unique_name}-alpha"
    _check_filter(handle, "name prefix", ListFilter(name_prefix=prefix), [alpha], [beta], provider_session)
    _check_filter(
        handle, "name prefix", ListFilter(name_prefix=unique_name), [alpha, beta], [], provider_session
    )
