"""Lifecycle hooks: the health check asks the backend itself; reconcile is left to the core's default."""

from __future__ import annotations

from typing import TYPE_CHECKING

from provider_core import HeartbeatKind, HeartbeatReport, HeartbeatTask
from provider_core.hooks import hookimpl, timed_report
from provider_orbstack._errors import PROVIDER

if TYPE_CHECKING:
    from provider_core import ProviderHandle


class OrbStackHooks:
    @hookimpl
    def on_heartbeat(
        self, provider: str, task: HeartbeatTask, handle: ProviderHandle
    ) -> HeartbeatReport | None:
        # Reconcile stays with the core's default: it lists through the hooks, so it sees chaos drift too.
        if provider != PROVIDER or task.kind is not HeartbeatKind.HEALTH_CHECK:
            return None
        from provider_orbstack._provider import OrbStackProvider

        target = handle.provider
        if not isinstance(target, OrbStackProvider):
            return None
        return timed_report(provider, task, lambda: (target.backend_health(), ()))


hooks = OrbStackHooks()
