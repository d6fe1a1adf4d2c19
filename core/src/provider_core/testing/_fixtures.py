"""Fixtures of the suite; provider-specific contracts use the same ones (documented in core/README.md)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from provider_core import ProviderHandle
from provider_core.author import ComplianceProfile, ProviderRegistration
from provider_core.testing._session import ProviderSession, Spawner
from provider_core.testing._targets import Target, resolve_targets

_TARGETS = pytest.StashKey[dict[str, Target]]()
_RUN_ID = pytest.StashKey[str]()


def targets(config: pytest.Config) -> dict[str, Target]:
    """The providers this run checks, resolved once (this is where discovery happens)."""
    if _TARGETS not in config.stash:
        config.stash[_TARGETS] = resolve_targets(
            config.getoption("provider"), config.getoption("registration")
        )
    return config.stash[_TARGETS]


def resolved_targets(config: pytest.Config) -> dict[str, Target] | None:
    return config.stash.get(_TARGETS, None)


def run_id(config: pytest.Config) -> str:
    """Random per pytest process, so concurrent runs against one account never see each other."""
    if _RUN_ID not in config.stash:
        config.stash[_RUN_ID] = secrets.token_hex(3)
    return config.stash[_RUN_ID]


@pytest.fixture(scope="session")
def compliance_target(request: pytest.FixtureRequest) -> Target:
    """The provider under test (parametrized by the suite; the test id is its name)."""
    key: str = getattr(request, "param")  # noqa: B009 - only parametrized requests carry it
    return targets(request.config)[key]


@pytest.fixture(scope="session")
def registration(compliance_target: Target) -> ProviderRegistration:
    return compliance_target.registration


@pytest.fixture(scope="session")
def profile(registration: ProviderRegistration) -> ComplianceProfile:
    if registration.compliance is None:
        pytest.fail(
            f"provider '{registration.name}' declares no ComplianceProfile: the suite needs at least "
            "a cheap instance_type",
            pytrace=False,
        )
    return registration.compliance


@pytest.fixture(scope="session")
def compliance_timeout(pytestconfig: pytest.Config) -> float:
    timeout: float = pytestconfig.getoption("compliance_timeout")
    return timeout


@pytest.fixture(scope="session")
def provider_session(
    compliance_target: Target,
    registration: ProviderRegistration,
    compliance_timeout: float,
    pytestconfig: pytest.Config,
) -> Iterator[ProviderSession]:
    """Starts the test double (unless --live), builds the handle, and checks for leaks at the end."""
    with ExitStack() as stack:
        settings: dict[str, Any] = {}
        double = registration.compliance.test_double if registration.compliance else None
        if double is not None and not pytestconfig.getoption("live"):
            settings = dict(stack.enter_context(double()))
        handle = compliance_target.registry().get(registration.name, **settings)
        # Retries would hide a flaky provider: the suite sees every failure unless asked to retry.
        if not pytestconfig.getoption("compliance_retries"):
            handle.retry_policy = None
        stack.callback(handle.close)
        session = ProviderSession(handle, run_id(pytestconfig), compliance_timeout)
        yield session
        session.check_destroyed()


@pytest.fixture(scope="session")
def handle(provider_session: ProviderSession) -> ProviderHandle:
    """The ProviderHandle under test, shared by the whole run for this provider."""
    return provider_session.handle


@pytest.fixture
def spawn(provider_session: ProviderSession, profile: ComplianceProfile) -> Iterator[Spawner]:
    """spawn(suffix, **SpawnOptions fields): spawns a uniquely named instance, terminated after the test."""
    spawner = Spawner(provider_session, profile)
    yield spawner
    spawner.cleanup()


@pytest.fixture
def track(spawn: Spawner) -> Callable[..., None]:
    """track(instance_or_id): terminate it after the test and include it in the leak check."""
    return spawn.track


@pytest.fixture
def unique_name(spawn: Spawner) -> str:
    """The name prefix of this test's instances; no other test of any run shares it."""
    return spawn.prefix
