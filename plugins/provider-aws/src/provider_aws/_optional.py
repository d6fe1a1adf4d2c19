"""The optional groups on EC2: EBS snapshots of the root volume, and spot requests and prices."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from attrs import evolve

from provider_aws._errors import PROVIDER
from provider_aws._launch import invalid
from provider_aws._types import (
    POOL_TAG,
    SPOT_REQUEST_STATES,
    AWSSnapshot,
    snapshot_from_ec2,
    tag_map,
    tag_spec,
)
from provider_core import (
    ErrorCode,
    ListFilter,
    ProviderError,
    SnapshotStatus,
    SpawnOptions,
    SpotPrice,
    SpotRequest,
    SpotRequestStatus,
)
from provider_core.author import MANAGED_TAG, RESERVED_TAG_PREFIX, ManagedResource

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
    # The instance's own tags go along (as EC2's CopyTagsToSnapshot does), so a sweep by tag finds it.
    inherited = {k: v for k, v in instance.tags.items() if not k.startswith(RESERVED_TAG_PREFIX)}
    tags = {**inherited, "Name": name, MANAGED_TAG: "true", SOURCE_TAG: provider_id}
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
    """One RunInstances with InstanceMarketOptions (one-time, MaxPrice) and TagSpecifications: the instance
    and its request are tagged at creation, so no step can leave an instance the core cannot see (a
    RequestSpotInstances request cannot tag the instance it launches). It is fulfilled or refused at once."""
    instance = p.spawn(evolve(options, spot=True, max_price_per_hour=max_price_per_hour))
    return SpotRequest(
        id=instance.spot_request_id or instance.id,
        provider=PROVIDER,
        status=SpotRequestStatus.ACTIVE,
        instance_type=instance.instance_type or options.instance_type,
        region=instance.region,
        max_price_per_hour=max_price_per_hour,
        instance_id=instance.id,
    )


def cancel_spot_request(p: AWSProvider, request_id: str) -> None:
    """Cancel the request; its instance is left alone (terminate it to stop paying), as in EC2."""
    if request_id.startswith("i-"):
        return  # launched without a separate request (an emulator): nothing to cancel
    for region in p._search_order(request_id):
        found = _describe_spot(p, region, request_id)
        if found is None:
            continue
        # Cancelling a request that already ended would only fail.
        if SPOT_REQUEST_STATES.get(str(found.get("State"))) not in _SPOT_DONE:
            p.access.call(
                region, lambda c: c.cancel_spot_instance_requests(SpotInstanceRequestIds=[request_id])
            )
        return
    # Success to the core: cancelling an unknown request is idempotent.
    raise ProviderError(ErrorCode.NOT_FOUND, f"no spot request {request_id}", provider=p.name)


def _describe_spot(p: AWSProvider, region: str, request_id: str) -> dict[str, Any] | None:
    try:
        found = p.access.call(
            region, lambda c: c.describe_spot_instance_requests(SpotInstanceRequestIds=[request_id])
        )["SpotInstanceRequests"]
    except ProviderError as exc:
        _ignore_not_found(exc)
        return None
    return dict(found[0]) if found else None


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


# -- sweeping -----------------------------------------------------------------------------------------

# kind -> (Describe* operation, its result key, the id field, extra Filters): what sweep() deletes.
_SWEPT: dict[str, tuple[str, str, str, list[dict[str, Any]]]] = {
    "snapshot": ("describe_snapshots", "Snapshots", "SnapshotId", []),
    # An open request can still launch an instance; active ones end with their instance.
    "spot-request": (
        "describe_spot_instance_requests",
        "SpotInstanceRequests",
        "SpotInstanceRequestId",
        [{"Name": "state", "Values": ["open"]}],
    ),
    # Warm-pool volumes not attached to anything (an attached one goes with its instance).
    "volume": (
        "describe_volumes",
        "Volumes",
        "VolumeId",
        [{"Name": "tag-key", "Values": [POOL_TAG]}, {"Name": "status", "Values": ["available", "creating"]}],
    ),
}


def sweep_resources(p: AWSProvider, wanted: ListFilter) -> list[ManagedResource]:
    regions = (p.access.check_region(wanted.region),) if wanted.region else p.regions
    tags = [{"Name": f"tag:{k}", "Values": [v]} for k, v in {MANAGED_TAG: "true", **wanted.tags}.items()]

    def in_region(region: str) -> list[ManagedResource]:
        found = []
        for kind, (operation, key, id_field, extra) in _SWEPT.items():
            for item in p.access.pages(region, operation, key, Filters=tags + extra):
                p._remember(str(item[id_field]), region)
                found.append(ManagedResource(kind, str(item[id_field]), tag_map(item.get("Tags")), region))
        return found

    return [r for batch in p.access.each_region(regions, in_region) for r in batch]


def delete_resource(p: AWSProvider, resource: ManagedResource) -> None:
    region = resource.region or p.region_of(resource.id)
    if resource.kind == "snapshot":
        p.access.call(region, lambda c: c.delete_snapshot(SnapshotId=resource.id))
    elif resource.kind == "spot-request":
        p.access.call(region, lambda c: c.cancel_spot_instance_requests(SpotInstanceRequestIds=[resource.id]))
    elif resource.kind == "volume":
        p.access.call(region, lambda c: c.delete_volume(VolumeId=resource.id))
    else:
        raise invalid(f"the aws provider creates no {resource.kind}")
