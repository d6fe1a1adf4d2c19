"""Translation between SpawnOptions / RunPodInstance and RunPod's pod shapes (REST v2 and GraphQL).

Pods have no tags. Every tag (the core's management tag and idempotency key included) is kept as
JSON in one env var of the pod, which list_instances reads back. The bootstrap is a shell script
carried base64-encoded in env and run by the container's start command (`args`).
"""

from __future__ import annotations

import base64
import json
import shlex
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from provider_core import (
    BootstrapFormat,
    ErrorCode,
    InstanceStatus,
    ProviderError,
    SpawnOptions,
)
from provider_runpod._errors import PROVIDER
from provider_runpod._types import RunPodInstance

TAGS_ENV = "PROVIDER_CORE_TAGS"
SPOT_ENV = "PROVIDER_CORE_SPOT"
BOOTSTRAP_ENV = "PROVIDER_CORE_BOOTSTRAP"
BOOTSTRAP_SHA_ENV = "PROVIDER_CORE_BOOTSTRAP_SHA256"
DEFAULT_IMAGE = "runpod/base:0.6.2-cpu"
DEFAULT_VOLUME_PATH = "/runpod-volume"
CLOUD = "SECURE"

STATUS_MAP: Mapping[str, InstanceStatus] = {
    "PROVISIONING": InstanceStatus.PENDING,
    "STARTING": InstanceStatus.PENDING,
    "RUNNING": InstanceStatus.RUNNING,
    "EXITED": InstanceStatus.STOPPED,
    "ERROR": InstanceStatus.ERROR,
    "TERMINATED": InstanceStatus.TERMINATED,
}

# Decodes the script from env, checks its digest, runs it, then keeps the container alive: a pod
# whose start command exits is a pod that stops.
START_COMMAND = "bash -c " + shlex.quote(
    f'printf %s "${BOOTSTRAP_ENV}" | base64 -d > /tmp/provider-core-bootstrap.sh'
    f' && echo "${BOOTSTRAP_SHA_ENV}  /tmp/provider-core-bootstrap.sh" | sha256sum -c -'
    " && bash /tmp/provider-core-bootstrap.sh; exec sleep infinity"
)


def _invalid(message: str) -> ProviderError:
    return ProviderError(ErrorCode.INVALID_SPEC, message, provider=PROVIDER)


def pod_env(options: SpawnOptions, *, spot: bool) -> dict[str, str]:
    env = {TAGS_ENV: json.dumps(dict(sorted(options.tags.items())), separators=(",", ":"))}
    if spot:
        env[SPOT_ENV] = "true"
    if options.bootstrap is not None:
        if options.bootstrap.format is not BootstrapFormat.SHELL:
            raise _invalid(
                f"RunPod pods are containers and run a shell bootstrap, not {options.bootstrap.format}"
            )
        env[BOOTSTRAP_ENV] = base64.b64encode(options.bootstrap.content.encode()).decode()
        env[BOOTSTRAP_SHA_ENV] = options.bootstrap.checksum
    return env


def _volume(options: SpawnOptions) -> tuple[str, str] | None:
    if not options.volumes:
        return None
    if len(options.volumes) > 1:
        raise _invalid("a RunPod pod can attach at most one network volume")
    volume = options.volumes[0]
    return volume.volume_id, volume.mount_path or DEFAULT_VOLUME_PATH


def create_body(options: SpawnOptions) -> dict[str, Any]:
    """The createPod body (REST v2 CreatePodRequest) for an on-demand GPU pod."""
    body: dict[str, Any] = {
        "name": options.name,
        "image": options.image or DEFAULT_IMAGE,
        "gpu": {"id": options.instance_type, "count": options.gpu_count or 1},
        "cloud": CLOUD,
        "env": pod_env(options, spot=False),
    }
    if options.bootstrap is not None:
        body["args"] = START_COMMAND
    if options.region:
        body["dataCenterIds"] = [options.region]
    if options.disk_gb:
        body["disk"] = options.disk_gb
    volume = _volume(options)
    if volume is not None:
        body["mounts"] = {"network": [{"volumeId": volume[0], "path": volume[1]}]}
    if options.ssh_key_names:
        # RunPod injects the account's registered keys; individual keys cannot be chosen per pod.
        body["startSsh"] = True
        body["ports"] = ["22/tcp"]
    return body


def spot_input(options: SpawnOptions, bid_per_gpu: float) -> dict[str, Any]:
    """The GraphQL PodRentInterruptableInput for the same pod as a spot (interruptible) pod."""
    env = pod_env(options, spot=True)
    data: dict[str, Any] = {
        "bidPerGpu": bid_per_gpu,
        "cloudType": CLOUD,
        "gpuCount": options.gpu_count or 1,
        "gpuTypeId": options.instance_type,
        "name": options.name,
        "imageName": options.image or DEFAULT_IMAGE,
        "env": [{"key": key, "value": value} for key, value in env.items()],
        "volumeInGb": 0,
    }
    if options.bootstrap is not None:
        data["dockerArgs"] = START_COMMAND
    if options.region:
        data["dataCenterId"] = options.region
    if options.disk_gb:
        data["containerDiskInGb"] = options.disk_gb
    volume = _volume(options)
    if volume is not None:
        data["networkVolumeId"], data["volumeMountPath"] = volume
    if options.ssh_key_names:
        data["startSsh"] = True
        data["ports"] = "22/tcp"
    return data


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
