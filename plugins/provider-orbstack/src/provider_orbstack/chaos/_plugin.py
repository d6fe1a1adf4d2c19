"""The chaos wrapper: a pluggy `wrapper=True` plugin around every provider-method hook of any provider."""

from __future__ import annotations

import os
import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provider_core import (
    BootstrapConfig,
    ErrorCode,
    ListFilter,
    ProviderError,
    SpawnOptions,
    hookimpl,
)
from provider_orbstack.chaos._config import ChaosConfig, ProviderChaos
from provider_orbstack.chaos._engine import ChaosEvent, ChaosState

if TYPE_CHECKING:
    from provider_core import ProviderRegistry

ENV_VAR = "PROVIDER_CORE_CHAOS"
Wrapped = Generator[None, Any, Any]


class ChaosPlugin:
    """Injects chaos for the providers its config names; other providers pass straight through.

    With a config it uses that; without one it reads PROVIDER_CORE_CHAOS at every call (inline JSON or
    `@/path/file.json`), rebuilding its state only when the value (or the file) changes.
    """

    def __init__(self, config: ChaosConfig | None = None) -> None:
        self._config = config
        self._lock = threading.Lock()
        self._key: object = None
        self._parsed: ChaosConfig | None = config
        self._states: dict[str, ChaosState] = {}
        self._release = threading.Event()

    def release(self) -> None:
        """End every injected hang and delay now and skip later ones (threads left by a timeout finish)."""
        self._release.set()

    def events(self, provider: str | None = None) -> list[ChaosEvent]:
        with self._lock:
            states = list(self._states.values())
        return [e for s in states for e in s.events if provider is None or e.provider == provider]

    def state(self, provider: str) -> ChaosState | None:
        config, key = self._current(provider)
        with self._lock:
            if key != self._key:
                self._key, self._parsed, self._states = key, config, {}
            spec = None if self._parsed is None else self._parsed.providers.get(provider)
            if spec is None or self._parsed is None:
                return None
            if provider not in self._states:
                self._states[provider] = ChaosState(provider, spec, self._parsed.seed, self._release)
            return self._states[provider]

    def _current(self, provider: str) -> tuple[ChaosConfig | None, object]:
        if self._config is not None:
            return self._config, id(self._config)
        value = os.environ.get(ENV_VAR, "").strip()
        if not value:
            return None, None
        try:
            key: object = value
            if value.startswith("@"):
                stat = Path(value[1:]).expanduser().stat()
                key = (value, stat.st_mtime_ns, stat.st_size)
            if key == self._key:
                return self._parsed, key
            return ChaosConfig.from_env_value(value), key
        except (OSError, ValueError, TypeError) as exc:
            raise ProviderError(
                ErrorCode.INVALID_SPEC, f"{ENV_VAR} is not a valid chaos config: {exc}", provider=provider
            ) from None

    def _around(
        self, provider: str, method: str, options: SpawnOptions | None = None, subject: Any = None
    ) -> Wrapped:
        state = self.state(provider)
        if state is None:
            return (yield)
        partial = state.before(method, options)
        result = yield
        result = state.after(method, result, options=options, subject=subject)
        if partial is not None:
            raise state.partial_error(partial, method, result)
        return result

    @hookimpl(wrapper=True)
    def spawn(self, provider: str, options: SpawnOptions) -> Wrapped:
        return (yield from self._around(provider, "spawn", options))

    @hookimpl(wrapper=True)
    def terminate(self, provider: str, provider_id: str) -> Wrapped:
        return (yield from self._around(provider, "terminate", subject=provider_id))

    @hookimpl(wrapper=True)
    def list_instances(self, provider: str, filter: ListFilter | None) -> Wrapped:
        return (yield from self._around(provider, "list_instances", subject=filter))

    @hookimpl(wrapper=True)
    def get_instance(self, provider: str, provider_id: str) -> Wrapped:
        return (yield from self._around(provider, "get_instance", subject=provider_id))

    @hookimpl(wrapper=True)
    def generate_bootstrap(self, provider: str, config: BootstrapConfig) -> Wrapped:
        return (yield from self._around(provider, "generate_bootstrap"))

    @hookimpl(wrapper=True)
    def create_snapshot(self, provider: str, provider_id: str, name: str) -> Wrapped:
        return (yield from self._around(provider, "create_snapshot", subject=provider_id))

    @hookimpl(wrapper=True)
    def get_snapshot_status(self, provider: str, snapshot_id: str) -> Wrapped:
        return (yield from self._around(provider, "get_snapshot_status", subject=snapshot_id))

    @hookimpl(wrapper=True)
    def delete_snapshot(self, provider: str, snapshot_id: str) -> Wrapped:
        return (yield from self._around(provider, "delete_snapshot", subject=snapshot_id))

    @hookimpl(wrapper=True)
    def request_spot_instance(
        self, provider: str, options: SpawnOptions, max_price_per_hour: float
    ) -> Wrapped:
        return (yield from self._around(provider, "request_spot_instance", options))

    @hookimpl(wrapper=True)
    def cancel_spot_request(self, provider: str, request_id: str) -> Wrapped:
        return (yield from self._around(provider, "cancel_spot_request", subject=request_id))

    @hookimpl(wrapper=True)
    def get_spot_prices(self, provider: str, instance_type: str, region: str | None) -> Wrapped:
        return (yield from self._around(provider, "get_spot_prices"))


@contextmanager
def enable_chaos(
    registry: ProviderRegistry,
    config: ChaosConfig | ProviderChaos,
    *,
    provider: str | None = None,
    seed: int = 0,
) -> Iterator[ChaosPlugin]:
    """Wrap providers of registry with chaos until the block ends; a ProviderChaos needs `provider`."""
    if isinstance(config, ProviderChaos):
        if provider is None:
            raise ValueError("enable_chaos(registry, ProviderChaos(...)) needs provider=<name>")
        config = ChaosConfig(seed=seed, providers={provider: config})
    plugin = ChaosPlugin(config)
    registry.plugin_manager.register(plugin, name=f"provider_orbstack.chaos:{id(plugin)}")
    try:
        yield plugin
    finally:
        plugin.release()
        registry.plugin_manager.unregister(plugin)
