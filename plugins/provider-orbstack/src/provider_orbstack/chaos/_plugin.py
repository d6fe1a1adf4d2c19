"""The chaos wrapper: one pluggy wrapper around every provider method of any provider, from the core's
method table (MethodWrappers), so a method added to the contract is wrapped without a change here."""

from __future__ import annotations

import os
import threading
from collections.abc import Generator, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provider_core import ErrorCode, ProviderError
from provider_core.hooks import MethodWrappers
from provider_orbstack.chaos._config import ChaosConfig, ProviderChaos
from provider_orbstack.chaos._engine import ChaosEvent, ChaosState

if TYPE_CHECKING:
    from provider_core import ProviderRegistry

ENV_VAR = "PROVIDER_CORE_CHAOS"
Wrapped = Generator[None, Any, Any]


class ChaosPlugin(MethodWrappers):
    """Injects chaos for the providers its config names; other providers pass straight through.

    With a config it uses that; without one it reads PROVIDER_CORE_CHAOS at every call (inline JSON or
    `@/path/file.json`), rebuilding its state only when the value (or the file) changes.
    """

    def __init__(self, config: ChaosConfig | None = None) -> None:
        super().__init__(self._around)
        self._config = config
        self._lock = threading.Lock()
        self._key: object = None
        self._parsed: ChaosConfig | None = config
        self._states: dict[str, ChaosState] = {}
        self._release = threading.Event()

    def provider_core_active(self) -> bool:
        """Discovery registers this test-only plugin only when asked: a config, or PROVIDER_CORE_CHAOS set."""
        return self._config is not None or bool(os.environ.get(ENV_VAR, "").strip())

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

    def _around(self, provider: str, method: str, arguments: Mapping[str, Any]) -> Wrapped:
        state = self.state(provider)
        if state is None:
            return (yield)
        partial = state.before(method, arguments)
        result = yield
        result = state.after(method, result, arguments)
        if partial is not None:
            raise state.partial_error(partial, method, result)
        return result


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
