"""The audit log: one JSON line per provider call with provider, method, outcome and duration, no secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from provider_core import BootstrapScript, ErrorCode, ProviderError, ProviderRegistry, SpawnOptions
from provider_core.testing import memory
from provider_core_audit import ENV_VAR, AuditLog

TOKEN = "tok-very-secret-123"


def _registry(plugin: AuditLog) -> ProviderRegistry:
    registry = ProviderRegistry()
    registry.add(memory.registration())
    registry.plugin_manager.register(plugin)
    return registry


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_every_call_is_one_line_with_its_outcome(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    handle = _registry(AuditLog(log)).get("memory")
    script = BootstrapScript(content=f"#!/bin/sh\necho {TOKEN}\n", format="shell")
    instance = handle.spawn(SpawnOptions(name="a", instance_type="mem.small", bootstrap=script))
    handle.terminate(instance.id)
    with pytest.raises(ProviderError):
        handle.spawn(SpawnOptions(name="b", instance_type="no-such-type"))

    lines = _lines(log)
    # terminate reads first, through the provider only, so the log shows the calls a caller made.
    assert [(x["provider"], x["method"], x["outcome"]) for x in lines] == [
        ("memory", "spawn", "ok"),
        ("memory", "terminate", "ok"),
        ("memory", "spawn", ErrorCode.INVALID_SPEC.value),
    ]
    assert all(isinstance(x["seconds"], float) and x["seconds"] >= 0 and x["attempt"] == 1 for x in lines)
    assert set(lines[0]) == {"time", "provider", "method", "outcome", "seconds", "attempt"}
    assert TOKEN not in log.read_text()


def test_the_entry_point_plugin_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "env.jsonl"
    handle = _registry(AuditLog()).get("memory")
    monkeypatch.delenv(ENV_VAR, raising=False)
    handle.list_instances()
    assert not log.exists()
    monkeypatch.setenv(ENV_VAR, str(log))
    handle.list_instances()
    assert [x["method"] for x in _lines(log)] == ["list_instances"]


def test_an_unwritable_log_does_not_fail_the_call(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    handle = _registry(AuditLog(tmp_path / "missing-dir" / "audit.jsonl")).get("memory")
    instance = handle.spawn(SpawnOptions(name="a", instance_type="mem.small"))
    assert handle.get_instance(instance.id) is not None
    assert "audit log not written" in caplog.text


def test_a_writer_callable_receives_whole_lines() -> None:
    lines: list[str] = []
    handle = _registry(AuditLog(write=lines.append)).get("memory")
    handle.get_instance("mem-404")
    assert [json.loads(line)["method"] for line in lines] == ["get_instance"]
