"""Provider-specific contracts for the aws workflows, run by the compliance suite with its fixtures
(`handle`, `spawn`, `track`). Checks that need injected faults skip when the provider is not on the double."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from provider_aws._provider import AWSProvider
from provider_aws._types import POOL_TAG
from provider_aws.testing import Ec2Control
from provider_aws.workflows._common import available_zones
from provider_aws.workflows._fleet import FleetResult
from provider_aws.workflows._probe import ProbeResult
from provider_aws.workflows._warm import WarmVolumePool
from provider_core import ErrorCode, ListFilter, ProviderError, ProviderHandle, ProviderInstance
from provider_core.author import IDEMPOTENCY_TAG

Track = Callable[..., None]


def _aws(handle: ProviderHandle) -> AWSProvider:
    provider = handle.provider
    assert isinstance(provider, AWSProvider)
    return provider


def _control(handle: ProviderHandle) -> Ec2Control:
    endpoint = _aws(handle).endpoint_url
    if endpoint is None:
        pytest.skip("needs the provider-aws test double (fault injection)")
    control = Ec2Control(endpoint)
    try:
        control.clear()
    except OSError:
        pytest.skip("the endpoint is not the provider-aws test double")
    return control


def _alive(handle: ProviderHandle, prefix: str) -> list[ProviderInstance]:
    return handle.list_instances(ListFilter(name_prefix=prefix, statuses=["pending", "running"]))


class MultiAzProbeContract:
    def test_spawns_in_the_first_zone_with_capacity_and_says_why_the_others_lost(
        self, handle: ProviderHandle, spawn: Any, track: Track
    ) -> None:
        control = _control(handle)
        provider = _aws(handle)
        zones = available_zones(provider, provider.region)
        control.no_capacity(zones[0])
        try:
            result: ProbeResult = handle.workflows["multi_az_probe"](spawn.options("probe"))
        finally:
            control.clear()
        track(result.instance)
        assert type(result.instance) is ProviderInstance
        assert result.zone == zones[1]
        assert "CAPACITY_ERROR" in result.losers[zones[0]]
        enhanced = provider.get_instance(result.instance.id)
        assert enhanced is not None
        assert enhanced.availability_zone == result.zone
        assert [i.id for i in _alive(handle, spawn.prefix)] == [result.instance.id]

    def test_no_capacity_anywhere_is_a_capacity_error_and_leaves_nothing(
        self, handle: ProviderHandle, spawn: Any
    ) -> None:
        control = _control(handle)
        provider = _aws(handle)
        for zone in available_zones(provider, provider.region):
            control.no_capacity(zone)
        try:
            with pytest.raises(ProviderError) as caught:
                handle.workflows["multi_az_probe"](spawn.options("full"))
        finally:
            control.clear()
        assert caught.value.code is ErrorCode.CAPACITY_ERROR
        assert _alive(handle, spawn.prefix) == []

    def test_a_zone_that_does_not_offer_the_type_loses_as_unsupported(
        self, handle: ProviderHandle, spawn: Any, track: Track
    ) -> None:
        provider = _aws(handle)
        real = available_zones(provider, provider.region)[0]
        result: ProbeResult = handle.workflows["multi_az_probe"](
            spawn.options("offer"), zones=[f"{provider.region}-nowhere", real]
        )
        track(result.instance)
        assert result.zone == real
        assert result.losers[f"{provider.region}-nowhere"].startswith("Unsupported")

    def test_a_launch_refused_for_auth_stops_the_probe_at_once(
        self, handle: ProviderHandle, spawn: Any
    ) -> None:
        control = _control(handle)
        control.inject("RunInstances", "UnauthorizedOperation", times=None)
        try:
            with pytest.raises(ProviderError) as caught:
                handle.workflows["multi_az_probe"](spawn.options("denied"))
        finally:
            control.clear()
        assert caught.value.code is ErrorCode.AUTH_ERROR
        assert _alive(handle, spawn.prefix) == []


class SpotFleetContract:
    TYPES = ("t3.micro", "t3.small")

    def test_fills_the_target_with_spot(self, handle: ProviderHandle, spawn: Any, track: Track) -> None:
        result: FleetResult = handle.workflows["spot_fleet"](
            spawn.options("fleet"), instance_types=self.TYPES, count=2
        )
        for instance in result.instances:
            track(instance)
        assert (result.spot_count, result.on_demand_count) == (2, 0)
        assert all(type(i) is ProviderInstance and i.spot and i.managed for i in result.instances)
        assert {i.id for i in _alive(handle, spawn.prefix)} == {i.id for i in result.instances}
        _assert_no_fleet_templates(handle)

    def test_falls_back_to_on_demand_when_spot_has_no_capacity(
        self, handle: ProviderHandle, spawn: Any, track: Track
    ) -> None:
        control = _control(handle)
        control.inject(
            "RunInstances", "InsufficientInstanceCapacity", times=None, market="spot", dry_run=False
        )
        try:
            result: FleetResult = handle.workflows["spot_fleet"](
                spawn.options("fallback"), instance_types=self.TYPES, count=1
            )
        finally:
            control.clear()
        for instance in result.instances:
            track(instance)
        assert (result.spot_count, result.on_demand_count) == (0, 1)
        assert not result.instances[0].spot
        assert any("spot" in error for error in result.errors)
        _assert_no_fleet_templates(handle)

    def test_a_partly_filled_spot_fleet_is_completed_on_demand(
        self, handle: ProviderHandle, spawn: Any, track: Track
    ) -> None:
        control = _control(handle)
        control.capacity("spot", 1)
        try:
            result: FleetResult = handle.workflows["spot_fleet"](
                spawn.options("partial"), instance_types=self.TYPES, count=2
            )
        finally:
            control.clear()
        for instance in result.instances:
            track(instance)
        assert (result.spot_count, result.on_demand_count) == (1, 1)
        assert sorted(i.spot for i in result.instances) == [False, True]
        assert len(result.errors) == 1
        assert result.errors[0].startswith("spot: InsufficientInstanceCapacity")

    def test_a_failure_after_a_partial_spot_fill_leaves_nothing_running(
        self, handle: ProviderHandle, spawn: Any
    ) -> None:
        control = _control(handle)
        control.capacity("spot", 1)
        control.inject("RunInstances", "RequestLimitExceeded", times=None, market="on-demand", dry_run=False)
        try:
            with pytest.raises(ProviderError) as caught:
                handle.workflows["spot_fleet"](spawn.options("leak"), instance_types=self.TYPES, count=2)
            calls = control.calls()
        finally:
            control.clear()
        assert caught.value.code is ErrorCode.RATE_LIMIT_ERROR
        assert "TerminateInstances" in calls
        assert _alive(handle, spawn.prefix) == []
        _assert_no_fleet_templates(handle)

    def test_without_fallback_no_spot_capacity_is_a_capacity_error(
        self, handle: ProviderHandle, spawn: Any
    ) -> None:
        control = _control(handle)
        control.inject("RunInstances", "InsufficientInstanceCapacity", times=None, dry_run=False)
        try:
            with pytest.raises(ProviderError) as caught:
                handle.workflows["spot_fleet"](
                    spawn.options("nofallback"), instance_types=self.TYPES, on_demand_fallback=False
                )
        finally:
            control.clear()
        assert caught.value.code is ErrorCode.CAPACITY_ERROR
        assert _alive(handle, spawn.prefix) == []

    def test_a_retry_with_the_same_key_launches_nothing_new(
        self, handle: ProviderHandle, spawn: Any, track: Track
    ) -> None:
        control = _control(handle)
        key = f"{spawn.prefix}-fleet"
        control.capacity("spot", 1)
        try:
            first: FleetResult = handle.workflows["spot_fleet"](
                spawn.options("retry", idempotency_key=key), instance_types=self.TYPES, count=2
            )
            for instance in first.instances:
                track(instance)
            again: FleetResult = handle.workflows["spot_fleet"](
                spawn.options("retry", idempotency_key=key), instance_types=self.TYPES, count=2
            )
        finally:
            control.clear()
        assert [i.id for i in again.instances] == [i.id for i in first.instances]
        assert [i.tags[IDEMPOTENCY_TAG] for i in first.instances] == [f"{key}-0", f"{key}-1"]
        assert {i.id for i in _alive(handle, spawn.prefix)} == {i.id for i in first.instances}


def _assert_no_fleet_templates(handle: ProviderHandle) -> None:
    provider = _aws(handle)
    templates = provider.access.ec2(provider.region).describe_launch_templates()["LaunchTemplates"]
    assert not [
        t for t in templates if str(t.get("LaunchTemplateName", "")).startswith("provider-core-fleet-")
    ]


class WarmVolumesContract:
    @pytest.fixture
    def pool(self, handle: ProviderHandle, spawn: Any) -> Iterator[WarmVolumePool]:
        assert handle.snapshots is not None
        seed = spawn("seed")
        provider = _aws(handle)
        placed = provider.get_instance(seed.id)
        assert placed is not None
        assert placed.availability_zone is not None
        snapshot = handle.snapshots.create(seed.id, f"{spawn.prefix}-warm")
        pool: WarmVolumePool = handle.workflows["warm_volumes"](
            snapshot.id, zone=placed.availability_zone, size=2, region=placed.region
        )
        try:
            yield pool
        finally:
            pool.close()
            handle.snapshots.delete(snapshot.id)

    def _volumes(self, handle: ProviderHandle, pool: WarmVolumePool) -> dict[str, dict[str, Any]]:
        ec2 = _aws(handle).access.ec2(pool.region)
        found = ec2.describe_volumes(Filters=[{"Name": f"tag:{POOL_TAG}", "Values": [pool.id]}])["Volumes"]
        return {str(v["VolumeId"]): dict(v) for v in found}

    def test_the_pool_is_filled_from_the_snapshot(self, handle: ProviderHandle, pool: WarmVolumePool) -> None:
        ready = pool.available()
        assert len(ready) == 2
        volumes = self._volumes(handle, pool)
        assert all(volumes[v]["SnapshotId"] == pool.snapshot_id for v in ready)
        assert all(volumes[v]["AvailabilityZone"] == pool.zone for v in ready)

    def test_spawn_attaches_a_warm_volume_and_replenishes(
        self, handle: ProviderHandle, spawn: Any, track: Track, pool: WarmVolumePool
    ) -> None:
        before = pool.available()
        warm = pool.spawn(spawn.options("warm"))
        track(warm.instance)
        assert type(warm.instance) is ProviderInstance
        assert warm.volume_id == before[0]
        attached = self._volumes(handle, pool)[warm.volume_id]["Attachments"]
        assert [(a["InstanceId"], a["Device"]) for a in attached] == [(warm.instance.id, warm.device)]
        placed = _aws(handle).get_instance(warm.instance.id)
        assert placed is not None
        assert [v.delete_on_termination for v in placed.volumes if v.volume_id == warm.volume_id] == [True]
        assert len(pool.available()) == 2
        assert warm.volume_id not in pool.available()

    def test_close_deletes_the_volumes_still_in_the_pool(
        self, handle: ProviderHandle, spawn: Any, pool: WarmVolumePool
    ) -> None:
        pool.close()
        assert self._volumes(handle, pool) == {}
        with pytest.raises(ProviderError) as caught:
            pool.spawn(spawn.options("late"))
        assert caught.value.code is ErrorCode.INVALID_SPEC
