"""LambdaInstance, and the translation of the API's Instance object into it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from provider_core import InstanceStatus, ProviderInstance
from provider_lambda._errors import PROVIDER, unavailable

# Lambda's InstanceStatus enum (spec 1.8.3) to the core's statuses.
STATUS_MAP: Mapping[str, InstanceStatus] = {
    "booting": InstanceStatus.PENDING,
    "active": InstanceStatus.RUNNING,
    "unhealthy": InstanceStatus.ERROR,
    "terminating": InstanceStatus.TERMINATING,
    "terminated": InstanceStatus.TERMINATED,
    # Lambda reclaimed the machine; it will not come back.
    "preempted": InstanceStatus.TERMINATED,
}
_REASONS: Mapping[str, str] = {
    "unhealthy": "Lambda reports the instance unhealthy",
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
    try:
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
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise unavailable(f"the API returned an instance in an unexpected shape ({exc})") from exc
