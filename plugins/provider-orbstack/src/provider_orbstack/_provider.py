"""OrbStackProvider: the contract over one of two backends, `sim` (SQLite) or `orbctl` (real OrbStack).

The core applies the contract's rules around it (management tags, list filters, unmanaged and unknown
ids, capability gates), so each method only asks the backend and maps its failures.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypeVar

from provider_core import (
    ErrorCode,
    ListFilter,
    ProviderError,
    ProviderInstance,
    ProviderSnapshot,
    SnapshotStatus,
    SpawnOptions,
    SpotPrice,
    SpotRequest,
)
from provider_core.author import ManagedResource, Offerings, Provider
from provider_orbstack import _catalog as cat
from provider_orbstack._client import Backend, open_backend
from provider_orbstack._errors import PROVIDER, error, map_error
from provider_orbstack._settings import OrbStackSettings
from provider_orbstack._sim import SimBackend
from provider_orbstack._types import OrbStackInstance

T = TypeVar("T")


class OrbStackProvider(Provider[OrbStackInstance, ProviderSnapshot]):
    name: ClassVar[str] = PROVIDER

    def __init__(
        self, settings: OrbStackSettings | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.settings = settings or OrbStackSettings()
        self.backend: Backend = open_backend(self.settings, clock)

    def __repr__(self) -> str:
        return f"<OrbStackProvider backend={self.backend.name}>"

    def _call(self, fn: Callable[..., T], *args: Any) -> T:
        try:
            return fn(*args)
        except ProviderError:
            raise
        except Exception as exc:
            raise map_error(exc) from exc

    def _sim(self, what: str) -> SimBackend:
        if not isinstance(self.backend, SimBackend):
            raise error(ErrorCode.INVALID_SPEC, f"{what} exist only on the sim backend")
        return self.backend

    def spawn(self, options: SpawnOptions) -> OrbStackInstance:
        return self._call(self.backend.spawn, options)

    def terminate(self, provider_id: str) -> None:
        self._call(self.backend.terminate, provider_id)

    def list_instances(self, filter: ListFilter | None = None) -> Sequence[ProviderInstance]:
        # The sim narrows in SQL, orbctl lists everything; the core applies the filter again either way.
        return self._call(self.backend.list_instances, filter)

    def get_instance(self, provider_id: str) -> OrbStackInstance | None:
        return self._call(self.backend.get_instance, provider_id)

    def backend_health(self) -> str:
        """One line on the backend's health; raises ProviderError when it is not usable."""
        return self._call(self.backend.health)

    def offerings(self) -> Offerings:
        details = {"backend": self.backend.name}
        if isinstance(self.backend, SimBackend):
            details["state"] = str(self.backend.db.path)
        return Offerings(instance_types=tuple(cat.SIZES), regions=cat.REGIONS, details=details)

    def create_snapshot(self, provider_id: str, name: str) -> ProviderSnapshot:
        return self._call(self._sim("snapshots").create_snapshot, provider_id, name)

    def get_snapshot_status(self, snapshot_id: str) -> SnapshotStatus:
        return self._call(self._sim("snapshots").get_snapshot_status, snapshot_id)

    def delete_snapshot(self, snapshot_id: str) -> None:
        self._call(self._sim("snapshots").delete_snapshot, snapshot_id)

    def request_spot_instance(self, options: SpawnOptions, max_price_per_hour: float) -> SpotRequest:
        return self._call(self._sim("spot requests").request_spot_instance, options, max_price_per_hour)

    def cancel_spot_request(self, request_id: str) -> None:
        self._call(self._sim("spot requests").cancel_spot_request, request_id)

    def get_spot_prices(self, instance_type: str, region: str | None = None) -> Sequence[SpotPrice]:
        return self._call(self._sim("spot prices").get_spot_prices, instance_type, region)

    def sweep_resources(self, filter: ListFilter) -> Sequence[ManagedResource]:
        # Only the sim makes snapshots and spot requests; the core narrows by tags and region.
        if not isinstance(self.backend, SimBackend):
            return ()
        return self._call(self.backend.sweep_resources)

    def delete_resource(self, resource: ManagedResource) -> None:
        self._call(self._sim("resources").delete_resource, resource)
