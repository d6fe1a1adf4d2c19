"""The orbctl backend against a fake `orb` on PATH that replays the documented CLI and JSON shapes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from provider_core import (
    BootstrapConfig,
    BootstrapFormat,
    BootstrapScript,
    ErrorCode,
    InstanceStatus,
    ProviderError,
    ProviderHandle,
    ProviderRegistry,
    SpawnOptions,
)
from provider_core.author import IDEMPOTENCY_TAG, MANAGED_TAG
from provider_orbstack import OrbStackInstance
from provider_orbstack._orbctl import OrbCli, OrbctlBackend
from provider_orbstack._registration import registration
from tests.provider_orbstack.conftest import Clock, FakeOrb, build_provider


@pytest.fixture
def orb_registry(fake_orb: FakeOrb) -> Iterator[ProviderRegistry]:
    registry = ProviderRegistry()
    registry.add(registration)
    yield registry
    registry.close()


@pytest.fixture
def orb_handle(orb_registry: ProviderRegistry, tmp_path: Path) -> ProviderHandle:
    return orb_registry.get("orbstack", metadata_path=str(tmp_path / "meta.db"))  # backend auto


def test_auto_picks_orbctl_when_orb_is_on_path(fake_orb: FakeOrb, tmp_path: Path) -> None:
    provider = build_provider(metadata_path=str(tmp_path / "m.db"), arch="amd64")
    assert isinstance(provider.backend, OrbctlBackend)
    assert provider.backend.cli.executable == str(fake_orb.bin / "orb")
    provider.spawn(SpawnOptions(name="x", instance_type="small", tags={MANAGED_TAG: "true"}))
    assert fake_orb.calls()[0][:4] == ["create", "-a", "amd64", "ubuntu"]


def test_a_reservation_whose_create_never_finished_expires(fake_orb: FakeOrb, tmp_path: Path) -> None:
    clock = Clock()
    provider = build_provider(metadata_path=str(tmp_path / "m.db"), orb_timeout=60, clock=clock)
    assert isinstance(provider.backend, OrbctlBackend)
    with provider.backend.meta.write() as conn:  # what a process killed during `orb create` leaves behind
        conn.execute(
            "INSERT INTO machines (name, idempotency_key, instance_type, region, image, tags, created_at)"
            " VALUES ('half-made', 'k', 'small', 'local', 'ubuntu', ?, ?)",
            (json.dumps({MANAGED_TAG: "true", IDEMPOTENCY_TAG: "k"}), clock.now),
        )
    # The tags a spawn through a handle carries: the core adds both.
    tags = {MANAGED_TAG: "true", IDEMPOTENCY_TAG: "k"}
    options = SpawnOptions(name="x", instance_type="small", tags=tags, idempotency_key="k")
    assert provider.get_instance("half-made").status is InstanceStatus.PENDING  # type: ignore[union-attr]
    assert provider.spawn(options).status is InstanceStatus.PENDING  # that create may still be running
    assert fake_orb.machines() == {}
    clock.advance(61)
    assert provider.get_instance("half-made") is None
    assert provider.spawn(options).id == "half-made"  # retried under the reserved name
    assert list(fake_orb.machines()) == ["half-made"]


def test_spawn_runs_create_with_user_data_file_and_cleans_it(
    orb_handle: ProviderHandle, fake_orb: FakeOrb
) -> None:
    script = orb_handle.generate_bootstrap(BootstrapConfig("https://cp.example", "tok"))
    instance = orb_handle.spawn(
        SpawnOptions(name="Web Server", instance_type="small", image="debian:bookworm", bootstrap=script)
    )
    create = next(c for c in fake_orb.calls() if c[0] == "create")
    assert create[:2] == ["create", "-c"]
    assert create[3:] == ["debian:bookworm", instance.id]
    assert not Path(create[2]).exists()  # the user-data file held a token
    assert instance.id.startswith("web-server-")
    assert instance.status is InstanceStatus.RUNNING
    assert instance.private_ip == "198.19.249.7"
    assert fake_orb.machines()[instance.id]["user_data"] == script.content
    assert instance.managed


def test_list_and_info_parse_json_and_show_only_our_machines(
    orb_handle: ProviderHandle, fake_orb: FakeOrb
) -> None:
    ours = orb_handle.spawn(SpawnOptions(name="a", instance_type="small", tags={"team": "x"}))
    fake_orb.run("create", "ubuntu", "users-own-machine")
    listed = orb_handle.list_instances()
    assert [(i.id, i.tags.get("team"), i.region) for i in listed] == [(ours.id, "x", "local")]
    assert orb_handle.get_instance("users-own-machine") is None
    assert ["list", "--format", "json"] in fake_orb.calls()
    assert ["info", ours.id, "--format", "json"] in fake_orb.calls()
    inner = orb_handle.provider.get_instance(ours.id)
    assert isinstance(inner, OrbStackInstance)
    assert inner.image == "ubuntu:current"


def test_terminate_deletes_with_force_and_is_idempotent(
    orb_handle: ProviderHandle, fake_orb: FakeOrb
) -> None:
    instance = orb_handle.spawn(SpawnOptions(name="a", instance_type="small"))
    orb_handle.terminate(instance.id)
    orb_handle.terminate(instance.id)
    orb_handle.terminate("users-own-machine")  # never ours: never deleted
    deletes = [c for c in fake_orb.calls() if c[0] == "delete"]
    assert deletes == [["delete", "-f", instance.id]]
    gone = orb_handle.get_instance(instance.id)
    assert gone is not None
    assert gone.status is InstanceStatus.TERMINATED
    assert not any(c[0] == "stop" for c in fake_orb.calls())


def test_terminate_tolerates_a_machine_deleted_behind_our_back(
    orb_handle: ProviderHandle, fake_orb: FakeOrb
) -> None:
    instance = orb_handle.spawn(SpawnOptions(name="a", instance_type="small"))
    fake_orb.fail_next("delete", f"machine not found: {instance.id}")
    orb_handle.terminate(instance.id)


def test_vanished_machine_is_missing_from_listing_and_reconcile(
    orb_handle: ProviderHandle, fake_orb: FakeOrb
) -> None:
    instance = orb_handle.spawn(SpawnOptions(name="a", instance_type="small"))
    fake_orb.run("delete", "-f", instance.id)
    assert orb_handle.list_instances() == []
    report = orb_handle.reconcile({instance.id: InstanceStatus.RUNNING})
    assert [(d.kind.value, d.instance_id) for d in report.drift] == [("missing", instance.id)]


def test_idempotency_key_is_kept_in_metadata(orb_handle: ProviderHandle, fake_orb: FakeOrb) -> None:
    first = orb_handle.spawn(SpawnOptions(name="a", instance_type="small", idempotency_key="k"))
    again = orb_handle.spawn(SpawnOptions(name="a", instance_type="small", idempotency_key="k"))
    assert again.id == first.id
    assert sum(c[0] == "create" for c in fake_orb.calls()) == 1


@pytest.mark.parametrize(
    ("stderr", "code"),
    [
        ("unknown distro: plan9", ErrorCode.INVALID_SPEC),
        ("no space left on device", ErrorCode.CAPACITY_ERROR),
    ],
)
def test_definite_create_failures_release_the_key(
    orb_handle: ProviderHandle, fake_orb: FakeOrb, stderr: str, code: ErrorCode
) -> None:
    fake_orb.fail_next("create", stderr)
    with pytest.raises(ProviderError) as caught:
        orb_handle.spawn(SpawnOptions(name="a", instance_type="small", idempotency_key="k"))
    assert caught.value.code is code
    assert orb_handle.list_instances() == []
    again = orb_handle.spawn(SpawnOptions(name="a", instance_type="small", idempotency_key="k"))
    assert again.id != created_names(fake_orb)[0]  # a fresh reservation under a fresh name
    assert list(fake_orb.machines()) == [again.id]


def created_names(fake_orb: FakeOrb) -> list[str]:
    return [c[-1] for c in fake_orb.calls() if c[0] == "create"]


@pytest.mark.parametrize(
    ("stderr", "code"),
    [
        ("connection timed out", ErrorCode.UNAVAILABLE),
        ("segmentation fault", ErrorCode.INTERNAL),
        # our reserved name is taken, so some create of it got there; not visible yet: try again later
        ("machine already exists", ErrorCode.UNAVAILABLE),
    ],
)
def test_unknown_create_outcome_keeps_the_reservation_and_retries_under_its_name(
    orb_handle: ProviderHandle, fake_orb: FakeOrb, stderr: str, code: ErrorCode
) -> None:
    options = SpawnOptions(name="a", instance_type="small", idempotency_key="k")
    fake_orb.fail_next("create", stderr)
    with pytest.raises(ProviderError) as caught:
        orb_handle.spawn(options)
    assert caught.value.code is code
    reserved = created_names(fake_orb)[0]
    assert ["info", reserved, "--format", "json"] in fake_orb.calls()  # it looked before giving up
    listed = orb_handle.list_instances()  # kept, so a sweep can see and clean it
    assert [(i.id, i.status) for i in listed] == [(reserved, InstanceStatus.PENDING)]
    retried = orb_handle.spawn(options)
    assert retried.id == reserved
    assert created_names(fake_orb) == [reserved, reserved]  # OrbStack keeps names unique: one machine
    assert list(fake_orb.machines()) == [reserved]


def test_create_killed_by_its_timeout_after_orbstack_made_the_machine(
    fake_orb: FakeOrb, tmp_path: Path
) -> None:
    registry = ProviderRegistry()
    registry.add(registration)
    handle = registry.get("orbstack", metadata_path=str(tmp_path / "meta.db"), orb_timeout=2)
    options = SpawnOptions(name="slow", instance_type="small", idempotency_key="k")
    try:
        fake_orb.hang_next("create", 60)  # registers the machine, then hangs until killed
        first = handle.spawn(options)
        made = list(fake_orb.machines())
        assert made == [first.id]
        assert first.status is InstanceStatus.RUNNING
        assert [i.id for i in handle.list_instances()] == made
        assert handle.spawn(options).id == first.id
        assert len(created_names(fake_orb)) == 1
        handle.terminate(first.id)
        assert fake_orb.machines() == {}
    finally:
        registry.close()


def test_retry_returns_the_machine_that_appeared_after_an_unknown_outcome(
    orb_handle: ProviderHandle, fake_orb: FakeOrb
) -> None:
    options = SpawnOptions(name="a", instance_type="small", idempotency_key="k")
    fake_orb.fail_next("create", "operation timed out")
    fake_orb.fail_next("info", "connection refused")  # the check after the timeout cannot be made
    with pytest.raises(ProviderError) as caught:
        orb_handle.spawn(options)
    assert caught.value.code is ErrorCode.UNAVAILABLE
    reserved = created_names(fake_orb)[0]
    fake_orb.run("create", "ubuntu", reserved)  # OrbStack finishes the create after all
    assert [i.id for i in orb_handle.list_instances()] == [reserved]
    assert orb_handle.spawn(options).id == reserved
    assert created_names(fake_orb) == [reserved, reserved]  # the second is the fake run above
    orb_handle.terminate(reserved)
    assert fake_orb.machines() == {}


def test_machines_without_the_managed_tag_do_not_exist(
    orb_registry: ProviderRegistry, orb_handle: ProviderHandle, fake_orb: FakeOrb, tmp_path: Path
) -> None:
    direct = build_provider(metadata_path=str(tmp_path / "meta.db"))  # the handle's metadata file
    untagged = direct.spawn(SpawnOptions(name="untagged", instance_type="small", tags={"team": "x"}))
    assert untagged.status is InstanceStatus.RUNNING
    ours = orb_handle.spawn(SpawnOptions(name="ours", instance_type="small"))
    assert [i.id for i in orb_handle.list_instances()] == [ours.id]
    assert orb_handle.get_instance(untagged.id) is None
    # A direct hook call passes through the core's rules too.
    hook = orb_registry.plugin_manager.hook
    assert hook.get_instance(provider="orbstack", provider_id=untagged.id) is None
    orb_handle.terminate(untagged.id)
    hook.terminate(provider="orbstack", provider_id=untagged.id)
    assert untagged.id in fake_orb.machines()
    assert not any(c[0] == "delete" for c in fake_orb.calls())


def test_list_failure_and_bad_json_are_provider_errors(orb_handle: ProviderHandle, fake_orb: FakeOrb) -> None:
    fake_orb.fail_next("list", "connection refused: is OrbStack running?")
    with pytest.raises(ProviderError) as caught:
        orb_handle.list_instances()
    assert caught.value.code is ErrorCode.UNAVAILABLE
    assert caught.value.retryable
    report = orb_handle.health_check()
    assert report.healthy
    fake_orb.fail_next("list", "daemon not running")
    assert not orb_handle.health_check().healthy


def test_backend_rejects_what_orbstack_cannot_do(orb_handle: ProviderHandle) -> None:
    spot, snapshots = orb_handle.spot, orb_handle.snapshots
    assert spot is not None
    assert snapshots is not None
    # The core answers NOT_FOUND for an unknown machine first: ask for a snapshot of a real one.
    machine = orb_handle.spawn(SpawnOptions(name="real", instance_type="small"))
    cases: list[Callable[[], object]] = [
        lambda: orb_handle.spawn(SpawnOptions(name="a", instance_type="small", region="local-2")),
        lambda: orb_handle.spawn(SpawnOptions(name="a", instance_type="small", spot=True)),
        lambda: spot.prices("small"),
        lambda: snapshots.create(machine.id, "n"),
        lambda: orb_handle.spawn(
            SpawnOptions(
                name="a",
                instance_type="small",
                bootstrap=BootstrapScript("x", BootstrapFormat.SHELL, "0" * 64),
            )
        ),
    ]
    for case in cases:
        with pytest.raises(ProviderError) as caught:
            case()
        assert caught.value.code is ErrorCode.INVALID_SPEC


def test_machine_verbs_without_a_name_are_refused(fake_orb: FakeOrb) -> None:
    cli = OrbCli(str(fake_orb.bin / "orb"))
    for verb in ("stop", "delete", "start"):
        with pytest.raises(ProviderError):
            cli.run(verb)
        with pytest.raises(ProviderError):
            cli.run(verb, "-f")
    assert not (fake_orb.root / "orbstack-stopped").exists()
    assert fake_orb.calls() == []


def test_missing_orb_and_timeouts_are_unavailable(tmp_path: Path, fake_orb: FakeOrb) -> None:
    missing = build_provider(
        backend="orbctl", orb_path=str(tmp_path / "nope"), metadata_path=str(tmp_path / "m.db")
    )
    with pytest.raises(ProviderError) as caught:
        missing.list_instances()
    assert caught.value.code is ErrorCode.UNAVAILABLE
    slow = tmp_path / "slow-orb"
    slow.write_text("#!/bin/sh\nexec sleep 5\n")
    slow.chmod(0o755)
    hung = build_provider(
        backend="orbctl", orb_path=str(slow), orb_timeout=0.2, metadata_path=str(tmp_path / "m.db")
    )
    with pytest.raises(ProviderError) as caught:
        hung.list_instances()
    assert caught.value.code is ErrorCode.UNAVAILABLE
