"""Capability gating: mypy rejects ungated optional calls; at run time they raise CapabilityNotSupported."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import provider_core
import provider_core.author
from provider_core import (
    BootstrapConfig,
    Capabilities,
    CapabilityNotSupported,
    ErrorCode,
    NetworkConfig,
    ProviderRegistry,
    SpawnOptions,
    VolumeAttachment,
)
from provider_core.testing.memory import MemoryProvider, registration

PRELUDE = """
import provider_core
handle = provider_core.discover().get("memory")
"""


def _mypy(tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
    snippet = tmp_path / "snippet.py"
    snippet.write_text(PRELUDE + textwrap.dedent(body))
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--config-file",
            "/dev/null",
            str(snippet),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_mypy_rejects_an_ungated_optional_call_and_accepts_a_gated_one(tmp_path: Path) -> None:
    ungated = _mypy(tmp_path, 'handle.snapshots.create("i-1", "nightly")\nhandle.spot.prices("t")\n')
    assert ungated.returncode == 1
    assert 'Item "None" of "SnapshotOps | None" has no attribute "create"' in ungated.stdout
    assert 'Item "None" of "SpotOps | None" has no attribute "prices"' in ungated.stdout

    gated = _mypy(
        tmp_path,
        """
        if handle.snapshots is not None:
            snapshot = handle.snapshots.create("i-1", "nightly")
            handle.snapshots.delete(snapshot.id)
        if handle.spot is not None:
            handle.spot.prices("t")
        """,
    )
    assert gated.returncode == 0, gated.stdout


def test_optional_groups_exist_exactly_when_declared() -> None:
    reg = ProviderRegistry()

    class Plain(MemoryProvider):
        capabilities = Capabilities()
        create_snapshot = get_snapshot_status = delete_snapshot = None  # type: ignore[assignment]
        request_spot_instance = cancel_spot_request = get_spot_prices = None  # type: ignore[assignment]

    reg.add(registration(name="plain", provider=Plain, capabilities=Capabilities()))
    reg.add(registration(name="full"))
    assert reg.get("plain").snapshots is None
    assert reg.get("plain").spot is None
    assert reg.get("full").snapshots is not None
    assert reg.get("full").spot is not None


def test_a_direct_hook_call_for_a_missing_capability_raises_capability_not_supported() -> None:
    class Plain(MemoryProvider):
        capabilities = Capabilities()
        create_snapshot = get_snapshot_status = delete_snapshot = None  # type: ignore[assignment]
        request_spot_instance = cancel_spot_request = get_spot_prices = None  # type: ignore[assignment]

    reg = ProviderRegistry()
    reg.add(registration(provider=Plain, capabilities=Capabilities()))
    handle = reg.get("memory")
    handle.list_instances()
    with pytest.raises(CapabilityNotSupported, match="capability 'snapshots' is not supported") as raised:
        reg.plugin_manager.hook.create_snapshot(provider="memory", provider_id="i", name="n")
    assert raised.value.code is ErrorCode.INVALID_SPEC
    assert raised.value.flag == "snapshots"


@pytest.mark.parametrize(
    ("flag", "options"),
    [
        ("spot", SpawnOptions(name="n", instance_type="mem.small", spot=True)),
        ("idempotent_spawn", SpawnOptions(name="n", instance_type="mem.small", idempotency_key="k")),
        ("gpu", SpawnOptions(name="n", instance_type="mem.small", gpu_count=1)),
        (
            "persistent_volumes",
            SpawnOptions(name="n", instance_type="mem.small", volumes=[VolumeAttachment("v")]),
        ),
        (
            "custom_networking",
            SpawnOptions(name="n", instance_type="mem.small", network=NetworkConfig("sub-1")),
        ),
    ],
)
def test_inputs_needing_an_undeclared_flag_are_rejected_before_the_provider_runs(
    flag: str, options: SpawnOptions
) -> None:
    class Plain(MemoryProvider):
        capabilities = Capabilities()
        create_snapshot = get_snapshot_status = delete_snapshot = None  # type: ignore[assignment]
        request_spot_instance = cancel_spot_request = get_spot_prices = None  # type: ignore[assignment]

    reg = ProviderRegistry()
    reg.add(registration(provider=Plain, capabilities=Capabilities()))
    handle = reg.get("memory")
    with pytest.raises(CapabilityNotSupported) as raised:
        handle.spawn(options)
    assert raised.value.flag == flag
    assert isinstance(handle.provider, Plain)
    assert handle.provider.calls == [], "the provider never saw the request"


def test_tailscale_key_needs_tailscale_native(handle: provider_core.ProviderHandle) -> None:
    config = BootstrapConfig("https://cp.example", "token", tailscale_auth_key="tskey-secret")
    with pytest.raises(CapabilityNotSupported, match="tailscale_native"):
        handle.generate_bootstrap(config)


@pytest.mark.parametrize(
    ("capabilities", "reason"),
    [
        (Capabilities(spot=False), "implements request_spot_instance, cancel_spot_request, get_spot_prices"),
        (Capabilities(snapshots=False, spot=True), "implements create_snapshot, get_snapshot_status"),
    ],
)
def test_registration_flags_must_match_the_provider(capabilities: Capabilities, reason: str) -> None:
    reg = ProviderRegistry()
    with pytest.raises(ValueError, match=reason):
        reg.add(registration(capabilities=capabilities))


def test_a_provider_missing_core_methods_is_rejected() -> None:
    class Half(provider_core.author.Provider[provider_core.ProviderInstance, provider_core.ProviderSnapshot]):
        name = "half"

    with pytest.raises(ValueError, match="does not implement get_instance, list_instances, spawn, terminate"):
        ProviderRegistry().add(registration(provider=Half, capabilities=Capabilities()))


def test_capabilities_have_exactly_the_eleven_seed_flags() -> None:
    assert Capabilities.flag_names() == (
        "snapshots",
        "spot",
        "gpu",
        "multi_region",
        "persistent_volumes",
        "warm_volumes",
        "hibernation",
        "cost_explorer",
        "tailscale_native",
        "idempotent_spawn",
        "custom_networking",
    )
    assert Capabilities(gpu=True, spot=True).enabled() == ("spot", "gpu")
