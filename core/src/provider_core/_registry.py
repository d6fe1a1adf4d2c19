"""Discovery of installed providers and plugins, and the registry that builds and dispatches to them."""

from __future__ import annotations

import inspect
import threading
from collections.abc import Hashable, Mapping
from importlib import metadata
from importlib.metadata import EntryPoint
from typing import Any

import attrs

from provider_core._config import UNSET, CoreConfig
from provider_core._dispatch import HookBoard
from provider_core._handle import ProviderHandle
from provider_core._journal import Journal
from provider_core._journal_open import open_journal
from provider_core._methods import capability_mismatches
from provider_core._provider import Provider
from provider_core._registration import ProviderRegistration
from provider_core._retry import RetryPolicy

PROVIDERS_GROUP = "provider_core.providers"
PLUGINS_GROUP = "provider_core.plugins"


class DiscoveryError(Exception):
    """Raised by discover(strict=True) when any installed provider or plugin is broken."""

    def __init__(self, broken: Mapping[str, str]) -> None:
        self.broken = dict(broken)
        super().__init__("broken: " + "; ".join(f"{name}: {why}" for name, why in sorted(broken.items())))


class ProviderRegistry:
    """Registrations by name, the pluggy manager, and the handles built from them."""

    def __init__(self, config: CoreConfig | None = None) -> None:
        # Pins, the default retry policy and the journal: arguments, else environment, else defaults.
        self.config = config if config is not None else CoreConfig.resolve()
        self._board = HookBoard()
        # Downstream plugins may be registered here directly (plugin_manager.register(obj)).
        self.plugin_manager = self._board.manager
        self._registrations: dict[str, ProviderRegistration] = {}
        self._sources: dict[str, str] = {}
        self._broken: dict[str, str] = {}
        self._broken_plugins: dict[str, str] = {}
        self._handles: dict[Hashable, ProviderHandle] = {}
        self._lock = threading.RLock()
        self._journal: Journal | None = None

    # -- reading -----------------------------------------------------------------------------------

    def names(self) -> list[str]:
        """Working providers, sorted."""
        return sorted(self._registrations)

    def registration(self, name: str) -> ProviderRegistration:
        try:
            return self._registrations[name]
        except KeyError:
            raise UnknownProvider(name, self.names(), self._broken.get(name)) from None

    def registrations(self) -> dict[str, ProviderRegistration]:
        return dict(sorted(self._registrations.items()))

    def source(self, name: str) -> str:
        """Where a provider came from: 'distribution version' or how it was added."""
        self.registration(name)
        return self._sources[name]

    def broken(self) -> dict[str, str]:
        """Providers that failed to load or validate, with the reason."""
        return dict(sorted(self._broken.items()))

    def broken_plugins(self) -> dict[str, str]:
        return dict(sorted(self._broken_plugins.items()))

    # -- adding ------------------------------------------------------------------------------------

    def add(self, registration: ProviderRegistration, *, source: str = "added in code") -> None:
        """Register a provider; raises ValueError with every reason it is not acceptable."""
        problems = _validate(registration)
        if not problems and registration.name in self._registrations:
            problems = [f"name '{registration.name}' is already taken by {self._sources[registration.name]}"]
        if problems:
            raise ValueError(f"provider '{getattr(registration, 'name', '?')}': " + "; ".join(problems))
        self._board.add_provider_hooks(registration.name, list(registration.hooks))
        self._registrations[registration.name] = registration
        self._sources[registration.name] = source

    def load_entry_point(self, entry_point: EntryPoint) -> None:
        """Load one `provider_core.providers` entry point, recording it as broken when it fails."""
        dist = entry_point.dist
        source = f"{dist.name} {dist.version}" if dist is not None else entry_point.value
        try:
            loaded = entry_point.load()
            registration = loaded() if callable(loaded) and not isinstance(loaded, type) else loaded
            if not isinstance(registration, ProviderRegistration):
                raise ValueError(
                    f"entry point gave {type(registration).__name__}, not a ProviderRegistration"
                )
            if registration.name != entry_point.name:
                raise ValueError(
                    f"registration is named '{registration.name}', entry point '{entry_point.name}'"
                )
            if registration.version is None and dist is not None:
                registration = attrs.evolve(registration, version=dist.version)
            self.add(registration, source=source)
        except (Exception, SystemExit) as exc:  # a distribution calling sys.exit() must not end the host
            reason = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
            # A name collision keeps the working provider reachable under its own name.
            name = entry_point.name
            key = f"{name} ({source})" if name in self._registrations else name
            self._broken[key] = f"{reason} ({source})"

    def load_plugin(self, entry_point: EntryPoint) -> None:
        """Load one `provider_core.plugins` entry point (downstream hook implementations)."""
        try:
            self._board.register(entry_point.load(), f"plugin:{entry_point.name}")
        except (Exception, SystemExit) as exc:
            self._broken_plugins[entry_point.name] = f"{type(exc).__name__}: {exc}"

    # -- using ------------------------------------------------------------------------------------

    def get(self, name: str, **settings: Any) -> ProviderHandle:
        """A handle for name; the provider is built on first use. Same name and settings, same handle."""
        registration = self.registration(name)
        # repr, not hash: unhashable settings (a list of regions) must still find their handle again.
        key = (name, tuple(sorted((k, repr(v)) for k, v in settings.items())))
        with self._lock:
            if key not in self._handles:
                self._handles[key] = ProviderHandle(
                    self._board,
                    registration,
                    settings,
                    retry_policy=self.config.retry,
                    journal=self.journal if self.config.journal else None,
                )
            return self._handles[key]

    def journal(self) -> Journal:
        """The spawn journal of config.journal, opened on first use (ValueError when none is set)."""
        with self._lock:
            if self._journal is None:
                if not self.config.journal:
                    raise ValueError("no spawn journal configured (journal=... or PROVIDER_CORE_JOURNAL)")
                self._journal = open_journal(self.config.journal)
            return self._journal

    def close(self) -> None:
        """Shut down every built provider (on_shutdown, then Provider.close), then the journal."""
        with self._lock:
            handles = list(self._handles.values())
        for handle in handles:
            handle.close()
        with self._lock:
            journal, self._journal = self._journal, None
        if journal is not None:
            journal.close()


class UnknownProvider(LookupError, ValueError):
    def __init__(self, name: str, known: list[str], broken_reason: str | None) -> None:
        self.name = name
        why = (
            f"provider '{name}' is broken: {broken_reason}" if broken_reason else f"unknown provider '{name}'"
        )
        super().__init__(f"{why}; available: {', '.join(known) or 'none'}")


def _validate(registration: object) -> list[str]:
    if not isinstance(registration, ProviderRegistration):
        return [f"{type(registration).__name__} is not a ProviderRegistration"]
    problems = []
    for hook_object in registration.hooks:
        try:
            hash(hook_object)
        except TypeError:
            # pluggy keeps plugins in sets; an unhashable one would break every provider's dispatch.
            problems.append(f"hook object {type(hook_object).__name__} is not hashable (use eq=False)")
    factory = registration.provider
    if not inspect.isclass(factory):
        return problems  # a path or a factory function is checked when the provider is built
    if not issubclass(factory, Provider):
        return [*problems, f"{factory.__name__} is not a Provider subclass"]
    problems += capability_mismatches(registration.capabilities, factory)
    if inspect.isabstract(factory):
        missing = ", ".join(sorted(getattr(factory, "__abstractmethods__", ())))
        problems.append(f"{factory.__name__} does not implement {missing}")
    return problems


_discovered: ProviderRegistry | None = None
_discover_lock = threading.Lock()


def discover(
    strict: bool = False,
    *,
    refresh: bool = False,
    pins: Mapping[str, str] | None = None,
    retry: RetryPolicy | None = UNSET,
    journal: str | None = UNSET,
) -> ProviderRegistry:
    """The registry of installed providers and plugins; the scan runs once per process.

    strict=True raises DiscoveryError when anything installed is broken; refresh=True scans again.
    pins, retry and journal override PROVIDER_CORE_PIN, PROVIDER_CORE_RETRY and PROVIDER_CORE_JOURNAL
    (retry=None switches retries off); a configuration other than the cached registry's scans again.
    """
    config = CoreConfig.resolve(pins=pins, retry=retry, journal=journal)
    global _discovered
    with _discover_lock:
        if _discovered is None or refresh or _discovered.config != config:
            registry = ProviderRegistry(config)
            for entry_point in sorted(metadata.entry_points(group=PROVIDERS_GROUP), key=lambda e: e.name):
                registry.load_entry_point(entry_point)
            for entry_point in sorted(metadata.entry_points(group=PLUGINS_GROUP), key=lambda e: e.name):
                registry.load_plugin(entry_point)
            if _discovered is not None:
                _discovered.close()
            _discovered = registry
        registry = _discovered
    if strict and (registry.broken() or registry.broken_plugins()):
        raise DiscoveryError(
            {**registry.broken(), **{f"plugin:{k}": w for k, w in registry.broken_plugins().items()}}
        )
    return registry
