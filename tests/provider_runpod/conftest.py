"""Fixtures: an emulator per test whose REST exchanges are checked against the v2 spec, providers built
directly (what RunPod-specific code does), and handles (what the core's rules apply to)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

import provider_core
from provider_core.author import resolve_settings
from provider_runpod import RunPodProvider, RunPodSettings
from provider_runpod.testing import Emulator
from tests.fake_clock import FakeClock
from tests.provider_runpod import spec


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emulator(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[Emulator]:
    with Emulator(boot_reads=1, clock=clock) as emu:
        yield emu
    # Every REST exchange of every test must match the published spec, except what a test sends or
    # answers off-spec on purpose.
    if spec.available():
        spec.checker().check(
            emu.exchanges,
            requests=request.node.get_closest_marker("invalid_requests") is None,
            responses=request.node.get_closest_marker("invalid_responses") is None,
        )


@pytest.fixture
def make_provider(emulator: Emulator, clock: FakeClock) -> Iterator[Callable[..., RunPodProvider]]:
    built: list[RunPodProvider] = []

    def make(**overrides: Any) -> RunPodProvider:
        settings = resolve_settings(RunPodSettings, {**emulator.settings, **overrides}, provider="runpod")
        provider = RunPodProvider(settings, clock=clock, sleep=clock.sleep)
        built.append(provider)
        return provider

    yield make
    for provider in built:
        provider.close()


@pytest.fixture
def provider(make_provider: Callable[..., RunPodProvider]) -> RunPodProvider:
    return make_provider()


@pytest.fixture
def handle(emulator: Emulator) -> Iterator[provider_core.ProviderHandle]:
    """The provider through the core (contract rules, management tags), talking to this test's emulator."""
    built = provider_core.discover().get("runpod", **emulator.settings)
    yield built
    built.close()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "invalid_requests: the test sends spec-invalid requests on purpose (responses still checked)",
    )
    config.addinivalue_line(
        "markers",
        "invalid_responses: the emulator answers spec-invalid bodies on purpose (requests still checked)",
    )
