"""Discovery against real installed throwaway distributions, in fresh interpreters."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest
from attrs import frozen

import provider_core
import provider_core.author
import provider_core.hooks
from tests.provider_core.distributions import make_distribution, run_python

PROVIDERS = "provider_core.providers"
PLUGINS = "provider_core.plugins"

GOOD = """
from provider_core import Capabilities, Tier
from provider_core.author import ProviderRegistration
from provider_core.testing.memory import MemoryProvider, registration as memory

def registration():
    return memory(name="good", version=None)
"""


def _install(root: Path) -> None:
    make_distribution(
        root, "good-provider", {PROVIDERS: {"good": "good_reg:registration"}}, {"good_reg": GOOD}
    )
    make_distribution(
        root,
        "crashing-provider",
        {PROVIDERS: {"crashing": "crashing_reg:registration"}},
        {"crashing_reg": "raise ImportError('the SDK is missing')\n"},
    )
    make_distribution(
        root,
        "not-a-registration",
        {PROVIDERS: {"notreg": "notreg_reg:registration"}},
        {"notreg_reg": "registration = {'name': 'notreg'}\n"},
    )
    make_distribution(
        root,
        "methods-without-flag",
        {PROVIDERS: {"liar": "liar_reg:registration"}},
        {
            "liar_reg": """
            from provider_core import Capabilities
            from provider_core.testing.memory import registration as memory
            registration = memory(name="liar", capabilities=Capabilities(hibernation=True, snapshots=False))
        """
        },
    )
    make_distribution(
        root,
        "audit-plugin",
        {PLUGINS: {"audit": "audit_plugin"}},
        {
            "audit_plugin": """
            from provider_core.hooks import hookimpl
            SEEN = []
            @hookimpl(wrapper=True)
            def spawn(provider, options):
                SEEN.append(provider)
                return (yield)
        """
        },
    )


def _install_more(root: Path) -> None:
    make_distribution(
        root,
        "flag-without-methods",
        {PROVIDERS: {"boaster": "boaster_reg:registration"}},
        {
            "boaster_reg": """
            from provider_core import Capabilities
            from provider_core.testing.memory import MemoryProvider, registration as memory

            class Boaster(MemoryProvider):
                capabilities = Capabilities(snapshots=True, spot=True)
                get_snapshot_status = delete_snapshot = None

            registration = memory(name="boaster", provider=Boaster, capabilities=Boaster.capabilities)
        """
        },
    )
    make_distribution(
        root,
        "exiting-provider",
        {PROVIDERS: {"exiter": "exiter_reg:registration"}},
        {"exiter_reg": "import sys\nsys.exit('refusing to load')\n"},
    )


def test_broken_distributions_are_isolated_and_reported(tmp_path: Path) -> None:
    _install(tmp_path)
    _install_more(tmp_path)
    found = run_python(
        tmp_path,
        """
        import json, provider_core
        r = provider_core.discover()
        h = r.get("good")
        i = h.spawn(provider_core.SpawnOptions(name="x", instance_type="mem.small"))
        import audit_plugin
        print(json.dumps({"names": r.names(), "broken": r.broken(), "id": i.id,
                          "version": r.registration("good").version, "seen": audit_plugin.SEEN}))
        """,
    )
    assert "good" in found["names"]
    assert found["id"].startswith("mem-")
    assert found["version"] == "1.0", "the version comes from the distribution when the registration has none"
    assert found["seen"] == ["good"], "plugins from the provider_core.plugins group wrap provider calls"
    broken = found["broken"]
    assert "ImportError: the SDK is missing" in broken["crashing"]
    assert "not a ProviderRegistration" in broken["notreg"]
    assert "does not implement create_snapshot" not in broken["liar"]
    assert (
        "implements create_snapshot, get_snapshot_status, delete_snapshot but does not declare 'snapshots'"
        in (broken["liar"])
    )
    assert (
        "declares 'snapshots' but does not implement get_snapshot_status, delete_snapshot"
        in broken["boaster"]
    )
    assert "SystemExit: refusing to load" in broken["exiter"], "sys.exit() in a distribution spares the host"
    for name in ("crashing", "notreg", "liar", "boaster", "exiter"):
        assert name not in found["names"]


def test_strict_discovery_raises_with_every_reason(tmp_path: Path) -> None:
    _install(tmp_path)
    found = run_python(
        tmp_path,
        """
        import json, provider_core
        try:
            provider_core.discover(strict=True)
        except provider_core.DiscoveryError as exc:
            print(json.dumps(sorted(exc.broken)))
        """,
    )
    assert {"crashing", "notreg", "liar"} == set(found)


def test_discovery_imports_no_cloud_sdk(tmp_path: Path) -> None:
    found = run_python(
        tmp_path,
        """
        import json, sys, provider_core
        r = provider_core.discover()
        flags = {n: r.registration(n).capabilities.enabled() for n in r.names()}
        tiers = {n: str(r.registration(n).tier) for n in r.names()}
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"boto3", "botocore", "httpx", "moto"})
        print(json.dumps({"names": r.names(), "broken": r.broken(), "heavy": heavy}))
        """,
    )
    assert found["broken"] == {}, found["broken"]
    assert {"aws", "lambda", "runpod", "orbstack"} <= set(found["names"])
    assert found["heavy"] == [], f"discovery imported {found['heavy']}"


def test_installed_distributions_are_scanned_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    scans: list[str] = []
    real = metadata.entry_points

    def counting(*, group: str) -> object:
        scans.append(group)
        return real(group=group)

    monkeypatch.setattr(metadata, "entry_points", counting)
    first = provider_core.discover(refresh=True)
    assert provider_core.discover() is first
    assert provider_core.discover() is first
    assert scans == [PROVIDERS, PLUGINS]


def test_unknown_provider_names_the_available_ones(registry: provider_core.ProviderRegistry) -> None:
    with pytest.raises(ValueError, match=r"unknown provider 'nope'; available: memory"):
        registry.get("nope")


def test_unknown_setting_is_rejected_by_name(registry: provider_core.ProviderRegistry) -> None:
    from provider_core.testing.memory import registration

    fresh = provider_core.ProviderRegistry()

    @frozen
    class RegionSettings:
        region: str | None = provider_core.author.setting()

    fresh.add(registration(name="withsettings", settings=RegionSettings))
    with pytest.raises(
        ValueError, match=r"unknown setting\(s\) for provider 'withsettings': regoin; known: region"
    ):
        fresh.get("withsettings", regoin="x").list_instances()


def test_hook_objects_with_unknown_hooks_are_rejected() -> None:
    from provider_core.testing.memory import registration

    class Typo:
        @provider_core.hooks.hookimpl
        def on_heartbeet(self, provider: str) -> None:
            raise AssertionError("never called")

    fresh = provider_core.ProviderRegistry()
    with pytest.raises(ValueError, match="no specification: on_heartbeet"):
        fresh.add(registration(hooks=(Typo(),)))
    assert fresh.names() == []
