"""wait_for: poll an instance until it reaches a status, settles elsewhere, or the timeout passes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from provider_core import (
    ErrorCode,
    InstanceStatus,
    ProviderHandle,
    ProviderInstance,
    ProviderRegistry,
    SpawnOptions,
    WaitTimeout,
    wait_for,
)
from provider_core.testing.memory import MemoryProvider, registration
from tests.fake_clock import FakeClock


@pytest.fixture
def handle() -> Iterator[ProviderHandle]:
    registry = ProviderRegistry()
    registry.add(registration())
    # Instances stay pending for four reads, as if booting.
    yield registry.get("memory", boot_reads=4)
    registry.close()


def _spawn(handle: ProviderHandle) -> str:
    return handle.spawn(SpawnOptions(name="w", instance_type="mem.small")).id


def test_wait_for_returns_once_running_and_reports_each_change(handle: ProviderHandle) -> None:
    clock = FakeClock()
    seen: list[str | None] = []
    instance_id = _spawn(handle)
    found = wait_for(
        handle,
        instance_id,
        timeout=60,
        on_change=lambda i: seen.append(i.status.value if i else None),
        clock=clock,
        sleep=clock.sleep,
    )
    assert found is not None
    assert found.status is InstanceStatus.RUNNING
    assert seen == ["pending", "running"]
    assert len(clock.sleeps) == 3  # four reads: three pending, then running


def test_wait_for_stops_when_the_instance_cannot_get_there(handle: ProviderHandle) -> None:
    clock = FakeClock()
    instance_id = _spawn(handle)
    handle.terminate(instance_id)
    found = wait_for(handle, instance_id, {"running"}, timeout=60, clock=clock, sleep=clock.sleep)
    assert found is not None
    assert found.status is InstanceStatus.TERMINATED
    assert clock.sleeps == []
    assert wait_for(handle, "mem-999", timeout=60, clock=clock, sleep=clock.sleep) is None


def test_wait_for_times_out_with_an_unavailable_error_holding_the_last_state(handle: ProviderHandle) -> None:
    clock = FakeClock()
    provider = handle.provider
    assert isinstance(provider, MemoryProvider)
    provider.boot_reads = 10_000
    instance_id = _spawn(handle)
    with pytest.raises(WaitTimeout) as caught:
        wait_for(handle, instance_id, timeout=30, interval=5, clock=clock, sleep=clock.sleep)
    assert caught.value.code is ErrorCode.UNAVAILABLE
    assert isinstance(caught.value.instance, ProviderInstance)
    assert caught.value.instance.status is InstanceStatus.PENDING
    assert sum(clock.sleeps) == pytest.approx(30)
    assert max(clock.sleeps) <= 5
    assert f"instance {instance_id} is still pending after 30s" in str(caught.value)


def test_wait_for_checks_its_arguments(handle: ProviderHandle) -> None:
    with pytest.raises(ValueError, match="at least one status"):
        wait_for(handle, "x", ())
    with pytest.raises(ValueError, match="timeout"):
        wait_for(handle, "x", timeout=-1)
