"""Value types shared by the core, every provider and the control plane (frozen attrs, cattrs-friendly)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

import attrs
from attrs import field, frozen

from provider_core import _validate as v
from provider_core._errors import ErrorCode

MANAGED_TAG = "provider-core:managed"
IDEMPOTENCY_TAG = "provider-core:idempotency-key"


class _Choice(StrEnum):
    """A StrEnum whose bad values fail with the list of good ones."""

    @classmethod
    def _missing_(cls, value: object) -> None:
        raise ValueError(f"{value!r} is not a valid {cls.__name__}; expected one of {', '.join(cls)}")


class InstanceStatus(_Choice):
    PENDING = "pending"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"
    TERMINATING = "terminating"
    TERMINATED = "terminated"
    ERROR = "error"
    UNKNOWN = "unknown"


GONE_STATUSES = frozenset({InstanceStatus.TERMINATING, InstanceStatus.TERMINATED})


class BootstrapFormat(_Choice):
    CLOUD_INIT = "cloud-init"
    SHELL = "shell"


class SnapshotStatus(_Choice):
    PENDING = "pending"
    AVAILABLE = "available"
    ERROR = "error"
    DELETED = "deleted"


class SpotRequestStatus(_Choice):
    OPEN = "open"
    ACTIVE = "active"
    CANCELLED = "cancelled"
    CLOSED = "closed"
    FAILED = "failed"


class HeartbeatKind(_Choice):
    HEALTH_CHECK = "health_check"
    RECONCILE = "reconcile"


class DriftKind(_Choice):
    MISSING = "missing"
    UNEXPECTED = "unexpected"
    STATUS_CHANGED = "status_changed"


def _networkconfig_security_group_ids(value: object) -> tuple[Any, ...]:
    return v.to_tuple("NetworkConfig.security_group_ids")(value)


def _spawnoptions_tags(value: object) -> dict[Any, Any]:
    return v.to_str_map("SpawnOptions.tags")(value)


def _spawnoptions_ssh_key_names(value: object) -> tuple[Any, ...]:
    return v.to_tuple("SpawnOptions.ssh_key_names")(value)


def _spawnoptions_volumes(value: object) -> tuple[Any, ...]:
    return v.to_tuple("SpawnOptions.volumes")(value)


def _providerinstance_tags(value: object) -> dict[Any, Any]:
    return v.to_str_map("ProviderInstance.tags")(value)


def _listfilter_tags(value: object) -> dict[Any, Any]:
    return v.to_str_map("ListFilter.tags")(value)


def _bootstrapconfig_env(value: object) -> dict[Any, Any]:
    return v.to_str_map("BootstrapConfig.env")(value)


def _status_map(value: object) -> dict[str, InstanceStatus]:
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise ValueError(f"HeartbeatTask.expected must map instance ids to statuses, got {value!r}")
    return {key: InstanceStatus(status) for key, status in value.items()}


@frozen
class VolumeAttachment:
    """An existing persistent volume to attach at spawn (capability `persistent_volumes`)."""

    volume_id: str = field(validator=v.text())
    mount_path: str | None = field(default=None, validator=v.text(optional=True))


@frozen
class NetworkConfig:
    """Where an instance is placed on the provider's network (capability `custom_networking`)."""

    subnet_id: str | None = field(default=None, validator=v.text(optional=True))
    security_group_ids: tuple[str, ...] = field(
        default=(), converter=_networkconfig_security_group_ids, validator=v.items_of(str)
    )
    assign_public_ip: bool = field(default=True, validator=v.of_type(bool))


@frozen
class BootstrapScript:
    """A rendered bootstrap: content, its format and the SHA-256 hex digest of its UTF-8 bytes."""

    # The content carries the instance token, so it stays out of repr.
    content: str = field(repr=False, validator=v.text(empty=True, max_len=16 * 1024 * 1024))
    format: BootstrapFormat = field(converter=BootstrapFormat)
    checksum: str = field(validator=v.text(max_len=64))

    @checksum.default
    def _checksum(self) -> str:
        # Defaults run before validators: content that is not text gets none and fails its own check.
        text = isinstance(self.content, str) and v.is_unicode(self.content)
        return sha256_hex(self.content) if text else "-"

    def verify(self) -> bool:
        return self.checksum == sha256_hex(self.content)


def sha256_hex(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


@frozen
class SpawnOptions:
    name: str = field(validator=v.text(max_len=128))
    instance_type: str = field(validator=v.text(max_len=128))
    region: str | None = field(default=None, validator=v.text(optional=True, max_len=64))
    # An availability zone inside the region, for providers that place by zone (Provider.placement_zones).
    zone: str | None = field(default=None, validator=v.text(optional=True, max_len=64))
    image: str | None = field(default=None, validator=v.text(optional=True))
    spot: bool = field(default=False, validator=v.of_type(bool))
    max_price_per_hour: float | None = field(default=None, validator=v.positive(optional=True))
    bootstrap: BootstrapScript | None = field(
        default=None, validator=v.of_type(BootstrapScript, optional=True)
    )
    tags: Mapping[str, str] = field(factory=dict, converter=_spawnoptions_tags, validator=v.string_map())
    idempotency_key: str | None = field(
        default=None, validator=v.text(optional=True, pattern=r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
    )
    ssh_key_names: tuple[str, ...] = field(
        default=(), converter=_spawnoptions_ssh_key_names, validator=v.items_of(str)
    )
    gpu_count: int | None = field(default=None, validator=v.positive(optional=True, whole=True))
    disk_gb: int | None = field(default=None, validator=v.positive(optional=True, whole=True))
    volumes: tuple[VolumeAttachment, ...] = field(
        default=(), converter=_spawnoptions_volumes, validator=v.items_of(VolumeAttachment)
    )
    network: NetworkConfig | None = field(default=None, validator=v.of_type(NetworkConfig, optional=True))

    def __attrs_post_init__(self) -> None:
        if self.max_price_per_hour is not None and not self.spot:
            raise ValueError("SpawnOptions.max_price_per_hour needs spot=True (it caps a spot price)")


@frozen
class ProviderInstance:
    id: str = field(validator=v.text())
    status: InstanceStatus = field(converter=InstanceStatus)
    provider: str = field(validator=v.text())
    name: str | None = None
    instance_type: str | None = None
    region: str | None = None
    public_ip: str | None = None
    private_ip: str | None = None
    created_at: datetime | None = None
    tags: Mapping[str, str] = field(factory=dict, converter=_providerinstance_tags)
    spot: bool = False
    status_reason: str | None = None
    # Set by the provider when it reclaimed this spot instance (not when a user stopped or terminated it).
    spot_interrupted: bool = False

    @property
    def managed(self) -> bool:
        return self.tags.get(MANAGED_TAG) == "true"


def _statuses(value: object) -> frozenset[InstanceStatus] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    return frozenset(InstanceStatus(s) for s in v.to_tuple("ListFilter.statuses")(value))


@frozen
class ListFilter:
    """Every given criterion must match; tags match when each given key has the given value."""

    statuses: frozenset[InstanceStatus] | None = field(default=None, converter=_statuses)
    region: str | None = field(default=None, validator=v.text(optional=True))
    tags: Mapping[str, str] = field(factory=dict, converter=_listfilter_tags, validator=v.string_map())
    name_prefix: str | None = field(default=None, validator=v.of_type(str, optional=True))

    def matches(self, instance: ProviderInstance) -> bool:
        return (
            (self.statuses is None or instance.status in self.statuses)
            and (self.region is None or instance.region == self.region)
            and all(instance.tags.get(k) == val for k, val in self.tags.items())
            and (self.name_prefix is None or (instance.name or "").startswith(self.name_prefix))
        )


@frozen
class BootstrapConfig:
    """What a new instance needs to join the control plane; secrets never appear in repr."""

    control_plane_url: str = field(validator=v.text(pattern=r"https?://[^\s'\"`$\\]+", max_len=2048))
    # It lands in a header file curl reads: a CR/LF would add header lines.
    instance_token: str = field(repr=False, validator=v.token())
    agent_version: str = field(
        default="latest", validator=v.text(pattern=r"[A-Za-z0-9][A-Za-z0-9.+_-]{0,63}")
    )
    env: Mapping[str, str] = field(
        factory=dict,
        converter=_bootstrapconfig_env,
        validator=v.string_map(key_pattern=r"[A-Za-z_][A-Za-z0-9_]{0,127}"),
    )
    tailscale_auth_key: str | None = field(default=None, repr=False, validator=v.token(optional=True))
    hostname: str | None = field(
        default=None,
        validator=v.text(
            optional=True,
            pattern=r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
            r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*",
        ),
    )
    # None lets the provider choose the format it delivers best.
    format: BootstrapFormat | None = field(default=None, converter=attrs.converters.optional(BootstrapFormat))


@frozen
class ProviderSnapshot:
    id: str = field(validator=v.text())
    provider: str = field(validator=v.text())
    status: SnapshotStatus = field(converter=SnapshotStatus)
    source_instance_id: str | None = None
    name: str | None = None
    created_at: datetime | None = None
    size_gb: int | None = None


@frozen
class SpotRequest:
    id: str = field(validator=v.text())
    provider: str = field(validator=v.text())
    status: SpotRequestStatus = field(converter=SpotRequestStatus)
    instance_type: str | None = None
    region: str | None = None
    max_price_per_hour: float | None = field(default=None, validator=v.positive(optional=True))
    instance_id: str | None = None


@frozen
class SpotPrice:
    instance_type: str = field(validator=v.text())
    # A price of 0, below 0, NaN or inf is no price: bidding it would be nonsense.
    price_per_hour: float = field(validator=v.positive())
    region: str | None = None
    zone: str | None = None
    timestamp: datetime | None = None


@frozen
class HeartbeatTask:
    """A heartbeat: `expected` maps instance ids the caller believes exist to the status it believes."""

    kind: HeartbeatKind = field(converter=HeartbeatKind)
    expected: Mapping[str, InstanceStatus] = field(factory=dict, converter=_status_map)


@frozen
class Drift:
    kind: DriftKind
    instance_id: str
    expected: InstanceStatus | None = None
    actual: InstanceStatus | None = None
    code: ErrorCode | None = None  # SPOT_INTERRUPTED when a spot instance was reclaimed
    detail: str = ""


@frozen
class HeartbeatReport:
    provider: str
    kind: HeartbeatKind
    healthy: bool
    checked_at: datetime
    latency_s: float = 0.0
    message: str = ""
    drift: tuple[Drift, ...] = ()
