"""warm_volumes: EBS volumes pre-created from a snapshot, attached at spawn, replenished, swept at close."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING

from attrs import evolve, frozen

from provider_aws._launch import invalid
from provider_aws._types import POOL_TAG, tag_spec
from provider_core import ErrorCode, InstanceStatus, ProviderError, ProviderInstance, SpawnOptions
from provider_core.author import MANAGED_TAG

if TYPE_CHECKING:
    from provider_aws._provider import AWSProvider
    from provider_core.author import WorkflowContext

log = logging.getLogger("provider_aws")


@frozen
class WarmSpawn:
    instance: ProviderInstance
    volume_id: str
    device: str


class WarmVolumePool:
    """size volumes of snapshot_id kept ready in zone. Volumes attached to an instance are set to be deleted
    with it; volumes still in the pool are deleted by close(), which the provider calls on shutdown.

    Instances are spawned, read and terminated through the handle (ctx), so wrappers see them."""

    def __init__(
        self,
        ctx: WorkflowContext[AWSProvider],
        snapshot_id: str,
        *,
        zone: str,
        size: int,
        region: str,
        volume_type: str,
        attach_timeout: float,
        tags: Mapping[str, str],
    ) -> None:
        self.id = f"warm-{uuid.uuid4().hex[:12]}"
        self.snapshot_id = snapshot_id
        self.zone = zone
        self.size = size
        self.region = region
        self._ctx = ctx
        self._provider = ctx.provider
        self._volume_type = volume_type
        self._attach_timeout = attach_timeout
        self._tags = dict(tags)
        self._ready: list[str] = []
        self._lock = threading.Lock()
        self._closed = False

    def available(self) -> list[str]:
        with self._lock:
            return list(self._ready)

    def replenish(self) -> list[str]:
        """Create volumes until the pool holds size of them; returns the new ones."""
        with self._lock:
            missing = 0 if self._closed else self.size - len(self._ready)
        created = [self._create() for _ in range(missing)]
        with self._lock:
            self._ready.extend(created)
        return created

    def spawn(self, options: SpawnOptions, *, device: str = "/dev/sdf") -> WarmSpawn:
        """Spawn in the pool's zone, attach a warm volume once the instance runs, then top the pool up."""
        with self._lock:
            if self._closed:
                raise invalid(f"warm pool {self.id} is closed")
            volume_id = self._ready.pop(0) if self._ready else None
        if volume_id is None:
            volume_id = self._create()
        try:
            instance = self._ctx.spawn(evolve(options, zone=self.zone))
        except BaseException:
            with self._lock:
                self._ready.insert(0, volume_id)
            raise
        try:
            self._wait_running(instance.id)
            access = self._provider.access
            access.call(
                self.region,
                lambda c: c.attach_volume(VolumeId=volume_id, InstanceId=instance.id, Device=device),
            )
            # The volume now belongs to the instance and goes when it does.
            access.call(
                self.region,
                lambda c: c.modify_instance_attribute(
                    InstanceId=instance.id,
                    BlockDeviceMappings=[{"DeviceName": device, "Ebs": {"DeleteOnTermination": True}}],
                ),
            )
        except BaseException:
            self._ctx.terminate(instance.id)
            with self._lock:
                self._ready.insert(0, volume_id)
            raise
        try:
            self.replenish()
        except ProviderError as exc:
            # The spawn itself succeeded; the next spawn creates a volume on demand if the pool ran dry.
            log.warning("warm pool %s: could not replenish: %s", self.id, exc)
        return WarmSpawn(self._ctx.get_instance(instance.id) or instance, volume_id, device)

    def close(self) -> None:
        """Delete every pool volume that is not attached; failures are logged, never raised at shutdown."""
        with self._lock:
            self._closed = True
            self._ready.clear()
        try:
            leftovers = self._provider.access.pages(
                self.region,
                "describe_volumes",
                "Volumes",
                Filters=[
                    {"Name": f"tag:{POOL_TAG}", "Values": [self.id]},
                    {"Name": "status", "Values": ["available", "creating"]},
                ],
            )
            for volume in list(leftovers):
                volume_id = str(volume["VolumeId"])
                self._provider.access.call(self.region, lambda c, v=volume_id: c.delete_volume(VolumeId=v))  # type: ignore[misc]
        except ProviderError as exc:
            log.warning("warm pool %s: could not delete every volume: %s", self.id, exc)

    def _create(self) -> str:
        tags = {**self._tags, MANAGED_TAG: "true", POOL_TAG: self.id, "Name": f"{self.id}-{self.snapshot_id}"}
        created = self._provider.access.call(
            self.region,
            lambda c: c.create_volume(
                SnapshotId=self.snapshot_id,
                AvailabilityZone=self.zone,
                VolumeType=self._volume_type,  # type: ignore[arg-type]
                TagSpecifications=[tag_spec("volume", tags)],
            ),
        )
        return str(created["VolumeId"])

    def _wait_running(self, instance_id: str) -> None:
        """EC2 attaches volumes only to running instances."""
        deadline = time.monotonic() + self._attach_timeout
        while True:
            instance = self._ctx.get_instance(instance_id)
            status = instance.status if instance is not None else InstanceStatus.UNKNOWN
            if status is InstanceStatus.RUNNING:
                return
            if status is not InstanceStatus.PENDING or time.monotonic() >= deadline:
                raise ProviderError(
                    ErrorCode.UNAVAILABLE,
                    f"{instance_id} is {status}, not running; cannot attach a warm volume",
                    provider=self._provider.name,
                )
            time.sleep(2.0)


def warm_volumes(
    ctx: WorkflowContext[AWSProvider],
    snapshot_id: str,
    *,
    zone: str,
    size: int = 2,
    region: str | None = None,
    volume_type: str = "gp3",
    attach_timeout: float = 300.0,
    tags: Mapping[str, str] | None = None,
) -> WarmVolumePool:
    """Keep size EBS volumes from snapshot_id ready in zone; pool.spawn attaches one at launch.

    The pool is closed (its unattached volumes deleted) with the provider, or by pool.close(); its
    volumes carry tags too, so provider_core.sweep by those tags finds any a crash left behind.
    """
    if size < 0:
        raise invalid("a warm pool size cannot be negative")
    provider = ctx.provider
    region = provider.access.check_region(region or provider.region)
    pool = WarmVolumePool(
        ctx,
        snapshot_id,
        zone=zone,
        size=size,
        region=region,
        volume_type=volume_type,
        attach_timeout=attach_timeout,
        tags=tags or {},
    )
    provider.on_close(pool)
    try:
        pool.replenish()
    except ProviderError:
        pool.close()
        raise
    return pool
