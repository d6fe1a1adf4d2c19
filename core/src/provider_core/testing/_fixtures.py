"""Fixtures of the suite; provider-specific contracts use the same ones (documented in core/README.md)."""

from __future__ import annotations

import secrets
import unittest
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from attrs import frozen

from provider_core import ProviderError, ProviderHandle
from provider_core.author import ComplianceProfile, ProviderRegistration
from provider_core.testing._session import ProviderSession, Spawner
from provider_core.testing._targets import Target, resolve_targets

_TARGETS = pytest.StashKey[dict[str, Target]]()
_RUN_ID = pytest.StashKey[str]()
# The default --compliance-timeout: a test double answers at once, so a wait that runs out means a
# broken provider; a real cloud can take minutes to boot or terminate an instance.
OFFLINE_TIMEOUT = 30.0
LIVE_TIMEOUT = 300.0


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
    """--compliance-run-id, or random per pytest process, so concurrent runs never see each other."""
    if _RUN_ID not in config.stash:
        config.stash[_RUN_ID] = config.getoption("compliance_run_id") or secrets.token_hex(3)
    return config.stash[_RUN_ID]


@pytest.fixture(scope="session")
def compliance_target(request: pytest.FixtureRequest) -> Target:
    """The provider under test (parametrized by the suite; the test id is its name)."""
    key: str = getattr(request, "param")  # noqa: B009 - only parametrized requests carry it
    return targets(request.config)[key]


@pytest.fixture(scope="session")
def registration(compliance_target: Target) -> ProviderRegistration:
    return compliance_target.registration


@frozen
class Unbuildable:
    """Why the provider under test could not be built; test_provider_can_be_built reports it, once."""

    reason: str


@pytest.fixture(scope="session")
def compliance_timeout(pytestconfig: pytest.Config) -> float:
    """--compliance-timeout, or its default: short against a test double, long against a real cloud."""
    timeout: float | None = pytestconfig.getoption("compliance_timeout")
    if timeout is None:
        return LIVE_TIMEOUT if pytestconfig.getoption("live") else OFFLINE_TIMEOUT
    return timeout


@pytest.fixture(scope="session")
def built(
    compliance_target: Target,
    registration: ProviderRegistration,
    compliance_timeout: float,
    pytestconfig: pytest.Config,
) -> Iterator[ProviderSession | Unbuildable]:
    """Starts the test double (unless --live), builds the provider, and checks for leaks at the end.

    A provider that cannot be built (rejected by the registry, a flag without its methods, no
    ComplianceProfile, a test double that does not start) is an Unbuildable, not an error in every test.
    """
    with ExitStack() as stack:
        try:
            session = _build(stack, compliance_target, registration, compliance_timeout, pytestconfig)
        except unittest.SkipTest:
            raise  # a test double that cannot run on this machine (say, no Slurm): skipped, not broken
        except Exception as exc:  # whatever it is, the provider cannot be built: report it with its type
            known = isinstance(exc, ProviderError | ValueError)
            detail = str(exc) if known else f"{type(exc).__name__}: {exc}"
            failure = Unbuildable(f"provider '{registration.name}' cannot be built: {detail}")
        else:
            yield session
            session.check_destroyed()
            return
    yield failure


def _build(
    stack: ExitStack,
    target: Target,
    registration: ProviderRegistration,
    timeout: float,
    config: pytest.Config,
) -> ProviderSession:
    if registration.compliance is None:
        raise ValueError("it declares no ComplianceProfile (the suite needs at least a cheap instance_type)")
    registry = target.registry()
    settings: dict[str, Any] = {}
    double = registration.compliance.test_double
    if double is not None and not config.getoption("live"):
        settings = dict(stack.enter_context(double()))
    handle = registry.get(registration.name, **settings)
    # Retries would hide a flaky provider: the suite sees every failure unless asked to retry.
    if not config.getoption("compliance_retries"):
        handle.retry_policy = None
    stack.callback(handle.close)
    handle.provider  # noqa: B018 - building now makes a provider that cannot be built one report
    return ProviderSession(handle, run_id(config), timeout)


@pytest.fixture(scope="session")
def provider_session(built: ProviderSession | Unbuildable) -> ProviderSession:
    """The per-provider state of the run; every test of a provider that cannot be built is skipped."""
    if isinstance(built, Unbuildable):
        pytest.skip(f"{built.reason} (reported once, by test_provider_can_be_built)")
    return built


@pytest.fixture(scope="session")
def profile(provider_session: ProviderSession, registration: ProviderRegistration) -> ComplianceProfile:
    assert registration.compliance is not None, "built checks the profile"
    return registration.compliance


@pytest.fixture(scope="session")
def handle(provider_session: ProviderSession) -> ProviderHandle:
    """The ProviderHandle under test, shared by the whole run for this provider."""
    return provider_session.handle


@pytest.fixture
def wait(provider_session: ProviderSession) -> Callable[..., tuple[bool, Any]]:
    """wait(fetch, done, what): poll until done(fetch()), bounded by the timeout; (done, last value).

    Once one wait of the provider has run out of time, later ones look once (see ProviderSession.wait).
    """
    return provider_session.wait


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
