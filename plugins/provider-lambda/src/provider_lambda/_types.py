"""LambdaInstance, and the translation of the API's Instance object into it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from provider_core import InstanceStatus, ProviderInstance
from provider_core.author import server_answer
from provider_lambda._errors import PROVIDER

# Lambda's InstanceStatus enum (spec 1.8.3) to the core's statuses.
STATUS_MAP: Mapping[str, InstanceStatus] = {
    "booting": InstanceStatus.PENDING,
    "active": InstanceStatus.RUNNING,
    # Transitional, as other clients treat it (SkyPilot maps it to INIT): the instance failed a health
    # check and may still come back to active; ERROR would end a caller's wait for it.
    "unhealthy": InstanceStatus.PENDING,
    "terminating": InstanceStatus.TERMINATING,
    "terminated": InstanceStatus.TERMINATED,
    # Lambda reclaimed the machine; it will not come back.
    "preempted": InstanceStatus.TERMINATED,
}
_REASONS: Mapping[str, str] = {
    "unhealthy": "Lambda reports the instance unhealthy (it may recover)",
    "preempted": "preempted by Lambda",
}


@frozen
class LambdaInstance(ProviderInstance):
    """A ProviderInstance plus what Lambda says about it; the core projects it back to the generic type."""

    lambda_status: str | None = None
    hostname: str | None = None
    gpu_count: int | None = None
    gpu_description: str | None = None
    price_cents_per_hour: int | None = None
    ssh_key_names: tuple[str, ...] = ()


def instance_from_api(data: object) -> LambdaInstance:
    """Build a LambdaInstance from the API's Instance object; a malformed one is UNAVAILABLE."""
    with server_answer(PROVIDER, "the API returned an instance"):
        if not isinstance(data, dict):
            raise TypeError(f"expected an object, got {type(data).__name__}")
        raw_status = str(data["status"])
        kind: dict[str, Any] = data.get("instance_type") or {}
        specs: dict[str, Any] = kind.get("specs") or {}
        return LambdaInstance(
            id=str(data["id"]),
            status=STATUS_MAP.get(raw_status, InstanceStatus.UNKNOWN),
            provider=PROVIDER,
            name=data.get("name") or None,
            instance_type=kind.get("name"),
            region=(data.get("region") or {}).get("name"),
            public_ip=data.get("ip") or None,
            private_ip=data.get("private_ip") or None,
            tags={str(tag["key"]): str(tag["value"]) for tag in data.get("tags") or ()},
            status_reason=_REASONS.get(raw_status),
            lambda_status=raw_status,
            hostname=data.get("hostname") or None,
            gpu_count=specs.get("gpus"),
            gpu_description=kind.get("gpu_description"),
            price_cents_per_hour=kind.get("price_cents_per_hour"),
            ssh_key_names=tuple(data.get("ssh_key_names") or ()),
        )


# PublicRegionCode of spec 1.8.3. Regions the API reports beyond these are accepted too.
PUBLIC_REGIONS: tuple[str, ...] = (
    "asia-northeast-1",
    "asia-northeast-2",
    "asia-south-1",
    "australia-east-1",
    "europe-central-1",
    "me-west-1",
    "us-east-1",
    "us-east-2",
    "us-east-3",
    "us-midwest-1",
    "us-midwest-2",
    "us-south-1",
    "us-south-2",
    "us-south-3",
    "us-west-1",
    "us-west-2",
    "us-west-3",
)


@frozen
class Offer:
    """One entry of GET /instance-types: what the type is and where it has capacity right now."""

    name: str
    gpus: int | None
    storage_gib: int | None
    gpu_description: str | None
    price_cents_per_hour: int | None
    regions: tuple[str, ...]


def offers_from_api(data: object) -> dict[str, Offer]:
    """The instance-types map by type name; a malformed one is UNAVAILABLE, like any bad answer."""
    with server_answer(PROVIDER, "the API returned instance types"):
        if not isinstance(data, dict):
            raise TypeError(f"expected an object, got {type(data).__name__}")
        return {str(name): _offer(str(name), entry) for name, entry in data.items()}


def _offer(name: str, entry: Any) -> Offer:
    kind = entry["instance_type"]
    specs = kind.get("specs") or {}
    return Offer(
        name=name,
        gpus=_count(specs.get("gpus")),
        storage_gib=_count(specs.get("storage_gib")),
        gpu_description=_optional_text(kind.get("gpu_description")),
        price_cents_per_hour=_count(kind.get("price_cents_per_hour")),
        regions=tuple(sorted(_text(region["name"]) for region in entry["regions_with_capacity_available"])),
    )


def _count(value: object) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise TypeError(f"expected an integer, got {value!r}")


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    raise TypeError(f"expected a string, got {value!r}")


def _optional_text(value: object) -> str | None:
    return None if value is None else _text(value)
