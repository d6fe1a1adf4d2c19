"""`providers demo`: the offline tour, its chaos step, its leak check and its exit code."""

from __future__ import annotations

from importlib import metadata
from typing import Any

import pytest

from provider_core import ProviderRegistry
from provider_core.cli import _chaos
from tests.cli.conftest import Cli
from tests.provider_core.distributions import make_distribution

REAL_PROVIDERS = ("aws", "lambda", "orbstack", "runpod")


def steps(data: dict[str, Any], provider: str) -> dict[str, dict[str, Any]]:
    entry = next(p for p in data["providers"] if p["name"] == provider)
    return {s["step"]: s for s in entry["steps"]}


def chaos_plugin_installed() -> bool:
    return _chaos.find_chaos_plugin(ProviderRegistry())[0] is not None


def test_demo_runs_every_step_and_reports_progress(cli: Cli) -> None:
    run = cli("demo", "--provider", "memory", "--no-chaos", "--json")
    assert run.code == 0, run.output
    data = run.json()
    assert data["ok"] is True
    done = steps(data, "memory")
    assert list(done) == [
        "start",
        "bootstrap",
        "spawn",
        "list",
        "heartbeat",
        "chaos",
        "terminate",
        "leaks",
        "stop",
    ]
    assert {s["status"] for name, s in done.items() if name != "chaos"} == {"ok"}
    assert (done["chaos"]["status"], done["chaos"]["detail"]) == ("skipped", "disabled by --no-chaos")
    assert done["spawn"]["detail"].startswith("2 running with a bootstrap")
    assert done["leaks"]["detail"] == "none: all 2 instance(s) gone"
    assert "ok   memory     spawn" in run.stderr  # a progress line per finished step


def test_demo_fails_when_instances_leak(cli: Cli) -> None:
    run = cli("demo", "--provider", "leaky", "--no-chaos", "--timeout", "1")
    assert run.code == 1
    assert "leaky leaks FAILED: still alive after 1s: mem-1, mem-2" in run.stdout
    assert "demo FAILED (1 step(s))" in run.stdout


def test_demo_reports_a_broken_provider_and_fails(cli: Cli) -> None:
    run = cli("demo", "--provider", "memory", "--provider", "broken", "--no-chaos")
    assert run.code == 1
    assert "broken is broken: " in run.stdout
    assert "no_such_registration" in run.stdout
    header = next(line.split() for line in run.stdout.splitlines() if line.split()[:1] == ["step"])
    start = next(line.split() for line in run.stdout.splitlines() if line.split()[:1] == ["start"])
    assert start[header.index("broken")] == "BROKEN"
    assert start[header.index("memory")] == "ok"


@pytest.mark.skipif(not chaos_plugin_installed(), reason="no chaos plugin (provider-orbstack) installed")
def test_demo_chaos_is_recovered_by_retry_and_reported_by_reconcile(cli: Cli) -> None:
    run = cli("demo", "--provider", "memory", "--chaos", "memory", "--json")
    assert run.code == 0, run.output
    chaos = steps(run.json(), "memory")["chaos"]
    assert chaos["status"] == "ok"
    assert "spawn hit RATE_LIMIT_ERROR" in chaos["detail"]
    assert "recovered with mem-3" in chaos["detail"]
    assert "1 missing, 1 unexpected, 1 status changed" in chaos["detail"]
    assert steps(run.json(), "memory")["leaks"]["detail"] == "none: all 3 instance(s) gone"


def test_chaos_step_is_skipped_with_a_reason_when_no_plugin_is_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(metadata, "entry_points", lambda group: metadata.EntryPoints(()))
    assert _chaos.find_chaos_plugin(ProviderRegistry()) == (
        None,
        "no chaos plugin installed (provider-orbstack publishes one in the provider_core.plugins group)",
    )


def test_broken_chaos_plugin_is_reported_as_the_reason(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_distribution(
        tmp_path, "fake-chaos", {"provider_core.plugins": {"fake-chaos": "nowhere_mod:plugin"}}, {}
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    found = [ep for ep in metadata.entry_points(group="provider_core.plugins") if ep.name == "fake-chaos"]
    monkeypatch.setattr(metadata, "entry_points", lambda group: metadata.EntryPoints(found))
    registry = ProviderRegistry()
    registry.load_plugin(found[0])
    name, why = _chaos.find_chaos_plugin(registry)
    assert name is None
    assert why.startswith("chaos plugin 'fake-chaos' is broken: ModuleNotFoundError")


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("colour=blue", "demo settings are scoped to a provider: --set PROVIDER.KEY=VALUE"),
        ("memory.colour=blue", "unknown setting(s) for provider 'memory': colour"),
    ],
)
def test_demo_settings_are_checked(cli: Cli, setting: str, message: str) -> None:
    run = cli("demo", "--provider", "memory", "--set", setting)
    assert run.code == 2
    assert message in run.stderr


def test_demo_of_the_four_real_providers(cli: Cli) -> None:
    found = cli.ok("list", "--json").json()
    names = {p["name"] for p in found["providers"]}
    missing = [n for n in REAL_PROVIDERS if n not in names]
    if missing:
        pytest.skip(f"not installed or broken: {', '.join(missing)}")
    args = [a for name in REAL_PROVIDERS for a in ("--provider", name)]
    run = cli("demo", *args, "--json")
    data = run.json()
    failed = {
        (p["name"], s["step"]): s["detail"]
        for p in data["providers"]
        for s in p["steps"]
        if s["status"] == "failed"
    }
    assert run.code == 0, failed
    assert failed == {}
    assert {p["name"] for p in data["providers"]} == set(REAL_PROVIDERS)
    if chaos_plugin_installed():
        assert steps(data, "orbstack")["chaos"]["status"] == "ok"
