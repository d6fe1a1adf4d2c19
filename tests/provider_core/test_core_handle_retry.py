"""The handle's default retry policy: what is safe to retry is retried, nothing else, and it can be
changed or switched off per registry and per handle, through one configuration."""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import Any

import pytest

from provider_core import (
    ErrorCode,
    ListFilter,
    ProviderError,
    ProviderInstance,
    ProviderRegistry,
    RetryPolicy,
    SpawnOptions,
    discover,
)
from provider_core._config import CoreConfig, parse_pins, parse_retry
from provider_core.hooks import MethodWrappers, current_attempt
from provider_core.testing.memory import MemoryProvider, MemorySettings, registration

FAST = RetryPolicy(max_attempts=4, base_delay=0.001, max_delay=0.002, max_total=5)


class Flaky(MemoryProvider):
    """Fails the first `failures` calls of each method with `code`."""

    failures = 2
    code = ErrorCode.RATE_LIMIT_ERROR

    def __init__(self, settings: MemorySettings | None = None) -> None:
        super().__init__(settings)
        self.left: dict[str, int] = {}

    def _flake(self, method: str) -> None:
        left = self.left.setdefault(method, self.failures)
        if left:
            self.left[method] = left - 1
            raise ProviderError(self.code, f"{method} throttled", provider=self.name)

    def spawn(self, options: SpawnOptions) -> ProviderInstance:
        self._flake("spawn")
        return super().spawn(options)

    def list_instances(self, filter: ListFilter | None = None) -> list[ProviderInstance]:
        self._flake("list_instances")
        return list(super().list_instances(filter))

    def terminate(self, provider_id: str) -> None:
        self._flake("terminate")
        super().terminate(provider_id)


def _handle(policy: RetryPolicy | None = FAST) -> Any:
    registry = ProviderRegistry(CoreConfig(retry=policy))
    registry.add(registration(provider=Flaky))
    return registry, registry.get("memory")


def _options(key: str | None = None) -> SpawnOptions:
    return SpawnOptions(name="n", instance_type="mem.small", idempotency_key=key)


def test_reads_are_retried_and_every_attempt_passes_the_wrappers() -> None:
    registry, handle = _handle()
    attempts: list[int] = []

    def observe(provider: str, method: str, arguments: Mapping[str, Any]) -> Generator[None, Any, Any]:
        attempts.append(current_attempt())
        return (yield)

    registry.plugin_manager.register(MethodWrappers(observe, methods=("list_instances",)))
    assert handle.list_instances() == []
    assert attempts == [1, 2, 3]


def test_a_spawn_is_retried_only_when_a_key_makes_it_safe() -> None:
    _, handle = _handle()
    with pytest.raises(ProviderError, match="spawn throttled"):
        handle.spawn(_options())
    _, keyed = _handle()
    made = keyed.spawn(_options("job-1"))
    assert keyed.provider.calls.count("spawn") == 1, "two failed attempts never reached the provider"
    assert made.tags["provider-core:idempotency-key"] == "job-1"


def test_terminate_is_retried_until_it_goes_through() -> None:
    _, handle = _handle()
    handle.provider.left["spawn"] = 0
    made = handle.spawn(_options())
    handle.terminate(made.id)
    assert handle.provider.instances[made.id].status == "terminated"


def test_a_non_retryable_error_is_raised_at_once() -> None:
    class Denied(Flaky):
        code = ErrorCode.AUTH_ERROR

    registry = ProviderRegistry(CoreConfig(retry=FAST))
    registry.add(registration(provider=Denied))
    handle = registry.get("memory")
    with pytest.raises(ProviderError) as raised:
        handle.list_instances()
    assert raised.value.code is ErrorCode.AUTH_ERROR
    provider = handle.provider
    assert isinstance(provider, Denied)
    assert provider.left["list_instances"] == 1, "one attempt only"


def test_retries_are_switched_off_per_registry_or_per_handle() -> None:
    _, off = _handle(None)
    with pytest.raises(ProviderError):
        off.list_instances()
    _, on = _handle()
    on.retry_policy = None
    with pytest.raises(ProviderError):
        on.list_instances()


def test_the_default_policy_is_on_and_the_environment_can_change_it() -> None:
    assert CoreConfig.resolve(environ={}).retry == RetryPolicy()
    assert CoreConfig.resolve(environ={"PROVIDER_CORE_RETRY": "off"}).retry is None
    assert parse_retry("attempts=2,total=9") == RetryPolicy(max_attempts=2, max_total=9.0)
    assert CoreConfig.resolve(retry=None, environ={"PROVIDER_CORE_RETRY": "on"}).retry is None
    with pytest.raises(ValueError, match="PROVIDER_CORE_RETRY: unknown key 'tries'"):
        parse_retry("tries=3")
    assert parse_pins("aws=provider-aws, lambda=provider-lambda") == {
        "aws": "provider-aws",
        "lambda": "provider-lambda",
    }


def test_discover_takes_the_policy_as_an_argument() -> None:
    registry = discover(retry=FAST)
    try:
        assert registry.config.retry == FAST
        assert discover(retry=FAST) is registry
        assert discover(retry=None).config.retry is None
    finally:
        discover(refresh=True)
