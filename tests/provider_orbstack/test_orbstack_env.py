"""Chaos switched on by PROVIDER_CORE_CHAOS through the published entry point: no caller code changes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import provider_core
from provider_core import ErrorCode, ProviderError, ProviderHandle, ProviderRegistry, SpawnOptions
from provider_orbstack import testing as orb_testing
from provider_orbstack.chaos import ENV_VAR, ChaosPlugin, plugin

SMALL = SpawnOptions(name="web", instance_type="small")


def config(code: str = "RATE_LIMIT_ERROR", **fault: object) -> str:
    spec = {"method": "spawn", "probability": 1.0, "code": code, "retry_after": 0.05, "times": 1, **fault}
    return json.dumps({"seed": 7, "providers": {"orbstack": {"faults": [spec]}}})


@pytest.fixture
def env_registry(registry: ProviderRegistry) -> ProviderRegistry:
    registry.plugin_manager.register(ChaosPlugin())
    return registry


def test_entry_point_registers_the_plugin_only_when_chaos_is_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    quiet = provider_core.discover(refresh=True)
    assert quiet.plugin_manager.get_plugin("plugin:orbstack-chaos") is None, "no wrapper on every call"
    assert quiet.dormant_plugins()["orbstack-chaos"] is plugin
    monkeypatch.setenv(ENV_VAR, config())
    asked = provider_core.discover(refresh=True)
    assert asked.plugin_manager.get_plugin("plugin:orbstack-chaos") is plugin
    assert "orbstack-chaos" not in asked.broken_plugins()


@pytest.fixture
def discovered(monkeypatch: pytest.MonkeyPatch) -> Iterator[ProviderHandle]:
    monkeypatch.setenv(ENV_VAR, config())
    registry = provider_core.discover(refresh=True)
    with orb_testing.test_double() as settings:
        handle = registry.get("orbstack", **settings)
        yield handle
        handle.close()


def test_discovered_registry_obeys_the_env_var(discovered: ProviderHandle) -> None:
    with pytest.raises(ProviderError) as caught:
        discovered.spawn(SMALL)
    assert caught.value.code is ErrorCode.RATE_LIMIT_ERROR
    assert caught.value.retry_after == 0.05
    assert discovered.spawn(SMALL).id  # times=1


def test_inline_json_is_read_at_call_time_and_cached_by_value(
    env_registry: ProviderRegistry, handle: ProviderHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert handle.spawn(SMALL).id  # unset: no chaos
    monkeypatch.setenv(ENV_VAR, config())
    with pytest.raises(ProviderError):
        handle.spawn(SMALL)
    assert handle.spawn(SMALL).id  # same value: its budget (times=1) is spent
    monkeypatch.setenv(ENV_VAR, config("QUOTA_EXCEEDED"))  # new value: fresh state
    with pytest.raises(ProviderError) as caught:
        handle.spawn(SMALL)
    assert caught.value.code is ErrorCode.QUOTA_EXCEEDED


def test_file_config_is_reread_when_it_changes(
    env_registry: ProviderRegistry, handle: ProviderHandle, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "chaos.json"
    path.write_text(config("CAPACITY_ERROR"))
    monkeypatch.setenv(ENV_VAR, f"@{path}")
    with pytest.raises(ProviderError) as caught:
        handle.spawn(SMALL)
    assert caught.value.code is ErrorCode.CAPACITY_ERROR
    path.write_text(config("AUTH_ERROR", times=5) + "\n")
    with pytest.raises(ProviderError) as caught:
        handle.spawn(SMALL)
    assert caught.value.code is ErrorCode.AUTH_ERROR


@pytest.mark.parametrize(
    "value",
    [
        "{not json",
        '{"providers": {"orbstack": {"faults": [{"method": "x"}]}}}',
        '{"providers": {"orbstack": {"constraints": {"exhausted_regions": "local"}}}}',
        '{"providers": {"orbstack": {"drift": {"status": ["error"]}}}}',
        "@/no/such",
    ],
)
def test_bad_env_config_fails_loudly(
    env_registry: ProviderRegistry, handle: ProviderHandle, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(ENV_VAR, value)
    with pytest.raises(ProviderError) as caught:
        handle.spawn(SMALL)
    assert caught.value.code is ErrorCode.INVALID_SPEC
    assert ENV_VAR in caught.value.message


def test_env_config_for_another_provider_leaves_this_one_alone(
    env_registry: ProviderRegistry, handle: ProviderHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, config().replace('"orbstack"', '"aws"'))
    assert handle.spawn(SMALL).id
