"""Enhanced types AWSInstance and AWSSnapshot: materialized from EC2 responses, projected back by the core."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from attrs import frozen

from provider_core import (
    InstanceStatus,
    ProviderInstance,
    ProviderSnapshot,
    SnapshotStatus,
    SpotRequestStatus,
)
from provider_core.author import materialize

PROVIDER = "aws"

# EC2 instance-state-name -> provider-core status; anything else is UNKNOWN.
STATUS_MAP: dict[str, InstanceStatus] = {
    "pending": InstanceStatus.PENDING,
    "running": InstanceStatus.RUNNING,
    "stopping": InstanceStatus.STOPPING,
    "stopped": InstanceStatus.STOPPED,
    "shutting-down": InstanceStatus.TERMINATING,
    "terminated": InstanceStatus.TERMINATED,
}

SNAPSHOT_STATES: dict[str, SnapshotStatus] = {
    "pending": SnapshotStatus.PENDING,
    "completed": SnapshotStatus.AVAILABLE,
    "error": SnapshotStatus.ERROR,
    "recoverable": SnapshotStatus.PENDING,
    "recovering": SnapshotStatus.PENDING,
}

SPOT_REQUEST_STATES: dict[str, SpotRequestStatus] = {
    "open": SpotRequestStatus.OPEN,
    "active": SpotRequestStatus.ACTIVE,
    "cancelled": SpotRequestStatus.CANCELLED,
    "closed": SpotRequestStatus.CLOSED,
    "failed": SpotRequestStatus.FAILED,
    "disabled": SpotRequestStatus.CLOSED,
}

# Tags every volume of a warm pool (workflows/_warm.py) with the pool's id; sweep() finds spare ones by it.
POOL_TAG = "provider-core:warm-pool"

# The state-reason code EC2 gives an instance it reclaimed; a user's own terminate gives another code.
SPOT_INTERRUPTION_REASON = "Server.SpotInstanceTermination"


@frozen
class AWSVolume:
    volume_id: str
    device: str
    delete_on_termination: bool = True


@frozen
class AWSInstance(ProviderInstance):
    """A ProviderInstance plus what EC2 knows about placement, storage and lifecycle."""

    availability_zone: str | None = None
    subnet_id: str | None = None
    vpc_id: str | None = None
    image_id: str | None = None
    volumes: tuple[AWSVolume, ...] = ()
    root_device: str | None = None
    # "on-demand", "spot", "scheduled" or "capacity-block".
    lifecycle: str = "on-demand"
    state_reason_message: str | None = None
    launch_time: datetime | None = None
    # Launched with HibernationOptions.Configured: only then does StopInstances Hibernate=True keep RAM.
    hibernation_configured: bool = False
    # The spot instance request EC2 opened for a spot launch (RunInstances opens a one-time one).
    spot_request_id: str | None = None

    @property
    def root_volume_id(self) -> str | None:
        # EC2 lists the root mapping first; the name match covers AMIs that reorder their mappings.
        root = [v for v in self.volumes if v.device == self.root_device] or list(self.volumes[:1])
        return root[0].volume_id if root else None


@frozen
class AWSSnapshot(ProviderSnapshot):
    region: str | None = None
    volume_id: str | None = None
    progress: str | None = None
    encrypted: bool = False


def tag_map(tags: Sequence[Mapping[str, Any]] | None) -> dict[str, str]:
    return {str(t["Key"]): str(t.get("Value", "")) for t in tags or ()}


def tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def tag_spec(resource_type: str, tags: Mapping[str, str]) -> Any:
    """A TagSpecifications item (typed Any: the stubs' TypedDict unions do not accept a built dict)."""
    return {"ResourceType": resource_type, "Tags": tag_list(tags)}


def instance_from_ec2(data: Mapping[str, Any], region: str) -> AWSInstance:
    """Materialize an AWSInstance from one item of DescribeInstances / RunInstances."""
    tags = tag_map(data.get("Tags"))
    state = data.get("State") or {}
    reason = data.get("StateReason") or {}
    lifecycle = str(data.get("InstanceLifecycle") or "on-demand")
    placement = data.get("Placement") or {}
    generic = ProviderInstance(
        id=str(data["InstanceId"]),
        status=STATUS_MAP.get(str(state.get("Name")), InstanceStatus.UNKNOWN),
        provider=PROVIDER,
        name=tags.get("Name"),
        instance_type=data.get("InstanceType"),
        region=region,
        public_ip=data.get("PublicIpAddress"),
        private_ip=data.get("PrivateIpAddress"),
        created_at=data.get("LaunchTime"),
        tags=tags,
        spot=lifecycle == "spot",
        status_reason=reason.get("Code") or None,
        spot_interrupted=reason.get("Code") == SPOT_INTERRUPTION_REASON,
    )
    volumes = tuple(
        AWSVolume(
            volume_id=str(m["Ebs"]["VolumeId"]),
            device=str(m["DeviceName"]),
            delete_on_termination=bool(m["Ebs"].get("DeleteOnTermination", True)),
        )
        for m in data.get("BlockDeviceMappings") or ()
        if "Ebs" in m
    )
    return materialize(
        generic,
        AWSInstance,
        availability_zone=placement.get("AvailabilityZone"),
        subnet_id=data.get("SubnetId"),
        vpc_id=data.get("VpcId"),
        image_id=data.get("ImageId"),
        volumes=volumes,
        root_device=data.get("RootDeviceName"),
        lifecycle=lifecycle,
        state_reason_message=reason.get("Message") or None,
        launch_time=data.get("LaunchTime"),
        hibernation_configured=bool((data.get("HibernationOptions") or {}).get("Configured")),
        spot_request_id=data.get("SpotInstanceRequestId") or None,
    )


def snapshot_from_ec2(data: Mapping[str, Any], region: str) -> AWSSnapshot:
    tags = tag_map(data.get("Tags"))
    generic = ProviderSnapshot(
        id=str(data["SnapshotId"]),
        provider=PROVIDER,
        status=SNAPSHOT_STATES.get(str(data.get("State")), SnapshotStatus.PENDING),
        source_instance_id=tags.get("provider-core:source-instance"),
        name=tags.get("Name") or data.get("Description") or None,
        created_at=data.get("StartTime"),
        size_gb=data.get("VolumeSize"),
    )
    return materialize(
        generic,
        AWSSnapshot,
        region=region,
        volume_id=data.get("VolumeId"),
        progress=data.get("Progress"),
        encrypted=bool(data.get("Encrypted", False)),
    )
