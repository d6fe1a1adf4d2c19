"""RunPodInstance, STATUS_MAP, and the reading of a REST v2 Pod into one (the core projects it back).

Pods have no tags. Every tag (the core's management tag and idempotency key included) is kept as JSON
in one env var of the pod (TAGS_ENV), which is read back here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from attrs import frozen

from provider_core import InstanceStatus, ProviderInstance
from provider_runpod._errors import PROVIDER

TAGS_ENV = "PROVIDER_CORE_TAGS"
SPOT_ENV = "PROVIDER_CORE_SPOT"

STATUS_MAP: Mapping[str, InstanceStatus] = {
    "PROVISIONING": InstanceStatus.PENDING,
    "STARTING": InstanceStatus.PENDING,
    "RUNNING": InstanceStatus.RUNNING,
    "EXITED": InstanceStatus.STOPPED,
    "ERROR": InstanceStatus.ERROR,
    "TERMINATED": InstanceStatus.TERMINATED,
}


@frozen
class RunPodInstance(ProviderInstance):
    gpu_count: int | None = None
    cost_per_hour: float | None = None
    image: str | None = None
    network_volume_id: str | None = None


def tags_of(env: Mapping[str, Any]) -> dict[str, str]:
    raw = env.get(TAGS_ENV)
    if not isinstance(raw, str):
        return {}
    try:
        tags = json.loads(raw)
    except ValueError:
        return {}
    if not isinstance(tags, dict):
        return {}
    return {str(k): str(v) for k, v in tags.items()}


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _public_ip(pod: Mapping[str, Any]) -> str | None:
    host = _mapping(_mapping(pod.get("ssh")).get("direct")).get("host")
    if isinstance(host, str):
        return host
    for port in _mapping(pod.get("runtime")).get("ports") or ():
        if isinstance(_mapping(port).get("ip"), str):
            return str(port["ip"])
    return None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def instance_from_pod(pod: Any) -> RunPodInstance:
    """A REST v2 Pod as a RunPodInstance; fields the spec marks nullable stay None when absent.

    Raises ValueError when the body is not a pod at all (not an object, or without a string id).
    """
    if not isinstance(pod, Mapping) or not isinstance(pod.get("id"), str):
        raise ValueError("a pod is a JSON object with a string id")
    env = _mapping(pod.get("env"))
    gpu = _mapping(pod.get("gpu"))
    network = _mapping(pod.get("mounts")).get("network")
    first_volume = _mapping(network[0]) if isinstance(network, list) and network else {}
    cost, count = pod.get("cost"), gpu.get("count")
    return RunPodInstance(
        id=pod["id"],
        status=STATUS_MAP.get(str(pod.get("status")), InstanceStatus.UNKNOWN),
        provider=PROVIDER,
        name=_text(pod.get("name")),
        instance_type=_text(gpu.get("id")),
        region=_text(pod.get("dataCenterId")),
        public_ip=_public_ip(pod),
        private_ip=_text(_mapping(pod.get("globalNetworking")).get("ip")),
        created_at=_parse_time(pod.get("createdAt")),
        tags=tags_of(env),
        spot=env.get(SPOT_ENV) == "true",
        gpu_count=count if isinstance(count, int) and not isinstance(count, bool) else None,
        cost_per_hour=float(cost) if isinstance(cost, int | float) and not isinstance(cost, bool) else None,
        image=_text(pod.get("image")),
        network_volume_id=_text(first_volume.get("volumeId")),
    )
