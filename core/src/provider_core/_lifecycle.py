"""The core's default heartbeat: a health check and a reconcile that reports drift."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime

from provider_core._errors import ErrorCode, ProviderError
from provider_core._hookspecs import InstanceSource, hookimpl
from provider_core._types import (
    GONE_STATUSES,
    Drift,
    DriftKind,
    HeartbeatKind,
    HeartbeatReport,
    HeartbeatTask,
    InstanceStatus,
    ProviderInstance,
)

_RECLAIMED = GONE_STATUSES | {InstanceStatus.STOPPING, InstanceStatus.STOPPED}


def compute_drift(expected: Mapping[str, InstanceStatus], actual: Iterable[ProviderInstance]) -> list[Drift]:
    """Compare what the caller expects with what the provider lists.

    Missing: expected but not listed. Unexpected: listed, managed, alive and not expected (an orphan).
    Status changed: listed with another status; carries SPOT_INTERRUPTED when the provider marked the
    instance as a reclaimed spot instance (a user's own terminate is a plain status change).
    """
    listed = {instance.id: instance for instance in actual}
    drift = []
    for instance_id, want in expected.items():
        instance = listed.get(instance_id)
        if instance is None:
            if want not in GONE_STATUSES:
                drift.append(Drift(DriftKind.MISSING, instance_id, expected=want))
            continue
        if instance.status != want:
            interrupted = instance.spot_interrupted and want not in _RECLAIMED
            drift.append(
                Drift(
                    DriftKind.STATUS_CHANGED,
                    instance_id,
                    expected=want,
                    actual=instance.status,
                    code=ErrorCode.SPOT_INTERRUPTED if interrupted else None,
                    detail=instance.status_reason or "",
                )
            )
    for instance_id, instance in listed.items():
        if instance_id not in expected and instance.managed and instance.status not in GONE_STATUSES:
            drift.append(Drift(DriftKind.UNEXPECTED, instance_id, actual=instance.status))
    return drift


def timed_report(
    provider: str, task: HeartbeatTask, probe: Callable[[], tuple[str, Sequence[Drift]]]
) -> HeartbeatReport:
    """Run probe and time it; a ProviderError makes the report unhealthy instead of escaping."""
    started = time.monotonic()
    try:
        message, drift = probe()
        healthy = True
    except ProviderError as exc:
        message, drift, healthy = str(exc), (), False
    return HeartbeatReport(
        provider=provider,
        kind=task.kind,
        healthy=healthy,
        checked_at=datetime.now(UTC),
        latency_s=time.monotonic() - started,
        message=message,
        drift=tuple(drift),
    )


class DefaultHeartbeat:
    """Registered by every registry; runs last, so a provider's own on_heartbeat wins."""

    @hookimpl(trylast=True)
    def on_heartbeat(self, provider: str, task: HeartbeatTask, handle: InstanceSource) -> HeartbeatReport:
        def probe() -> tuple[str, list[Drift]]:
            listed = handle.list_instances()
            drift = compute_drift(task.expected, listed) if task.kind is HeartbeatKind.RECONCILE else []
            return f"{len(listed)} managed instance(s)" + (f", {len(drift)} drift(s)" if drift else ""), drift

        return timed_report(provider, task, probe)
