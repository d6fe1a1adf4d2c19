"""Discovery, settings and secrecy: what the core sees before and at first use."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import pytest

import provider_core
from provider_core import Capabilities, ErrorCode, ProviderError, SpawnOptions, Tier
from provider_core.author import MANAGED_TAG, resolve_settings
from provider_lambda import LambdaProvider, LambdaSettings
from provider_lambda._registration import registration
from provider_lambda.testing import LambdaEmulator, settings_for

SECRET = "sk-lambda-very-secret-value"


def test_registration_shape() -> None:
    assert registration.name == "lambda"
    assert registration.tier is Tier.ADDITIONAL
    assert registration.capabilities == Capabilities(gpu=True, multi_region=True, idempotent_spawn=True)
    assert registration.provider == "provider_lambda._provider:LambdaProvider"
    assert registration.provider_factory() is LambdaProvider
    assert registration.settings is LambdaSettings
    key = registration.setting("api_key")
    assert key is not None
    assert (key.secret, key.env) == (True, "LAMBDA_API_KEY")
    base = registration.setting("base_url")
    assert base is not None
    assert base.env == "LAMBDA_API_URL"
    assert {s.name for s in registration.declared_settings()} >= {
        "ssh_key_name",
        "region",
        "request_interval",
        "launch_interval",
    }
    assert registration.compliance is not None
    assert registration.compliance.test_double is not None


def test_discovery_imports_no_http_client_and_contacts_nothing() -> None:
    script = textwrap.dedent(
        """
        import sys
        from importlib.metadata import entry_points
        import provider_core

        # Only this distribution's entry point: other providers are not this test's business.
        [entry] = [e for e in entry_points(group="provider_core.providers") if e.name == "lambda"]
        registry = provider_core.ProviderRegistry()
        registry.load_entry_point(entry)
        assert registry.names() == ["lambda"], registry.broken()
        assert registry.registration("lambda").capabilities.gpu
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in {"httpx", "httpcore", "h11"})
        assert not loaded, loaded
        assert "provider_lambda.testing" not in sys.modules
        assert "provider_lambda._provider" not in sys.modules
        """
    )
    env = {"PATH": "/usr/bin:/bin", "LAMBDA_API_URL": "http://127.0.0.1:9/api/v1"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_settings_fall_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDA_API_KEY", "from-env")
    monkeypatch.setenv("LAMBDA_API_URL", "http://127.0.0.1:1/api/v1")
    monkeypatch.setenv("LAMBDA_SSH_KEY_NAME", "env-key")
    resolved = resolve_settings(LambdaSettings, {}, provider="lambda")
    assert (resolved.api_key, resolved.base_url, resolved.ssh_key_name) == (
        "from-env",
        "http://127.0.0.1:1/api/v1",
        "env-key",
    )
    explicit = resolve_settings(
        LambdaSettings, {"api_key": "given", "base_url": "http://127.0.0.1:2/api/v1"}, provider="lambda"
    )
    assert (explicit.api_key, explicit.base_url) == ("given", "http://127.0.0.1:2/api/v1")


def test_default_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAMBDA_API_URL", raising=False)
    assert (
        resolve_settings(LambdaSettings, {}, provider="lambda").base_url == "https://cloud.lambda.ai/api/v1"
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("timeout", 0),
        ("timeout", True),
        ("request_interval", -1),
        ("launch_interval", "x"),
        ("base_url", "cloud.lambda.ai"),
        ("base_url", "http://[::1"),
        ("base_url", "http://"),
        ("base_url", "http://host:99999/api/v1"),
        ("base_url", "http://exa mple.com/api/v1"),
        ("base_url", 8080),
        ("region", 5),
        ("ssh_key_name", ["emulator-key"]),
        ("api_key", 12345),
        ("api_key", f"{SECRET}\nX-Injected: 1"),
        ("api_key", f"{SECRET}\u00e9"),
    ],
)
def test_bad_settings_are_value_errors_naming_the_setting(name: str, value: object) -> None:
    settings: dict[str, Any] = {"base_url": "http://127.0.0.1:9/api/v1", name: value}
    with pytest.raises(ValueError, match=f"setting '{name}'") as caught:
        resolve_settings(LambdaSettings, settings, provider="lambda")
    assert f"'{name}'" in str(caught.value)
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value)


def test_a_bad_setting_fails_the_handle_at_first_use_without_showing_the_key() -> None:
    registry = provider_core.ProviderRegistry()
    registry.add(registration)
    handle = registry.get("lambda", api_key=f"{SECRET}\u00e9")
    try:
        with pytest.raises(ValueError, match="setting 'api_key'") as caught:
            handle.list_instances()
    finally:
        registry.close()
    assert "'api_key'" in str(caught.value)
    assert SECRET not in str(caught.value)


def test_missing_key_is_auth_error_at_first_use_not_before(
    emulator: LambdaEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LAMBDA_API_KEY", raising=False)
    registry = provider_core.ProviderRegistry()
    registry.add(registration)
    settings = settings_for(emulator)
    del settings["api_key"]
    handle = registry.get("lambda", **settings)
    try:
        with pytest.raises(ProviderError) as caught:
            handle.list_instances()
        assert caught.value.code is ErrorCode.AUTH_ERROR
        assert "LAMBDA_API_KEY" in caught.value.message
        assert handle.built
    finally:
        registry.close()
    assert emulator.exchanges == []


def test_handle_spawn_returns_generic_types_with_core_tags(emulator: LambdaEmulator) -> None:
    registry = provider_core.ProviderRegistry()
    registry.add(registration)
    handle = registry.get("lambda", **settings_for(emulator))
    try:
        instance = handle.spawn(SpawnOptions(name="h", instance_type="gpu_1x_a10", idempotency_key="h-1"))
        assert type(instance) is provider_core.ProviderInstance
        assert instance.tags[MANAGED_TAG] == "true"
        assert [i.id for i in handle.list_instances()] == [instance.id]
        with pytest.raises(provider_core.CapabilityNotSupported):
            handle.spawn(SpawnOptions(name="s", instance_type="gpu_1x_a10", spot=True))
    finally:
        registry.close()


def test_the_key_never_shows(
    make_provider: Callable[..., LambdaProvider], emulator: LambdaEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.api_key = SECRET
    provider = make_provider(api_key=SECRET)
    caplog.set_level(logging.DEBUG)
    provider.list_instances()
    emulator.api_key = "rotated"
    with pytest.raises(ProviderError) as caught:
        provider.list_instances()
    registry = provider_core.ProviderRegistry()
    registry.add(registration)
    handle = registry.get("lambda", **settings_for(emulator, api_key=SECRET))
    shown = [
        repr(provider),
        str(provider.settings),
        repr(provider._client),
        repr(handle),
        str(caught.value),
        repr(caught.value),
        caplog.text,
    ]
    assert caught.value.code is ErrorCode.AUTH_ERROR
    assert all(SECRET not in text for text in shown)
    # It was sent, as a Bearer token: the emulator, holding SECRET as its key then, accepted it; its log
    # shows the scheme with the credential masked.
    first = emulator.exchanges[0]
    assert (first.status, first.headers["Authorization"]) == (200, "Bearer ***")
    assert all(SECRET not in repr(exchange) for exchange in emulator.exchanges)
