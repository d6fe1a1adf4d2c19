"""One moto server (behind the provider-aws middleware) per test session; state is reset before each test."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from provider_aws import AWSProvider, AWSSettings
from provider_aws._registration import registration
from provider_aws.testing import ALT_REGION, DUMMY_CREDENTIALS, REGION, Ec2Control, serve
from provider_core import ProviderHandle, ProviderInstance, ProviderRegistry, SpawnOptions
from provider_core.author import resolve_settings

MakeProvider = Callable[..., AWSProvider]


@pytest.fixture(scope="session")
def endpoint_url() -> Iterator[str]:
    with serve() as url:
        yield url


@pytest.fixture
def control(endpoint_url: str) -> Ec2Control:
    """Middleware state is fresh for every test; moto's state is shared, so tests tag what they create."""
    control = Ec2Control(endpoint_url)
    control.clear()
    return control


@pytest.fixture
def test_tag() -> dict[str, str]:
    """A tag only this test's instances carry, so listings see nothing from other tests."""
    return {"test-id": uuid.uuid4().hex}


@pytest.fixture
def settings(control: Ec2Control) -> dict[str, Any]:
    return {
        "endpoint_url": control.endpoint_url,
        "region": REGION,
        "regions": (REGION, ALT_REGION),
        **DUMMY_CREDENTIALS,
    }


@pytest.fixture
def make_provider() -> Iterator[MakeProvider]:
    """Build an AWSProvider outside a handle, from settings as a caller gives them (resolved by the core);
    every one built is closed after the test."""
    built: list[AWSProvider] = []

    def make(**given: Any) -> AWSProvider:
        provider = AWSProvider(resolve_settings(AWSSettings, given, provider="aws"))
        built.append(provider)
        return provider

    yield make
    for provider in built:
        provider.close()


@pytest.fixture
def provider(make_provider: MakeProvider, settings: dict[str, Any]) -> AWSProvider:
    return make_provider(**settings)


@pytest.fixture
def registry() -> Iterator[ProviderRegistry]:
    fresh = ProviderRegistry()
    fresh.add(registration)
    yield fresh
    fresh.close()


@pytest.fixture
def handle(registry: ProviderRegistry, settings: dict[str, Any]) -> ProviderHandle:
    return registry.get("aws", **settings)


class LocalSpawner:
    """The compliance suite's `spawn` fixture in miniature, so the workflow contracts also run here."""

    def __init__(self, handle: ProviderHandle, tags: dict[str, str]) -> None:
        self.handle = handle
        self.tags = tags
        self.prefix = f"wf-{uuid.uuid4().hex[:8]}"
        self.ids: list[str] = []

    def options(self, suffix: str = "i", **overrides: Any) -> SpawnOptions:
        tags = {**self.tags, **overrides.pop("tags", {})}
        fields = {"name": f"{self.prefix}-{suffix}", "instance_type": "t3.micro", "tags": tags, **overrides}
        return SpawnOptions(**fields)

    def __call__(self, suffix: str = "i", **overrides: Any) -> ProviderInstance:
        instance = self.handle.spawn(self.options(suffix, **overrides))
        self.track(instance)
        return instance

    def track(self, instance: ProviderInstance | str) -> None:
        self.ids.append(instance if isinstance(instance, str) else instance.id)

    def cleanup(self) -> None:
        for instance_id in self.ids:
            self.handle.terminate(instance_id)


@pytest.fixture
def spawn(handle: ProviderHandle, test_tag: dict[str, str]) -> Iterator[LocalSpawner]:
    spawner = LocalSpawner(handle, test_tag)
    yield spawner
    spawner.cleanup()


@pytest.fixture
def track(spawn: LocalSpawner) -> Callable[..., None]:
    return spawn.track
