"""The optional groups on EC2: EBS snapshots of the root volume, and spot requests and prices."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from attrs import evolve

from provider_aws._errors import PROVIDER
from provider_aws._launch import invalid, launch_specification, run_params
from provider_aws._types import SPOT_REQUEST_STATES, AWSSnapshot, snapshot_from_ec2, tag_list, tag_spec
from provider_core import (
    ErrorCode,
    ProviderError,
    SnapshotStatus,
    SpawnOptions,
    SpotPrice,
    SpotRequest,
    SpotRequestStatus,
)
from provider_core.author import MANAGED_TAG

if TYPE_CHECKING:
    from provider_aws._provider import AWSProvider

SOURCE_TAG = "provider-core:source-instance"
_SPOT_DONE = frozenset({SpotRequestStatus.CANCELLED, SpotRequestStatus.CLOSED, SpotRequestStatus.FAILED})


def _ignore_not_found(exc: ProviderError) -> None:
    if exc.code is not ErrorCode.NOT_FOUND:
        raise exc


# -- snapshots ---------------------------------------------------------------------------------------


def create_snapshot(p: AWSProvider, provider_id: str, name: str) -> AWSSnapshot:
    # The core checked that the instance is managed; this lookup finds its region and root volume.
    instance = p.get_instance(provider_id)
    if instance is None:
        raise ProviderError(ErrorCode.NOT_FOUND, f"no instance {provider_id}", provider=p.name)
    region = instance.region or p.region
    volume_id = instance.root_volume_id
    if volume_id is None:
        raise invalid(f"{provider_id} has no EBS root volume to snapshot")
    tags = {"Name": name, MANAGED_TAG: "true", SOURCE_TAG: provider_id}
    created = p.access.call(
        region,
        lambda c: c.create_snapshot(
            VolumeId=volume_id,
            Description=name,
            TagSpecifications=[tag_spec("snapshot", tags)],
        ),
    )
    snapshot = snapshot_from_ec2(dict(created), region)
    p._remember(snapshot.id, region)
    return snapshot


def find_snapshot(p: AWSProvider, snapshot_id: str) -> AWSSnapshot | None:
    for region in p._search_order(snapshot_id):
        try:
            found = p.access.call(region, lambda c: c.describe_snapshots(SnapshotIds=[snapshot_id]))
        except ProviderError as exc:
            _ignore_not_found(exc)
            continue
        for item in found.get("Snapshots") or ():
            p._remember(snapshot_id, region)
            return snapshot_from_ec2(dict(item), region)
    return None


def get_snapshot_status(p: AWSProvider, snapshot_id: str) -> SnapshotStatus:
    return _snapshot(p, snapshot_id).status


def _snapshot(p: AWSProvider, snapshot_id: str) -> AWSSnapshot:
    snapshot = find_snapshot(p, snapshot_id)
    if snapshot is None:
        raise ProviderError(ErrorCode.NOT_FOUND, f"no snapshot {snapshot_id}", provider=p.name)
    return snapshot


def delete_snapshot(p: AWSProvider, snapshot_id: str) -> None:
    # NOT_FOUND (from the lookup or the call) is success to the core.
    region = _snapshot(p, snapshot_id).region or p.region
    p.access.call(region, lambda c: c.delete_snapshot(SnapshotId=snapshot_id))


# -- spot ---------------------------------------------------------------------------------------------


def request_spot_instance(p: AWSProvider, options: SpawnOptions, max_price_per_hour: float) -> SpotRequest:
    region = p.access.check_region(options.region or p.region)
    params = run_params(p.catalog, p.settings, evolve(options, spot=False), region)
    request: dict[str, Any] = {
        "SpotPrice": f"{max_price_per_hour:.6f}",
        "InstanceCount": 1,
        "Type": "one-time",
        "LaunchSpecification": launch_specification(params),
        "TagSpecifications": [
            {"ResourceType": "spot-instances-request", "Tags": tag_list(dict(options.tags))}
        ],
    }
    if options.idempotency_key:
        request["ClientToken"] = options.idempotency_key
    made = p.access.call(region, lambda c: c.request_spot_instances(**request))["SpotInstanceRequests"][0]
    request_id = str(made["SpotInstanceRequestId"])
    p._remember(request_id, region)
    found = _await_fulfilment(p, region, request_id, p.settings.spot_fulfilment_timeout)
    instance_id = found.get("InstanceId")
    if instance_id:
        # Spot requests cannot tag the instance they launch, so the management tags go on afterwards.
        instance_tags = tag_list({**options.tags, "Name": options.name})
        p.access.call(region, lambda c: c.create_tags(Resources=[instance_id], Tags=instance_tags))  # type: ignore[arg-type]
        p._remember(instance_id, region)
    return _spot_request(found, region, max_price_per_hour, options.instance_type)


def _await_fulfilment(p: AWSProvider, region: str, request_id: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        found = _describe_spot(p, region, request_id)
        if found is None:
            raise ProviderError(ErrorCode.NOT_FOUND, f"spot request {request_id} vanished", provider=p.name)
        state = SPOT_REQUEST_STATES.get(str(found.get("State")), SpotRequestStatus.OPEN)
        left = deadline - time.monotonic()
        if found.get("InstanceId") or state is not SpotRequestStatus.OPEN or left <= 0:
            return found
        time.sleep(min(1.0, left))


def _describe_spot(p: AWSProvider, region: str, request_id: str) -> dict[str, Any] | None:
    try:
        found = p.access.call(
            region, lambda c: c.describe_spot_instance_requests(SpotInstanceRequestIds=[request_id])
        )["SpotInstanceRequests"]
    except ProviderError as exc:
        _ignore_not_found(exc)
        return None
    return dict(found[0]) if found else None


def _spot_request(
    data: dict[str, Any], region: str, max_price: float | None, instance_type: str | None
) -> SpotRequest:
    spec = data.get("LaunchSpecification") or {}
    price = data.get("SpotPrice")
    return SpotRequest(
        id=str(data["SpotInstanceRequestId"]),
        provider=PROVIDER,
        status=SPOT_REQUEST_STATES.get(str(data.get("State")), SpotRequestStatus.OPEN),
        instance_type=spec.get("InstanceType") or instance_type,
        region=region,
        max_price_per_hour=float(price) if price else max_price,
        instance_id=data.get("InstanceId"),
    )


def cancel_spot_request(p: AWSProvider, request_id: str) -> None:
    for region in p._search_order(request_id):
        found = _describe_spot(p, region, request_id)
        if found is None:
            continue
        # Cancelling a request that already ended would only fail; the instance it launched stays, as in EC2.
        if SPOT_REQUEST_STATES.get(str(found.get("State"))) not in _SPOT_DONE:
            p.access.call(
                region, lambda c: c.cancel_spot_instance_requests(SpotInstanceRequestIds=[request_id])
            )
        return
    # Success to the core: cancelling an unknown request is idempotent.
    raise ProviderError(ErrorCode.NOT_FOUND, f"no spot request {request_id}", provider=p.name)


def get_spot_prices(p: AWSProvider, instance_type: str, region: str | None = None) -> Sequence[SpotPrice]:
    regions = (p.access.check_region(region),) if region else p.regions
    return [
        price
        for batch in p.access.each_region(regions, lambda r: _prices(p, r, instance_type))
        for price in batch
    ]


def _prices(p: AWSProvider, region: str, instance_type: str) -> list[SpotPrice]:
    p.catalog.instance_type(region, instance_type)
    # With StartTime=now EC2 returns the price in force in each AZ; keep the newest per AZ regardless.
    history = p.access.pages(
        region,
        "describe_spot_price_history",
        "SpotPriceHistory",
        InstanceTypes=[instance_type],
        ProductDescriptions=["Linux/UNIX", "Linux/UNIX (Amazon VPC)"],
        StartTime=datetime.now(UTC),
    )
    latest: dict[str, SpotPrice] = {}
    for item in history:
        zone = str(item.get("AvailabilityZone"))
        price = SpotPrice(
            instance_type=instance_type,
            price_per_hour=float(item["SpotPrice"]),
            region=region,
            zone=zone,
            timestamp=item.get("Timestamp"),
        )
        current = latest.get(zone)
        if current is None or (price.timestamp and current.timestamp and price.timestamp > current.timestamp):
            latest[zone] = price
    return [latest[zone] for zone in sorted(latest)]
