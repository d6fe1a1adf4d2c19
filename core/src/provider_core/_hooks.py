"""Hook specifications: one per provider method (firstresult) and the lifecycle hooks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pluggy

from provider_core._types import (
    BootstrapConfig,
    BootstrapScript,
    HeartbeatReport,
    HeartbeatTask,
    ListFilter,
    ProviderInstance,
    ProviderSnapshot,
    SnapshotStatus,
    SpawnOptions,
    SpotPrice,
    SpotRequest,
)

if TYPE_CHECKING:
    from provider_core._handle import ProviderHandle

PROJECT = "provider_core"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec(firstresult=True)
def spawn(provider: str, options: SpawnOptions) -> ProviderInstance:
    """Create an instance."""


@hookspec(firstresult=True)
def terminate(provider: str, provider_id: str) -> None:
    """Destroy an instance; idempotent."""


@hookspec(firstresult=True)
def list_instances(provider: str, filter: ListFilter | None) -> Sequence[ProviderInstance]:
    """List managed instances matching filter."""


@hookspec(firstresult=True)
def get_instance(provider: str, provider_id: str) -> ProviderInstance | None:
    """Return one instance, or None when it does not exist."""


@hookspec(firstresult=True)
def generate_bootstrap(provider: str, config: BootstrapConfig) -> BootstrapScript:
    """Render the bootstrap script for a new instance."""


@hookspec(firstresult=True)
def create_snapshot(provider: str, provider_id: str, name: str) -> ProviderSnapshot:
    """Snapshot an instance's root volume."""


@hookspec(firstresult=True)
def get_snapshot_status(provider: str, snapshot_id: str) -> SnapshotStatus:
    """Return a snapshot's status."""


@hookspec(firstresult=True)
def delete_snapshot(provider: str, snapshot_id: str) -> None:
    """Delete a snapshot; idempotent."""


@hookspec(firstresult=True)
def request_spot_instance(provider: str, options: SpawnOptions, max_price_per_hour: float) -> SpotRequest:
    """Ask for a spot instance at no more than max_price_per_hour."""


@hookspec(firstresult=True)
def cancel_spot_request(provider: str, request_id: str) -> None:
    """Cancel a spot request; idempotent."""


@hookspec(firstresult=True)
def get_spot_prices(provider: str, instance_type: str, region: str | None) -> Sequence[SpotPrice]:
    """Return current spot prices for an instance type."""


@hookspec
def spawn_tags(provider: str, options: SpawnOptions) -> Mapping[str, str] | None:
    """Return tags to add to an instance before it is spawned."""


@hookspec
def on_startup(provider: str) -> None:
    """A provider was built and is about to serve its first call."""


@hookspec
def on_shutdown(provider: str) -> None:
    """A provider is being shut down; release what it holds."""


@hookspec(firstresult=True)
def on_heartbeat(provider: str, task: HeartbeatTask, handle: ProviderHandle) -> HeartbeatReport | None:
    """Run a health check or reconcile; the first report wins, the core's default runs last."""


PROVIDER_METHODS = (
    "spawn",
    "terminate",
    "list_instances",
    "get_instance",
    "generate_bootstrap",
    "create_snapshot",
    "get_snapshot_status",
    "delete_snapshot",
    "request_spot_instance",
    "cancel_spot_request",
    "get_spot_prices",
)
