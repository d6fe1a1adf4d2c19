"""Snapshots, spot and hibernation on moto (spot prices through the middleware: moto's are placeholders)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from provider_aws import AWSProvider, AWSSnapshot
from provider_aws.testing import REGION, Ec2Control
from provider_core import (
    ErrorCode,
    InstanceStatus,
    ListFilter,
    ProviderError,
    ProviderHandle,
    ProviderRegistry,
    ProviderSnapshot,
    SnapshotStatus,
    SpawnOptions,
    SpotRequestStatus,
)
from provider_core.author import MANAGED_TAG


def options(tags: dict[str, str], **fields: object) -> SpawnOptions:
    return SpawnOptions(**{"name": "opt-1", "instance_type": "t3.micro", "tags": tags, **fields})  # type: ignore[arg-type]


def test_snapshot_of_the_root_volume_lifecycle(
    handle: ProviderHandle, provider: AWSProvider, test_tag: dict[str, str]
) -> None:
    assert handle.snapshots is not None
    instance = handle.spawn(options(test_tag))
    snapshot = handle.snapshots.create(instance.id, "nightly")
    assert type(snapshot) is ProviderSnapshot
    assert snapshot.source_instance_id == instance.id
    assert snapshot.name == "nightly"
    enhanced = provider.get_instance(instance.id)
    assert enhanced is not None
    described = provider.access.ec2(REGION).describe_snapshots(SnapshotIds=[snapshot.id])["Snapshots"][0]
    assert described["VolumeId"] == enhanced.root_volume_id
    assert {t["Key"]: t["Value"] for t in described["Tags"]}[MANAGED_TAG] == "true"
    assert handle.snapshots.status(snapshot.id) is SnapshotStatus.AVAILABLE
    handle.snapshots.delete(snapshot.id)
    handle.snapshots.delete(snapshot.id)
    with pytest.raises(ProviderError) as caught:
        handle.snapshots.status(snapshot.id)
    assert caught.value.code is ErrorCode.NOT_FOUND


def test_the_provider_returns_enhanced_snapshots(provider: AWSProvider, test_tag: dict[str, str]) -> None:
    instance = provider.spawn(options({**test_tag, MANAGED_TAG: "true"}))
    snapshot = provider.create_snapshot(instance.id, "raw")
    assert isinstance(snapshot, AWSSnapshot)
    assert snapshot.region == REGION
    assert snapshot.volume_id == instance.root_volume_id


def test_snapshot_of_an_unknown_instance_is_not_found(handle: ProviderHandle) -> None:
    assert handle.snapshots is not None
    with pytest.raises(ProviderError) as caught:
        handle.snapshots.create("i-0123456789abcdef0", "x")
    assert caught.value.code is ErrorCode.NOT_FOUND


def test_spot_request_tags_its_instance_and_cancel_is_idempotent(
    handle: ProviderHandle, test_tag: dict[str, str]
) -> None:
    assert handle.spot is not None
    request = handle.spot.request(options(test_tag), 0.05)
    assert request.status is SpotRequestStatus.ACTIVE
    assert request.instance_id is not None
    listed = handle.list_instances(ListFilter(tags=test_tag))
    assert [i.id for i in listed] == [request.instance_id]
    assert listed[0].spot
    handle.spot.cancel(request.id)
    handle.spot.cancel(request.id)
    handle.spot.cancel("sir-00000000")


def test_spot_prices_are_the_current_price_per_zone(handle: ProviderHandle, control: Ec2Control) -> None:
    assert handle.spot is not None
    control.spot_prices("t3.micro", {"us-east-1a": 0.0031, "us-east-1b": 0.0042})
    prices = handle.spot.prices("t3.micro", REGION)
    assert [(p.zone, p.price_per_hour, p.region) for p in prices] == [
        ("us-east-1a", 0.0031, REGION),
        ("us-east-1b", 0.0042, REGION),
    ]
    with pytest.raises(ProviderError) as caught:
        handle.spot.prices("zz.nonexistent", REGION)
    assert caught.value.code is ErrorCode.INVALID_SPEC


def test_spot_prices_from_moto_cover_its_zones(handle: ProviderHandle) -> None:
    assert handle.spot is not None
    prices = handle.spot.prices("t3.micro")
    assert {p.region for p in prices} == {REGION, "us-west-2"}
    assert all(p.price_per_hour > 0 for p in prices)


def test_hibernate_and_resume(
    registry: ProviderRegistry, settings: dict[str, object], control: Ec2Control, test_tag: dict[str, str]
) -> None:
    handle = registry.get("aws", **settings, hibernation=True)
    instance = handle.spawn(options(test_tag))
    stopped = handle.workflows["hibernate"](instance.id)
    assert stopped.status in (InstanceStatus.STOPPING, InstanceStatus.STOPPED)
    assert "StopInstances" in control.calls()
    started = handle.workflows["resume"](instance.id)
    assert started.status in (InstanceStatus.PENDING, InstanceStatus.RUNNING)
    control.inject("StopInstances", "UnsupportedHibernationConfiguration")
    with pytest.raises(ProviderError) as caught:
        handle.workflows["hibernate"](instance.id)
    assert caught.value.code is ErrorCode.INVALID_SPEC


def test_hibernate_and_resume_refuse_what_provider_core_does_not_manage(
    handle: ProviderHandle, provider: AWSProvider, control: Ec2Control, test_tag: dict[str, str]
) -> None:
    instance = handle.spawn(options(test_tag))
    stray = provider.access.ec2(REGION).run_instances(
        ImageId=provider.access.ec2(REGION).describe_instances(InstanceIds=[instance.id])["Reservations"][0][
            "Instances"
        ][0]["ImageId"],
        InstanceType="t3.micro",
        MinCount=1,
        MaxCount=1,
    )["Instances"][0]["InstanceId"]
    try:
        for workflow in ("hibernate", "resume"):
            for unknown in (stray, "i-0123456789abcdef0"):
                with pytest.raises(ProviderError) as caught:
                    handle.workflows[workflow](unknown)
                assert caught.value.code is ErrorCode.NOT_FOUND
        assert "StopInstances" not in control.calls()
        assert "StartInstances" not in control.calls()
    finally:
        provider.access.ec2(REGION).terminate_instances(InstanceIds=[stray])


def test_hibernation_setting_launches_hibernation_ready_instances(
    make_provider: Callable[..., AWSProvider], settings: dict[str, object], test_tag: dict[str, str]
) -> None:
    ready = make_provider(**{**settings, "hibernation": True})
    instance = ready.spawn(options({**test_tag, MANAGED_TAG: "true"}))
    described = ready.access.ec2(REGION).describe_instances(InstanceIds=[instance.id])
    assert described["Reservations"][0]["Instances"][0]["HibernationOptions"] == {"Configured": True}
