"""list_instances filters: each criterion with instances that must match and ones that must not."""

from __future__ import annotations

import pytest

from provider_core import InstanceStatus, ListFilter, ProviderHandle, ProviderInstance
from provider_core.author import ComplianceProfile
from provider_core.testing._session import Spawner
from provider_core.testing._tools import eventually, requires


def _check_filter(
    handle: ProviderHandle,
    what: str,
    filter: ListFilter,
    matching: list[ProviderInstance],
    other: list[ProviderInstance],
    timeout: float,
) -> None:
    """Matching instances must show up (allowing for eventual consistency); the others never may."""
    wanted = {i.id for i in matching}
    found, listed = eventually(
        lambda: {i.id for i in handle.list_instances(filter)}, lambda ids: wanted <= ids, timeout
    )
    assert found, (
        f"list_instances with the {what} filter {filter} misses matching instances {sorted(wanted - listed)}"
    )
    leaked = sorted(i.id for i in other if i.id in listed)
    assert not leaked, f"list_instances ignores the {what} filter: {filter} returned non-matching {leaked}"


def _wait_for(
    handle: ProviderHandle, instance: ProviderInstance, statuses: set[InstanceStatus | None], timeout: float
) -> None:
    def status() -> InstanceStatus | None:
        found = handle.get_instance(instance.id)
        return None if found is None else found.status

    reached, last = eventually(status, lambda s: s in statuses, timeout)
    assert reached, (
        f"instance {instance.id} never reached {sorted(map(str, statuses))} in {timeout:g}s: {last}"
    )


def test_list_filter_by_status(handle: ProviderHandle, spawn: Spawner, compliance_timeout: float) -> None:
    keep, gone = spawn("keep"), spawn("gone")
    handle.terminate(gone.id)
    _wait_for(handle, keep, {InstanceStatus.RUNNING}, compliance_timeout)
    _wait_for(handle, gone, {InstanceStatus.TERMINATED, None}, compliance_timeout)
    running = ListFilter(statuses={InstanceStatus.RUNNING})
    _check_filter(handle, "status", running, [keep], [gone], compliance_timeout)
    finished = ListFilter(statuses={InstanceStatus.TERMINATED, InstanceStatus.STOPPED})
    _check_filter(handle, "status", finished, [], [keep], compliance_timeout)


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
    compliance_timeout: float,
) -> None:
    home, away = spawn("home", region=profile.region), spawn("away", region=alt_region)
    found = spawn.fetch(away.id)
    assert found.region == alt_region, f"spawn ignored the region: asked for {alt_region}, got {found.region}"
    home_region = spawn.fetch(home.id).region
    assert home_region, f"instance {home.id} reports no region although the provider declares multi_region"
    _check_filter(handle, "region", ListFilter(region=home_region), [home], [away], compliance_timeout)
    _check_filter(handle, "region", ListFilter(region=alt_region), [away], [home], compliance_timeout)


def test_list_filter_by_tags(
    handle: ProviderHandle, spawn: Spawner, unique_name: str, compliance_timeout: float
) -> None:
    match = f"{unique_name}-match"
    both = spawn("both", tags={"cc-filter": match, "cc-extra": "yes"})
    wrong_value = spawn("wrong", tags={"cc-filter": f"{unique_name}-other", "cc-extra": "yes"})
    one_tag = spawn("one", tags={"cc-filter": match})
    wanted = ListFilter(tags={"cc-filter": match, "cc-extra": "yes"})
    _check_filter(handle, "tags", wanted, [both], [wrong_value, one_tag], compliance_timeout)
    _check_filter(
        handle,
        "tags",
        ListFilter(tags={"cc-filter": match}),
        [both, one_tag],
        [wrong_value],
        compliance_timeout,
    )


def test_list_filter_by_name_prefix(
    handle: ProviderHandle, spawn: Spawner, unique_name: str, compliance_timeout: float
) -> None:
    alpha, beta = spawn("alpha"), spawn("beta")
    prefix = f"{unique_name}-alpha"
    _check_filter(handle, "name prefix", ListFilter(name_prefix=prefix), [alpha], [beta], compliance_timeout)
    _check_filter(
        handle, "name prefix", ListFilter(name_prefix=unique_name), [alpha, beta], [], compliance_timeout
    )
