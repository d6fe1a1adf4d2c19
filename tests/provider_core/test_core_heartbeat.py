"""Heartbeats: the default health check and reconcile, and provider overrides."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from datetime import datetime

from attrs import evolve

import provider_core
import provider_core.hooks
from provider_core import (
    Drift,
    DriftKind,
    ErrorCode,
    HeartbeatKind,
    HeartbeatReport,
    HeartbeatTask,
    InstanceStatus,
    ListFilter,
    ProviderError,
    ProviderHandle,
    ProviderInstance,
    ProviderRegistry,
    SpawnOptions,
)
from provider_core.author import MANAGED_TAG
from provider_core.hooks import hookimpl
from provider_core.testing.memory import MemoryProvider, registration


def _spawn(handle: ProviderHandle, name: str, spot: bool = False) -> ProviderInstance:
    return handle.spawn(SpawnOptions(name=name, instance_type="mem.small", spot=spot))


def test_reconcile_reports_missing_unexpected_changed_and_spot_interrupted(handle: ProviderHandle) -> None:
    kept, orphan, stopped, spot = (
        _spawn(handle, n, spot=(n == "spot")) for n in ("kept", "orphan", "stopped", "spot")
    )
    provider = handle.provider
    assert isinstance(provider, MemoryProvider)
    provider.instances[stopped.id] = evolve(provider.instances[stopped.id], status=InstanceStatus.STOPPED)
    provider.instances[spot.id] = evolve(
        provider.instances[spot.id],
        status=InstanceStatus.TERMINATED,
        status_reason="reclaimed",
        spot_interrupted=True,
    )
    provider.instances["mem-unmanaged"] = evolve(provider.instances[kept.id], id="mem-unmanaged", tags={})
    running = InstanceStatus.RUNNING
    report = handle.reconcile({kept.id: running, stopped.id: running, spot.id: running, "mem-gone": running})
    assert report.kind is HeartbeatKind.RECONCILE
    assert report.healthy
    assert set(report.drift) == {
        Drift(DriftKind.MISSING, "mem-gone", expected=running),
        Drift(DriftKind.UNEXPECTED, orphan.id, actual=running),
        Drift(DriftKind.STATUS_CHANGED, stopped.id, expected=running, actual=InstanceStatus.STOPPED),
        Drift(
            DriftKind.STATUS_CHANGED,
            spot.id,
            expected=running,
            actual=InstanceStatus.TERMINATED,
            code=ErrorCode.SPOT_INTERRUPTED,
            detail="reclaimed",
        ),
    }


def test_a_spot_instance_the_user_terminated_is_not_an_interruption() -> None:
    tags = {MANAGED_TAG: "true"}
    ended = ProviderInstance(id="i-1", status="terminated", provider="p", tags=tags, spot=True)
    drift = provider_core.hooks.compute_drift({"i-1": InstanceStatus.RUNNING}, [ended])
    assert [(d.kind, d.code) for d in drift] == [(DriftKind.STATUS_CHANGED, None)]


def test_expected_terminated_instances_that_are_gone_are_not_drift() -> None:
    gone = ProviderInstance(id="i-1", status="terminated", provider="p", tags={MANAGED_TAG: "true"})
    expected = {"i-1": InstanceStatus.TERMINATED, "i-2": InstanceStatus("terminated")}
    assert provider_core.hooks.compute_drift(expected, [gone]) == []


class Down(MemoryProvider):
    def list_instances(self, filter: ListFilter | None = None) -> Sequence[ProviderInstance]:
        raise ProviderError(ErrorCode.UNAVAILABLE, "503 from the API", provider=self.name)


def test_health_check_reports_an_unhealthy_provider_without_raising() -> None:
    reg = ProviderRegistry()
    reg.add(registration(provider=Down))
    report = reg.get("memory").health_check()
    assert report.kind is HeartbeatKind.HEALTH_CHECK
    assert not report.healthy
    assert "UNAVAILABLE [memory]: 503 from the API" in report.message


def test_a_provider_override_wins_over_the_default_and_sees_only_its_provider() -> None:
    asked: list[str] = []

    class OwnHeartbeat:
        @hookimpl
        def on_heartbeat(self, provider: str, task: HeartbeatTask, handle: ProviderHandle) -> HeartbeatReport:
            asked.append(provider)
            return HeartbeatReport(
                provider, task.kind, True, checked_at=datetime(2026, 1, 1), message="custom"
            )

    reg = ProviderRegistry()
    reg.add(registration(name="custom", hooks=(OwnHeartbeat(),)))
    reg.add(registration(name="plain"))
    assert reg.get("custom").health_check().message == "custom"
    assert reg.get("plain").health_check().message == "0 managed instance(s)"
    assert asked == ["custom"]


def test_heartbeat_wrappers_observe_reports(handle: ProviderHandle, registry: ProviderRegistry) -> None:
    seen: list[HeartbeatReport] = []

    class Metrics:
        @hookimpl(wrapper=True)
        def on_heartbeat(
            self, provider: str, task: HeartbeatTask, handle: ProviderHandle
        ) -> Generator[None, HeartbeatReport, HeartbeatReport]:
            report = yield
            seen.append(report)
            return report

    registry.plugin_manager.register(Metrics())
    report = handle.health_check()
    assert seen == [report]
