"""Registration, discovery hygiene, the test double and the health-check hook."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from provider_core import HeartbeatKind, HeartbeatTask, ProviderHandle, ProviderRegistry, Tier
from provider_core.testing.memory import registration as memory_registration
from provider_orbstack._hooks import hooks
from provider_orbstack._registration import registration
from provider_orbstack._sim import SCHEMA_VERSION


def test_registration_declares_the_testing_tier_and_required_flags() -> None:
    assert (registration.name, registration.tier) == ("orbstack", Tier.TESTING)
    caps = registration.capabilities
    assert caps.idempotent_spawn
    assert caps.snapshots
    assert caps.spot
    assert caps.multi_region
    assert registration.compliance is not None
    assert registration.compliance.alt_region == "local-2"
    assert {s.env for s in registration.declared_settings()} >= {"ORBSTACK_SIM_STATE", "ORBSTACK_BACKEND"}


def test_importing_registration_and_chaos_loads_no_sdk() -> None:
    code = (
        "import sys, provider_orbstack._registration, provider_orbstack.chaos;"
        "print(sorted(m for m in ('boto3', 'botocore', 'httpx') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_discovery_imports_neither_the_provider_nor_its_backends() -> None:
    code = (
        "import json, sys, provider_orbstack._registration, provider_orbstack.chaos;"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('provider_orbstack.'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = set(json.loads(out))
    assert not loaded & {
        "provider_orbstack._provider",
        "provider_orbstack._client",
        "provider_orbstack._sim",
        "provider_orbstack._orbctl",
        "provider_orbstack._db",
    }
    assert registration.provider == "provider_orbstack._provider:OrbStackProvider"


def test_test_double_yields_a_private_sim_and_removes_it() -> None:
    assert registration.compliance is not None
    assert registration.compliance.test_double is not None
    with registration.compliance.test_double() as settings:
        state = Path(settings["state_path"])
        assert settings["backend"] == "sim"
        assert settings["boot_delay"] < 1
        registry = ProviderRegistry()
        registry.add(registration)
        registry.get("orbstack", **settings).list_instances()
        assert state.exists()
        registry.close()
    assert not state.parent.exists()


def test_health_check_reports_the_sim_database(handle: ProviderHandle) -> None:
    report = handle.health_check()
    assert report.healthy
    assert f"schema v{SCHEMA_VERSION}" in report.message


def test_health_check_is_unhealthy_when_the_database_is_broken(
    handle: ProviderHandle, tmp_path: Path
) -> None:
    handle.list_instances()
    for leftover in tmp_path.glob("sim.db*"):
        leftover.unlink()
    (tmp_path / "sim.db").write_bytes(b"garbage" * 1000)
    report = handle.health_check()
    assert not report.healthy
    assert "orbstack" in report.message


def test_hooks_answer_only_orbstack_health_checks(registry: ProviderRegistry, handle: ProviderHandle) -> None:
    registry.add(memory_registration())
    memory = registry.get("memory")
    task = HeartbeatTask(HeartbeatKind.HEALTH_CHECK)
    assert hooks.on_heartbeat(provider="memory", task=task, handle=memory) is None
    assert (
        hooks.on_heartbeat(provider="orbstack", task=HeartbeatTask(HeartbeatKind.RECONCILE), handle=handle)
        is None
    )
    assert "sim database" not in memory.health_check().message  # the core's default answered
    assert "sim database" in handle.health_check().message
