"""Drift and spot interruptions injected by chaos, as seen by listings and by the core's reconcile."""

from __future__ import annotations

from provider_core import (
    DriftKind,
    ErrorCode,
    InstanceStatus,
    ListFilter,
    ProviderHandle,
    ProviderRegistry,
    SpawnOptions,
    sweep_candidates,
)
from provider_core.testing.memory import registration as memory_registration
from provider_orbstack.chaos import ORPHAN_TAG, RETAG_TAG, ChaosConfig, Drift, ProviderChaos, enable_chaos
from tests.provider_orbstack.conftest import Clock


def spawn_running(
    handle: ProviderHandle, clock: Clock, count: int, **kw: object
) -> dict[str, InstanceStatus]:
    ids = [
        handle.spawn(SpawnOptions(name=f"n{i}", instance_type="small", tags={"app": "x"}, **kw)).id  # type: ignore[arg-type]
        for i in range(count)
    ]
    clock.advance(1.0)
    return dict.fromkeys(ids, InstanceStatus.RUNNING)


def test_reconcile_reports_exactly_the_drift_chaos_injected(
    registry: ProviderRegistry, handle: ProviderHandle, clock: Clock
) -> None:
    expected = spawn_running(handle, clock, 4)
    drift = Drift(vanish=1, orphans=1, status={"error": 1}, retag=1)
    with enable_chaos(registry, ProviderChaos(drift=drift), provider="orbstack", seed=3) as plugin:
        report = handle.reconcile(expected)
        injected = {(e.kind, e.instance_id) for e in plugin.events()}
        again = handle.reconcile(expected)  # drift is sticky while the config holds
    vanished = next(i for k, i in injected if k == "vanish")
    errored = next(i for k, i in injected if k == "status")
    orphan = next(i for k, i in injected if k == "orphan")
    assert {(d.kind, d.instance_id, d.actual) for d in report.drift} == {
        (DriftKind.MISSING, vanished, None),
        (DriftKind.STATUS_CHANGED, errored, InstanceStatus.ERROR),
        (DriftKind.UNEXPECTED, orphan, InstanceStatus.RUNNING),
    }
    assert report.drift == again.drift
    assert handle.reconcile(expected).drift == ()  # chaos off: the provider's truth again


def test_drift_shows_in_listings_and_get(
    registry: ProviderRegistry, handle: ProviderHandle, clock: Clock
) -> None:
    expected = spawn_running(handle, clock, 3)
    drift = Drift(vanish=1, orphans=1, status={"stopped": 1}, retag=1)
    with enable_chaos(registry, ProviderChaos(drift=drift), provider="orbstack") as plugin:
        listed = {i.id: i for i in handle.list_instances()}
        events = {e.kind: str(e.instance_id) for e in plugin.events()}
        assert events["vanish"] not in listed
        assert handle.get_instance(events["vanish"]) is None
        assert listed[events["status"]].status is InstanceStatus.STOPPED
        retagged = listed[events["retag"]]
        assert retagged.tags.get(RETAG_TAG) == "true"
        assert "app" not in retagged.tags
        assert retagged.managed
        orphan = handle.get_instance(events["orphan"])
        assert orphan is not None
        assert orphan.managed
        assert orphan.tags[ORPHAN_TAG] == "true"
        assert events["orphan"] not in {i.id for i in handle.list_instances(ListFilter(statuses="stopped"))}
        handle.terminate(events["orphan"])  # cleaning an orphan removes it
        assert events["orphan"] not in {i.id for i in handle.list_instances()}
    assert set(expected) == {i.id for i in handle.list_instances()}


def test_spot_interruption_is_reported_as_spot_interrupted(
    registry: ProviderRegistry, handle: ProviderHandle, clock: Clock
) -> None:
    assert handle.spot is not None
    request = handle.spot.request(SpawnOptions(name="spot", instance_type="small"), 1.0)
    on_demand = handle.spawn(SpawnOptions(name="od", instance_type="small")).id
    clock.advance(1.0)
    expected = {request.instance_id: InstanceStatus.RUNNING, on_demand: InstanceStatus.RUNNING}
    with enable_chaos(registry, ProviderChaos(spot_interruptions=1), provider="orbstack"):
        report = handle.reconcile(expected)  # type: ignore[arg-type]
        reclaimed = handle.get_instance(request.instance_id)  # type: ignore[arg-type]
    assert [(d.instance_id, d.code, d.actual) for d in report.drift] == [
        (request.instance_id, ErrorCode.SPOT_INTERRUPTED, InstanceStatus.TERMINATED)
    ]
    assert "reclaimed" in report.drift[0].detail
    assert reclaimed is not None
    assert reclaimed.status is InstanceStatus.TERMINATED


def test_a_spot_machine_the_user_terminated_is_not_spot_interrupted(
    registry: ProviderRegistry, handle: ProviderHandle, clock: Clock
) -> None:
    assert handle.spot is not None
    mine, other = (handle.spot.request(SpawnOptions(name=n, instance_type="small"), 1.0) for n in "ab")
    clock.advance(1.0)
    handle.terminate(mine.instance_id)  # type: ignore[arg-type]
    clock.advance(1.0)
    expected = dict.fromkeys((mine.instance_id, other.instance_id), InstanceStatus.RUNNING)
    plain = handle.reconcile(expected)  # type: ignore[arg-type]
    assert [(d.instance_id, d.code, d.actual) for d in plain.drift] == [
        (mine.instance_id, None, InstanceStatus.TERMINATED)
    ]
    with enable_chaos(registry, ProviderChaos(spot_interruptions=2), provider="orbstack"):
        report = handle.reconcile(expected)  # type: ignore[arg-type]
        reclaimed = handle.get_instance(other.instance_id)  # type: ignore[arg-type]
        terminated = handle.get_instance(mine.instance_id)  # type: ignore[arg-type]
    assert {(d.instance_id, d.code) for d in report.drift} == {
        (mine.instance_id, None),  # chaos reclaims only running spot machines
        (other.instance_id, ErrorCode.SPOT_INTERRUPTED),
    }
    assert reclaimed is not None
    assert reclaimed.spot_interrupted
    assert terminated is not None
    assert not terminated.spot_interrupted


def test_drift_on_another_provider(registry: ProviderRegistry) -> None:
    registry.add(memory_registration())
    memory = registry.get("memory")
    ids = [memory.spawn(SpawnOptions(name=f"m{i}", instance_type="mem.small")).id for i in range(3)]
    config = ChaosConfig(seed=5, providers={"memory": ProviderChaos(drift=Drift(vanish=1, orphans=2))})
    with enable_chaos(registry, config):
        report = memory.reconcile(dict.fromkeys(ids, InstanceStatus.RUNNING))
    kinds = sorted(d.kind.value for d in report.drift)
    assert kinds == ["missing", "unexpected", "unexpected"]


def test_drift_does_not_outlive_terminate(
    registry: ProviderRegistry, handle: ProviderHandle, clock: Clock
) -> None:
    expected = spawn_running(handle, clock, 3)
    drift = Drift(status={"error": 2, "stopped": 1})
    with enable_chaos(registry, ProviderChaos(drift=drift), provider="orbstack", seed=5):
        assert {i.status for i in handle.list_instances()} == {InstanceStatus.ERROR, InstanceStatus.STOPPED}
        for instance_id in expected:
            handle.terminate(instance_id)
        clock.advance(5.0)
        # The control plane converges: nothing left to reconcile or sweep, now or on any later look.
        for _ in range(3):
            assert sweep_candidates(handle) == []
            assert handle.reconcile({}).drift == ()
    assert sweep_candidates(handle) == []
