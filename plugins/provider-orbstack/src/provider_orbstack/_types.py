"""Enhanced types: an OrbStack machine knows its size and image; the core projects them away."""

from __future__ import annotations

from attrs import frozen

from provider_core import InstanceStatus, ProviderInstance

# `orb list`/`orb info` machine states. The sim needs no map: its status follows from timestamps.
STATUS_MAP = {
    "creating": InstanceStatus.PENDING,
    "starting": InstanceStatus.PENDING,
    "running": InstanceStatus.RUNNING,
    "stopping": InstanceStatus.STOPPING,
    "stopped": InstanceStatus.STOPPED,
    "deleting": InstanceStatus.TERMINATING,
}


@frozen
class OrbStackInstance(ProviderInstance):
    image: str | None = None
    vcpus: int | None = None
    memory_mib: int | None = None
    gpus: int = 0
    backend: str = "sim"
