"""Fixtures: an emulator per test whose every exchange is checked against the spec, and a provider."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from provider_lambda import LambdaProvider
from provider_lambda.testing import LambdaEmulator, settings_for
from tests.fake_clock import FakeClock
from tests.provider_lambda import spec


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "invalid_requests: the test sends spec-invalid requests on purpose (responses still checked)",
    )


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
def make_provider(emulator: LambdaEmulator) -> Iterator[Callable[..., LambdaProvider]]:
    built: list[LambdaProvider] = []

    def make(**overrides: Any) -> LambdaProvider:
        limiter = overrides.pop("limiter", None)
        provider = LambdaProvider(limiter=limiter, **settings_for(emulator, **overrides))
        built.append(provider)
        return provider

    yield make
    for provider in built:
        provider.close()


@pytest.fixture
def provider(make_provider: Callable[..., LambdaProvider]) -> LambdaProvider:
    return make_provider()


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()
