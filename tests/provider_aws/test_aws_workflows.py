"""The workflows: the contracts the compliance suite runs, run here too, and what needs its own provider."""

from __future__ import annotations

import pytest

from provider_aws import AWSProvider
from provider_aws.testing import REGION, Ec2Control
from provider_aws.testing.contracts import MultiAzProbeContract, SpotFleetContract, WarmVolumesContract
from provider_aws.workflows import multi_az_probe, spot_fleet, warm_volumes
from provider_aws.workflows._warm import POOL_TAG
from provider_core import MANAGED_TAG, ErrorCode, ListFilter, ProviderError, ProviderHandle, SpawnOptions


class TestMultiAzProbe(MultiAzProbeContract):
    pass


class TestSpotFleet(SpotFleetContract):
    pass


class TestWarmVolumes(WarmVolumesContract):
    pass


def test_probe_tries_zones_concurrently_and_falls_through_capacity_errors(
    provider: AWSProvider, control: Ec2Control, test_tag: dict[str, str]
) -> None:
    zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
    control.no_capacity("us-east-1a")
    control.no_capacity("us-east-1b")
    options = SpawnOptions(name="probe", instance_type="t3.micro", tags=test_tag)
    result = multi_az_probe(provider, options, zones=zones)
    try:
        assert result.zone == "us-east-1c"
        assert set(result.losers) == {"us-east-1a", "us-east-1b"}
        assert control.calls().count("RunInstances") == 3 + 3  # three DryRun probes, three launches
        launched = provider.get_instance(result.instance.id)
        assert launched is not None
        assert launched.tags[MANAGED_TAG] == "true"
    finally:
        provider.terminate(result.instance.id)


def test_a_probe_that_raises_other_than_capacity_stops(
    provider: AWSProvider, control: Ec2Control, test_tag: dict[str, str]
) -> None:
    control.inject("RunInstances", "InstanceLimitExceeded", dry_run=False)
    options = SpawnOptions(name="quota", instance_type="t3.micro", tags=test_tag)
    with pytest.raises(ProviderError) as caught:
        multi_az_probe(provider, options, zones=["us-east-1a", "us-east-1b"])
    assert caught.value.code is ErrorCode.QUOTA_EXCEEDED
    assert control.calls().count("RunInstances") == 3  # two probes, one launch, no fall-through


def test_provider_close_sweeps_warm_pools(handle: ProviderHandle, settings: dict[str, object]) -> None:
    owner = AWSProvider(**settings)  # type: ignore[arg-type]
    ec2 = owner.access.ec2(REGION)
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"]
    snapshot = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    pool = warm_volumes(owner, snapshot, zone="us-east-1a", size=3)
    assert len(pool.available()) == 3
    owner.close()
    checker = handle.provider
    assert isinstance(checker, AWSProvider)
    left = checker.access.ec2(REGION).describe_volumes(
        Filters=[{"Name": f"tag:{POOL_TAG}", "Values": [pool.id]}]
    )["Volumes"]
    assert left == []


def test_workflows_are_bound_to_the_built_provider(handle: ProviderHandle) -> None:
    assert set(handle.workflows) == {"multi_az_probe", "spot_fleet", "warm_volumes", "hibernate", "resume"}
    with pytest.raises(ProviderError) as caught:
        handle.workflows["spot_fleet"](SpawnOptions(name="x", instance_type="t3.micro"), instance_types=[])
    assert caught.value.code is ErrorCode.INVALID_SPEC


def test_a_fleet_whose_final_describe_fails_terminates_what_it_launched(
    provider: AWSProvider, control: Ec2Control, test_tag: dict[str, str]
) -> None:
    control.inject("DescribeInstances", "InternalError", status=500, times=None)
    options = SpawnOptions(name="lost", instance_type="t3.micro", tags=test_tag)
    try:
        with pytest.raises(ProviderError) as caught:
            spot_fleet(provider, options, instance_types=["t3.micro"], count=2)
        calls = control.calls()
    finally:
        control.clear()
    assert caught.value.code is ErrorCode.UNAVAILABLE
    assert calls.count("CreateFleet") == 1
    assert "TerminateInstances" in calls
    alive = provider.list_instances(ListFilter(tags=test_tag, statuses=["pending", "running"]))
    assert alive == []
