"""Declared capabilities match the code; idempotent spawn, snapshots and spot when their flags are set."""

from __future__ import annotations

import inspect

import pytest

from provider_core import (
    ErrorCode,
    ProviderError,
    ProviderHandle,
    ProviderSnapshot,
    SnapshotOps,
    SnapshotStatus,
    SpotOps,
    SpotPrice,
    SpotRequest,
    SpotRequestStatus,
)
from provider_core._methods import capability_mismatches
from provider_core.author import GONE_STATUSES, ComplianceProfile, ProviderRegistration
from provider_core.testing._session import ProviderSession, Spawner
from provider_core.testing._tools import is_alive, requires, unknown_id


def test_declared_capabilities_match_methods(
    registration: ProviderRegistration, provider_session: ProviderSession
) -> None:
    factory = registration.provider_factory()
    # A factory function only reveals its class once built; a class is checked without building it.
    provider_class = factory if inspect.isclass(factory) else type(provider_session.handle.provider)
    problems = capability_mismatches(registration.capabilities, provider_class)
    assert not problems, f"declared capabilities do not match implemented methods: {'; '.join(problems)}"


@requires("idempotent_spawn")
def test_idempotent_spawn_returns_the_same_instance(
    spawn: Spawner, unique_name: str, provider_session: ProviderSession
) -> None:
    key = f"{unique_name}-key"
    first = spawn("idem", idempotency_key=key)
    second = spawn("idem", idempotency_key=key)
    assert second.id == first.id, (
        f"idempotent_spawn: the same idempotency_key returned different instances {first.id} and {second.id}"
    )
    _, mine = provider_session.wait(
        spawn.alive_ids, lambda ids: first.id in ids, "listing an idempotent spawn"
    )
    assert mine == [first.id], f"idempotent_spawn: two spawns with one idempotency_key left instances {mine}"


@requires("idempotent_spawn")
def test_a_key_stays_bound_to_its_terminated_instance(
    handle: ProviderHandle, profile: ComplianceProfile, spawn: Spawner, unique_name: str
) -> None:
    if profile.forgets_terminated and not handle.journaled:
        pytest.skip("the API forgets terminated instances: only a spawn journal keeps the key rule")
    key = f"{unique_name}-bound"
    first = spawn("bound", idempotency_key=key)
    handle.terminate(first.id)
    again = spawn("bound", idempotency_key=key)
    assert again.id == first.id, (
        f"the key rule: a spawn with the key of terminated {first.id} created {again.id} "
        "(a key is bound to the first instance created with it, for good)"
    )
    # Read again: a provider may answer a repeated key with the first call's (stale) view of the instance.
    now = handle.get_instance(first.id)
    assert now is None or now.status in GONE_STATUSES, f"the key rule: {first.id} came back {now.status}"


class TestSnapshots:
    __requires__ = ("snapshots",)

    @pytest.fixture
    def snapshots(self, handle: ProviderHandle) -> SnapshotOps:
        assert handle.snapshots is not None, "the handle hides snapshots although the flag is set"
        return handle.snapshots

    def test_snapshot_lifecycle(
        self, snapshots: SnapshotOps, spawn: Spawner, unique_name: str, provider_session: ProviderSession
    ) -> None:
        instance = spawn("snapped")
        snapshot = snapshots.create(instance.id, f"{unique_name}-snap")
        try:
            assert type(snapshot) is ProviderSnapshot, f"create_snapshot gave {type(snapshot).__name__}"
            assert snapshot.id, "create_snapshot returned no id"
            assert snapshot.source_instance_id in (None, instance.id), (
                f"snapshot {snapshot.id} names source {snapshot.source_instance_id}, not {instance.id}"
            )
            _, status = provider_session.wait(
                lambda: snapshots.status(snapshot.id), lambda s: s != SnapshotStatus.PENDING, "a snapshot"
            )
            assert isinstance(status, SnapshotStatus), f"get_snapshot_status returned {status!r}"
            assert status == SnapshotStatus.AVAILABLE, f"snapshot {snapshot.id} ended {status}, not available"
        finally:
            snapshots.delete(snapshot.id)
        try:
            snapshots.delete(snapshot.id)
        except ProviderError as exc:
            pytest.fail(f"delete_snapshot is not idempotent: second call raised {exc!r}", pytrace=False)

    def test_snapshot_of_unknown_instance_is_not_found(
        self, handle: ProviderHandle, snapshots: SnapshotOps, spawn: Spawner, unique_name: str
    ) -> None:
        missing = unknown_id(spawn("sample").id, {i.id for i in handle.list_instances()})
        try:
            created = snapshots.create(missing, f"{unique_name}-ghost")
        except ProviderError as exc:
            code = exc.code
        else:
            snapshots.delete(created.id)
            pytest.fail(
                f"create_snapshot of unknown instance {missing} succeeded: {created.id}", pytrace=False
            )
        assert code == ErrorCode.NOT_FOUND, (
            f"create_snapshot of unknown instance {missing} must raise NOT_FOUND, got {code}"
        )


class TestSpot:
    __requires__ = ("spot",)

    @pytest.fixture
    def spot(self, handle: ProviderHandle) -> SpotOps:
        assert handle.spot is not None, "the handle hides spot although the flag is set"
        return handle.spot

    def test_spot_prices(self, spot: SpotOps, spawn: Spawner) -> None:
        options = spawn.options()
        prices = spot.prices(options.instance_type, options.region)
        assert prices, f"get_spot_prices returned no price for {options.instance_type}"
        for price in prices:
            assert type(price) is SpotPrice, f"get_spot_prices gave {type(price).__name__}"
            assert price.instance_type == options.instance_type, (
                f"get_spot_prices for {options.instance_type} returned a price for {price.instance_type}"
            )
            assert price.price_per_hour > 0, f"get_spot_prices returned a non-positive price {price}"

    def test_spot_request_and_cancel(self, handle: ProviderHandle, spot: SpotOps, spawn: Spawner) -> None:
        options = spawn.options("spot", spot=True)
        ceiling = max(p.price_per_hour for p in spot.prices(options.instance_type, options.region)) * 2
        request = spot.request(options, ceiling)
        # The contract has no call to read a request back: adopt what it launched under this test's name.
        for instance_id in {i for i in (request.instance_id, *spawn.alive_ids()) if i}:
            spawn.track(instance_id, options.name)
        assert type(request) is SpotRequest, f"request_spot_instance gave {type(request).__name__}"
        assert isinstance(request.status, SpotRequestStatus), (
            f"spot request has invalid status {request.status!r}"
        )
        if request.instance_id:
            found = handle.get_instance(request.instance_id)
            assert is_alive(found), (
                f"spot request {request.id} names instance {request.instance_id}, which does not exist"
            )
        spot.cancel(request.id)
        try:
            spot.cancel(request.id)
        except ProviderError as exc:
            pytest.fail(f"cancel_spot_request is not idempotent: second call raised {exc!r}", pytrace=False)
