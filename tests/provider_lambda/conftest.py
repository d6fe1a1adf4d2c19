"""Fixtures: an emulator per test whose every exchange is checked against the spec, a provider, a handle.

The raw provider is for what is Lambda's own (the launch request, the error table, pacing); a handle
adds the core's rules (management tags, filtering, NOT_FOUND as None, gating), so a test of one of
those goes through a handle and proves the behaviour end to end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from provider_core import ProviderHandle, ProviderRegistry
from provider_core.author import resolve_settings
from provider_lambda import LambdaProvider, LambdaSettings, registration
from provider_lambda._ratelimit import RateLimiter
from provider_lambda.testing import LambdaEmulator, settings_for
from tests.fake_clock import FakeClock
from tests.provider_lambda import spec


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "invalid_requests: the test sends spec-invalid requests on purpose (responses still checked)",
    )


def build_provider(settings: Mapping[str, Any], *, limiter: RateLimiter | None = None) -> LambdaProvider:
    """A raw provider, its settings resolved by the core as a handle would (the environment included)."""
    return LambdaProvider(resolve_settings(LambdaSettings, settings, provider="lambda"), limiter=limiter)


@contextmanager
def checked_emulator(*, check_requests: bool = True, **options: Any) -> Iterator[LambdaEmulator]:
    """An emulator whose every exchange is validated against the spec once it stops (when present)."""
    with LambdaEmulator(**options) as emu:
        yield emu
    if spec.spec_available():
        spec.checker().check(emu.exchanges, requests=check_requests)


@pytest.fixture
def emulator(request: pytest.FixtureRequest) -> Iterator[LambdaEmulator]:
    with checked_emulator(check_requests=request.node.get_closest_marker("invalid_requests") is None) as emu:
        yield emu


@pytest.fixture
def http(emulator: LambdaEmulator) -> Iterator[httpx.Client]:
    """A plain HTTP client for the emulator, authenticated, rooted at /api/v1."""
    headers = {"Authorization": f"Bearer {emulator.api_key}"}
    with httpx.Client(base_url=emulator.base_url, headers=headers, timeout=10) as client:
        yield client


@pytest.fixture
def make_provider(emulator: LambdaEmulator) -> Iterator[Callable[..., LambdaProvider]]:
    built: list[LambdaProvider] = []

    def make(**overrides: Any) -> LambdaProvider:
        limiter = overrides.pop("limiter", None)
        provider = build_provider(settings_for(emulator, **overrides), limiter=limiter)
        built.append(provider)
        return provider

    yield make
    for provider in built:
        provider.close()


@pytest.fixture
def provider(make_provider: Callable[..., LambdaProvider]) -> LambdaProvider:
    return make_provider()


@pytest.fixture
def make_handle(emulator: LambdaEmulator) -> Iterator[Callable[..., ProviderHandle]]:
    registry = ProviderRegistry()
    registry.add(registration)

    def make(**overrides: Any) -> ProviderHandle:
        return registry.get("lambda", **settings_for(emulator, **overrides))

    yield make
    registry.close()


@pytest.fixture
def handle(make_handle: Callable[..., ProviderHandle]) -> ProviderHandle:
    return make_handle()


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()
