"""The in-memory reference provider, shipped like libcloud's dummy driver: for tests, benchmarks and third
parties learning the contract.

It is deliberately naive, as a thin API wrapper is: list_instances returns every machine it holds
(unmanaged ones included) and ignores the filter, get_instance and terminate raise NOT_FOUND for an
unknown id. The core's rules make it pass the compliance suite through a handle all the same.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from datetime import UTC, datetime

from attrs import evolve, frozen

from provider_core import (
    Capabilities,
    ErrorCode,
    InstanceStatus,
    ListFilter,
    ProviderError,
    ProviderInstance,
    ProviderSnapshot,
    SnapshotStatus,
    SpawnOptions,
    SpotPrice,
    SpotRequest,
    SpotRequestStatus,
    Tier,
)
from provider_core.author import (
    IDEMPOTENCY_TAG,
    ComplianceProfile,
    Offerings,
    Provider,
    ProviderRegistration,
    parsers,
    setting,
)

INSTANCE_TYPES = {"mem.small": 0.01, "mem.large": 0.08}
REGIONS = ("mem-east", "mem-west")
CAPABILITIES = Capabilities(snapshots=True, spot=True, multi_region=True, idempotent_spawn=True)


@frozen
class MemorySettings:
    region: str = setting(REGIONS[0], description="default region", parse=parsers.text)
    boot_reads: int = setting(
        0, description="reads before a new instance turns running (0: at once)", parse=parsers.count
    )
    unmanaged: int = setting(
        0, description="machines without the management tag that exist from the start", parse=parsers.count
    )


class MemoryProvider(Provider[ProviderInstance, ProviderSnapshot]):
    name = "memory"

    def __init__(self, settings: MemorySettings | None = None) -> None:
        self.settings = settings or MemorySettings()
        self.region = self.settings.region
        self.boot_reads = self.settings.boot_reads
        self._reads_left: dict[str, int] = {}
        self.instances: dict[str, ProviderInstance] = {}
        self.snapshots: dict[str, ProviderSnapshot] = {}
        self.spot_requests: dict[str, SpotRequest] = {}
        self.calls: list[str] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        for n in range(self.settings.unmanaged):
            foreign = ProviderInstance(
                id=f"other-{n}", status=InstanceStatus.RUNNING, provider=self.name, region=self.region
            )
            self.instances[foreign.id] = foreign

    def _error(self, code: ErrorCode, message: str) -> ProviderError:
        return ProviderError(code, message, provider=self.name)

    def _instance(self, provider_id: str) -> ProviderInstance:
        if provider_id not in self.instances:
            raise self._error(ErrorCode.NOT_FOUND, f"no instance {provider_id}")
        return self.instances[provider_id]

    def spawn(self, options: SpawnOptions) -> ProviderInstance:
        self.calls.append("spawn")
        if options.instance_type not in INSTANCE_TYPES:
            raise self._error(ErrorCode.INVALID_SPEC, f"unknown instance type {options.instance_type}")
        region = options.region or self.region
        if region not in REGIONS:
            raise self._error(ErrorCode.INVALID_SPEC, f"unknown region {region}")
        with self._lock:
            if options.idempotency_key:
                for existing in self.instances.values():
                    if existing.tags.get(IDEMPOTENCY_TAG) == options.idempotency_key:
                        return existing
            instance = ProviderInstance(
                id=f"mem-{next(self._ids)}",
                status=InstanceStatus.PENDING if self.boot_reads else InstanceStatus.RUNNING,
                provider=self.name,
                name=options.name,
                instance_type=options.instance_type,
                region=region,
                private_ip="10.0.0.1",
                created_at=datetime.now(UTC),
                tags=options.tags,
                spot=options.spot,
            )
            self.instances[instance.id] = instance
            if self.boot_reads:
                self._reads_left[instance.id] = self.boot_reads
        return instance

    def _observe(self, provider_id: str) -> None:
        with self._lock:
            left = self._reads_left.pop(provider_id, 0) - 1
            if left > 0:
                self._reads_left[provider_id] = left
            elif left == 0 and self.instances[provider_id].status is InstanceStatus.PENDING:
                self.instances[provider_id] = evolve(
                    self.instances[provider_id], status=InstanceStatus.RUNNING
                )

    def terminate(self, provider_id: str) -> None:
        self.calls.append("terminate")
        with self._lock:
            self.instances[provider_id] = evolve(
                self._instance(provider_id), status=InstanceStatus.TERMINATED
            )

    def list_instances(self, filter: ListFilter | None = None) -> Sequence[ProviderInstance]:
        self.calls.append("list_instances")
        for provider_id in list(self._reads_left):
            self._observe(provider_id)
        return list(self.instances.values())

    def get_instance(self, provider_id: str) -> ProviderInstance | None:
        self.calls.append("get_instance")
        if provider_id in self._reads_left:
            self._observe(provider_id)
        return self._instance(provider_id)

    def offerings(self) -> Offerings:
        return Offerings(instance_types=tuple(INSTANCE_TYPES), regions=REGIONS)

    def create_snapshot(self, provider_id: str, name: str) -> ProviderSnapshot:
        self._instance(provider_id)
        snapshot = ProviderSnapshot(
            id=f"snap-{next(self._ids)}",
            provider=self.name,
            status=SnapshotStatus.AVAILABLE,
            source_instance_id=provider_id,
            name=name,
        )
        self.snapshots[snapshot.id] = snapshot
        return snapshot

    def get_snapshot_status(self, snapshot_id: str) -> SnapshotStatus:
        if snapshot_id not in self.snapshots:
            raise self._error(ErrorCode.NOT_FOUND, f"no snapshot {snapshot_id}")
        return self.snapshots[snapshot_id].status

    def delete_snapshot(self, snapshot_id: str) -> None:
        if self.snapshots.pop(snapshot_id, None) is None:
            raise self._error(ErrorCode.NOT_FOUND, f"no snapshot {snapshot_id}")

    def request_spot_instance(self, options: SpawnOptions, max_price_per_hour: float) -> SpotRequest:
        instance = self.spawn(evolve(options, spot=True))
        request = SpotRequest(
            id=f"sir-{next(self._ids)}",
            provider=self.name,
            status=SpotRequestStatus.ACTIVE,
            instance_type=options.instance_type,
            region=instance.region,
            max_price_per_hour=max_price_per_hour,
            instance_id=instance.id,
        )
        self.spot_requests[request.id] = request
        return request

    def cancel_spot_request(self, request_id: str) -> None:
        request = self.spot_requests.get(request_id)
        if request is None:
            raise self._error(ErrorCode.NOT_FOUND, f"no spot request {request_id}")
        self.spot_requests[request_id] = evolve(request, status=SpotRequestStatus.CANCELLED)

    def get_spot_prices(self, instance_type: str, region: str | None = None) -> Sequence[SpotPrice]:
        if instance_type not in INSTANCE_TYPES:
            raise self._error(ErrorCode.INVALID_SPEC, f"unknown instance type {instance_type}")
        price = INSTANCE_TYPES[instance_type] / 3
        return [SpotPrice(instance_type, price, region=r) for r in ((region,) if region else REGIONS)]


def registration(**overrides: object) -> ProviderRegistration:
    """The reference registration; keyword arguments replace its fields (tests build variants)."""
    fields: dict[str, object] = {
        "name": "memory",
        "tier": Tier.TESTING,
        "capabilities": CAPABILITIES,
        "provider": MemoryProvider,
        "settings": MemorySettings,
        "compliance": ComplianceProfile(instance_type="mem.small", region=REGIONS[0], alt_region=REGIONS[1]),
        "version": "0",
    }
    fields.update(overrides)
    return ProviderRegistration(**fields)  # type: ignore[arg-type]
