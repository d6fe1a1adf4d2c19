"""The workflows: the contracts the compliance suite runs, run here too; what needs its own provider; and
that every instance a workflow creates goes through the handle's hooks (audit, spawn_tags, vetoes)."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Mapping
from typing import Any

import pytest

from provider_aws import AWSProvider
from provider_aws._registration import registration
from provider_aws._types import POOL_TAG
from provider_aws.testing import REGION, Ec2Control
from provider_aws.testing.contracts import MultiAzProbeContract, SpotFleetContract, WarmVolumesContract
from provider_aws.workflows._fleet import FleetResult
from provider_aws.workflows._probe import ProbeResult
from provider_aws.workflows._warm import WarmVolumePool
from provider_core import (
    ErrorCode,
    ListFilter,
    ProviderError,
    ProviderHandle,
    ProviderInstance,
    ProviderRegistry,
    SpawnOptions,
)
from provider_core.author import MANAGED_TAG
from provider_core.hooks import hookimpl
from tests.provider_aws.conftest import LocalSpawner


class TestMultiAzProbe(MultiAzProbeContract):
    pass


class TestSpotFleet(SpotFleetContract):
    pass


class TestWarmVolumes(WarmVolumesContract):
    pass


def _aws(handle: ProviderHandle) -> AWSProvider:
    provider = handle.provider
    assert isinstance(provider, AWSProvider)
    return provider


def test_probe_falls_through_capacity_errors_without_dry_runs(
    handle: ProviderHandle, control: Ec2Control, test_tag: dict[str, str]
) -> None:
    zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
    control.no_capacity("us-east-1a")
    control.no_capacity("us-east-1b")
    options = SpawnOptions(name="probe", instance_type="t3.micro", tags=test_tag)
    result: ProbeResult = handle.workflows["multi_az_probe"](options, zones=zones)
    try:
        assert result.zone == "us-east-1c"
        assert set(result.losers) == {"us-east-1a", "us-east-1b"}
        # Only a launch can find capacity: three launches, no DryRun round before them.
        assert control.calls().count("RunInstances") == 3
        launched = _aws(handle).get_instance(result.instance.id)
        assert launched is not None
        assert launched.tags[MANAGED_TAG] == "true"
    finally:
        handle.terminate(result.instance.id)


def test_a_probe_that_raises_other_than_capacity_stops(
    handle: ProviderHandle, control: Ec2Control, test_tag: dict[str, str]
) -> None:
    control.inject("RunInstances", "InstanceLimitExceeded", dry_run=False)
    options = SpawnOptions(name="quota", instance_type="t3.micro", tags=test_tag)
    with pytest.raises(ProviderError) as caught:
        handle.workflows["multi_az_probe"](options, zones=["us-east-1a", "us-east-1b"])
    assert caught.value.code is ErrorCode.QUOTA_EXCEEDED
    assert control.calls().count("RunInstances") == 1  # one launch, no fall-through


def test_provider_close_sweeps_warm_pools(handle: ProviderHandle, settings: dict[str, object]) -> None:
    owners = ProviderRegistry()
    owners.add(registration)
    owner = owners.get("aws", **settings)
    ec2 = _aws(owner).access.ec2(REGION)
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"]
    snapshot = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    pool: WarmVolumePool = owner.workflows["warm_volumes"](snapshot, zone="us-east-1a", size=3)
    assert len(pool.available()) == 3
    owners.close()
    left = (
        _aws(handle)
        .access.ec2(REGION)
        .describe_volumes(Filters=[{"Name": f"tag:{POOL_TAG}", "Values": [pool.id]}])["Volumes"]
    )
    assert left == []


def test_workflows_are_bound_to_the_built_provider(handle: ProviderHandle) -> None:
    assert set(handle.workflows) == {"multi_az_probe", "spot_fleet", "warm_volumes", "hibernate", "resume"}
    with pytest.raises(ProviderError) as caught:
        handle.workflows["spot_fleet"](SpawnOptions(name="x", instance_type="t3.micro"), instance_types=[])
    assert caught.value.code is ErrorCode.INVALID_SPEC


def test_a_fleet_whose_later_launch_fails_terminates_what_it_launched(
    handle: ProviderHandle, control: Ec2Control, test_tag: dict[str, str]
) -> None:
    control.capacity("spot", 1)
    control.inject("RunInstances", "InternalError", status=500, times=None, market="on-demand", dry_run=False)
    options = SpawnOptions(name="lost", instance_type="t3.micro", tags=test_tag)
    try:
        with pytest.raises(ProviderError) as caught:
            handle.workflows["spot_fleet"](options, instance_types=["t3.micro"], count=2)
        calls = control.calls()
    finally:
        control.clear()
    assert caught.value.code is ErrorCode.UNAVAILABLE
    # One launch per instance through the handle: no EC2 Fleet, no launch template.
    assert calls.count("CreateFleet") == 0
    assert "CreateLaunchTemplate" not in calls
    assert "TerminateInstances" in calls
    alive = handle.list_instances(ListFilter(tags=test_tag, statuses=["pending", "running"]))
    assert alive == []


def test_a_fleet_gives_each_member_its_own_key(
    handle: ProviderHandle, provider: AWSProvider, test_tag: dict[str, str]
) -> None:
    key = "k" * 63  # no room for a suffix: the members' keys are derived from its digest
    options = SpawnOptions(name="keys", instance_type="t3.micro", tags=test_tag, idempotency_key=key)
    result: FleetResult = handle.workflows["spot_fleet"](options, instance_types=["t3.micro"], count=2)
    try:
        tokens = []
        for instance in result.instances:
            described = provider.access.ec2(REGION).describe_instances(InstanceIds=[instance.id])
            tokens.append(described["Reservations"][0]["Instances"][0]["ClientToken"])
        assert len(set(tokens)) == 2
        assert all(len(t) <= 64 and t.endswith(f"-{n}") for n, t in enumerate(tokens))
    finally:
        for instance in result.instances:
            handle.terminate(instance.id)


# -- every instance a workflow creates goes through the hooks ----------------------------------------------


class Audit:
    """A downstream audit log: sees every spawn through its wrapper."""

    def __init__(self) -> None:
        self.spawned: list[str] = []

    @hookimpl(wrapper=True)
    def spawn(
        self, provider: str, options: SpawnOptions
    ) -> Generator[None, ProviderInstance, ProviderInstance]:
        instance = yield
        self.spawned.append(instance.id)
        return instance


class CostCentre:
    @hookimpl
    def spawn_tags(self, provider: str, options: SpawnOptions) -> Mapping[str, str]:
        return {"cost-centre": "audit-42"}


class BudgetGuard:
    """Vetoes every spawn past `allowed`, before the provider sees it."""

    def __init__(self, allowed: int) -> None:
        self.allowed = allowed
        self.vetoed = 0

    @hookimpl(wrapper=True)
    def spawn(
        self, provider: str, options: SpawnOptions
    ) -> Generator[None, ProviderInstance, ProviderInstance]:
        if self.allowed <= 0:
            self.vetoed += 1
            raise ProviderError(ErrorCode.QUOTA_EXCEEDED, "spawn budget used up", provider=provider)
        self.allowed -= 1
        return (yield)


@pytest.fixture
def warm_pool(handle: ProviderHandle, spawn: LocalSpawner) -> Iterator[tuple[WarmVolumePool, str]]:
    """A warm pool of 2 volumes in the zone of a seed instance, and the seed's id."""
    assert handle.snapshots is not None
    seed = spawn("seed")
    placed = _aws(handle).get_instance(seed.id)
    assert placed is not None
    assert placed.availability_zone is not None
    snapshot = handle.snapshots.create(seed.id, f"{spawn.prefix}-warm")
    pool: WarmVolumePool = handle.workflows["warm_volumes"](
        snapshot.id, zone=placed.availability_zone, size=2
    )
    try:
        yield pool, seed.id
    finally:
        pool.close()
        handle.snapshots.delete(snapshot.id)


def _probe(handle: ProviderHandle, spawn: LocalSpawner, _: Any) -> list[ProviderInstance]:
    result: ProbeResult = handle.workflows["multi_az_probe"](spawn.options("probe"))
    return [result.instance]


def _fleet(handle: ProviderHandle, spawn: LocalSpawner, _: Any) -> list[ProviderInstance]:
    result: FleetResult = handle.workflows["spot_fleet"](
        spawn.options("fleet"), instance_types=["t3.micro", "t3.small"], count=2
    )
    return list(result.instances)


def _warm(handle: ProviderHandle, spawn: LocalSpawner, pool: WarmVolumePool) -> list[ProviderInstance]:
    return [pool.spawn(spawn.options("warm")).instance]


Workflow = Callable[[ProviderHandle, LocalSpawner, Any], list[ProviderInstance]]
WORKFLOW_RUNS: dict[str, Workflow] = {"multi_az_probe": _probe, "spot_fleet": _fleet, "warm_volumes": _warm}


@pytest.fixture(params=sorted(WORKFLOW_RUNS))
def workflow(request: pytest.FixtureRequest) -> tuple[str, Workflow]:
    return request.param, WORKFLOW_RUNS[request.param]


def _pool_if_needed(name: str, request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue("warm_pool") if name == "warm_volumes" else None


def test_an_audit_wrapper_sees_every_instance_a_workflow_creates_with_the_plugins_tags(
    registry: ProviderRegistry,
    handle: ProviderHandle,
    spawn: LocalSpawner,
    workflow: tuple[str, Workflow],
    request: pytest.FixtureRequest,
) -> None:
    name, run = workflow
    warm = _pool_if_needed(name, request)
    audit = Audit()
    registry.plugin_manager.register(audit)
    registry.plugin_manager.register(CostCentre())
    created = run(handle, spawn, warm[0] if warm else None)
    for instance in created:
        spawn.track(instance)
    assert created
    assert audit.spawned == [i.id for i in created]
    for instance in created:
        found = handle.get_instance(instance.id)
        assert found is not None
        assert found.tags["cost-centre"] == "audit-42"
        assert found.tags[MANAGED_TAG] == "true"


def test_a_budget_guard_vetoes_a_workflows_spawn_and_nothing_is_left_running(
    registry: ProviderRegistry,
    handle: ProviderHandle,
    spawn: LocalSpawner,
    workflow: tuple[str, Workflow],
    request: pytest.FixtureRequest,
) -> None:
    name, run = workflow
    warm = _pool_if_needed(name, request)
    # The fleet gets one instance through, so its second spawn is the one vetoed.
    guard = BudgetGuard(allowed=1 if name == "spot_fleet" else 0)
    registry.plugin_manager.register(guard)
    with pytest.raises(ProviderError) as caught:
        run(handle, spawn, warm[0] if warm else None)
    assert caught.value.code is ErrorCode.QUOTA_EXCEEDED
    assert guard.vetoed == 1
    seed = {warm[1]} if warm else set()
    alive = handle.list_instances(ListFilter(name_prefix=spawn.prefix, statuses=["pending", "running"]))
    assert {i.id for i in alive} == seed
    if warm:
        assert len(warm[0].available()) == 2  # the volume it would have attached went back to the pool
