"""Whatever a provider or a plugin raises reaches the caller as a ProviderError naming who raised it;
only KeyboardInterrupt still stops the program."""

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
    SpawnOptions,
)
from provider_core._config import CoreConfig
from provider_core.hooks import MethodWrappers, hookimpl
from provider_core.testing.memory import MemoryProvider, MemorySettings, registration


class Doom(BaseException):
    """Not an Exception: a careless `except Exception` lets it through."""


def _registry(provider: type[MemoryProvider] = MemoryProvider) -> ProviderRegistry:
    registry = ProviderRegistry(CoreConfig(retry=None))
    registry.add(registration(provider=provider))
    return registry


def _options() -> SpawnOptions:
    return SpawnOptions(name="n", instance_type="mem.small")


def test_a_base_exception_from_a_provider_method_is_internal_and_names_the_provider() -> None:
    class Raises(MemoryProvider):
        def list_instances(self, filter: ListFilter | None = None) -> list[ProviderInstance]:
            raise Doom("deep trouble")

    with pytest.raises(ProviderError) as raised:
        _registry(Raises).get("memory").list_instances()
    assert raised.value.code is ErrorCode.INTERNAL
    assert raised.value.provider == "memory"
    assert "Doom: deep trouble" in raised.value.message


def test_system_exit_from_a_factory_does_not_end_the_host() -> None:
    def factory(settings: MemorySettings) -> MemoryProvider:
        raise SystemExit(3)

    registry = ProviderRegistry(CoreConfig(retry=None))
    registry.add(registration(provider=factory))
    with pytest.raises(ProviderError, match="SystemExit"):
        registry.get("memory").list_instances()


def test_keyboard_interrupt_still_stops_the_program() -> None:
    class Interrupted(MemoryProvider):
        def list_instances(self, filter: ListFilter | None = None) -> list[ProviderInstance]:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _registry(Interrupted).get("memory").list_instances()


def _fails(*_: Any) -> None:
    raise KeyError("cost-centre")


@pytest.mark.parametrize("hook", ["wrapper", "spawn_tags", "on_startup"])
def test_a_failing_plugin_is_named_in_the_error(hook: str) -> None:
    def around(provider: str, method: str, arguments: Mapping[str, Any]) -> Generator[None, Any, Any]:
        _fails()
        return (yield)

    class Tags:
        @hookimpl
        def spawn_tags(self, provider: str, options: SpawnOptions) -> Mapping[str, str]:
            _fails()
            return {}

    class Startup:
        @hookimpl
        def on_startup(self, provider: str) -> None:
            _fails()

    plugin = {"wrapper": lambda: MethodWrappers(around), "spawn_tags": Tags, "on_startup": Startup}[hook]()
    registry = _registry()
    registry.plugin_manager.register(plugin, name="budget-guard")
    with pytest.raises(ProviderError) as raised:
        registry.get("memory").spawn(_options())
    assert raised.value.code is ErrorCode.INTERNAL
    assert raised.value.message.startswith("plugin 'budget-guard' failed: KeyError")
    assert isinstance(raised.value.__cause__, KeyError)


def test_a_veto_from_a_wrapper_reaches_the_caller_unchanged() -> None:
    veto = ProviderError(ErrorCode.QUOTA_EXCEEDED, "over budget", provider="memory")

    def around(provider: str, method: str, arguments: Mapping[str, Any]) -> Generator[None, Any, Any]:
        if method == "spawn":
            raise veto
        return (yield)

    registry = _registry()
    registry.plugin_manager.register(MethodWrappers(around, methods=("spawn",)))
    with pytest.raises(ProviderError) as raised:
        registry.get("memory").spawn(_options())
    assert raised.value is veto
