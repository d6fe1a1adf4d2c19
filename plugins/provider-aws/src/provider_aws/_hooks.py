"""Lifecycle hooks: startup/shutdown logging and a health check that really asks EC2 in every region."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from provider_core import HeartbeatKind, HeartbeatReport, HeartbeatTask
from provider_core.hooks import hookimpl, timed_report

if TYPE_CHECKING:
    from provider_core import ProviderHandle

log = logging.getLogger("provider_aws")


class AWSLifecycle:
    """Registered with the `aws` registration; the core calls it for this provider only."""

    @hookimpl
    def on_startup(self, provider: str) -> None:
        log.info("%s provider built", provider)

    @hookimpl
    def on_shutdown(self, provider: str) -> None:
        log.info("%s provider shutting down (warm pools are swept by close())", provider)

    @hookimpl
    def on_heartbeat(
        self, provider: str, task: HeartbeatTask, handle: ProviderHandle
    ) -> HeartbeatReport | None:
        if task.kind is not HeartbeatKind.HEALTH_CHECK:
            return None  # reconcile: the core's default compares list_instances with what is expected
        from provider_aws._provider import AWSProvider

        built = handle.provider
        if not isinstance(built, AWSProvider):
            return None
        return timed_report(provider, task, lambda: (built.health(), ()))
