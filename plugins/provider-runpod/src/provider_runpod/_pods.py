"""Request bodies for a pod: REST v2 createPod and the GraphQL PodRentInterruptableInput of a spot pod.

Every tag rides in TAGS_ENV (see _types) exactly as the core hands it over, management tags included.
The bootstrap is a shell script carried base64-encoded in env and run by the container's start command
(`args`).
"""

from __future__ import annotations

import base64
import json
import shlex
from typing import Any

from provider_core import BootstrapFormat, ErrorCode, ProviderError, SpawnOptions
from provider_runpod._errors import PROVIDER
from provider_runpod._types import SPOT_ENV, TAGS_ENV

BOOTSTRAP_ENV = "PROVIDER_CORE_BOOTSTRAP"
BOOTSTRAP_SHA_ENV = "PROVIDER_CORE_BOOTSTRAP_SHA256"
DEFAULT_IMAGE = "runpod/base:0.6.2-cpu"
DEFAULT_VOLUME_PATH = "/runpod-volume"
CLOUD = "SECURE"

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
