"""Discovery of installed providers and plugins, and the registry that builds and dispatches to them."""

from __future__ import annotations

import inspect
import threading
from collections.abc import Hashable, Mapping
from importlib.metadata import EntryPoint
from typing import Any

import attrs

from provider_core import _index as index
from provider_core._config import UNSET, CoreConfig
from provider_core._discovery import (
    TimedOut,
    call_with_deadline,
    describe,
    discovery_timeout,
    scan,
)
from provider_core._discovery import (
    origin as origin_of,
)
from provider_core._dispatch import HookBoard
from provider_core._handle import ProviderHandle
from provider_core._journal import Journal
from provider_core._journal_open import open_journal
from provider_core._methods import capability_mismatches
from provider_core._provider import Provider
from provider_core._registration import ProviderRegistration
from provider_core._retry import RetryPolicy


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
        self._dormant: dict[str, object] = {}
        self._conflicts: dict[str, dict[str, object]] = {}
        # Set when an entry point hit the discovery deadline: such a scan is not saved in the index.
        self.incomplete = False
        # What the scan found, as the registration index holds it (None for a registry built in code).
        self.scanned: dict[str, Any] | None = None
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

    def dormant_plugins(self) -> dict[str, object]:
        """Installed plugins that said they are not wanted now (`provider_core_active()` returned False):
        not registered; register one with `plugin_manager.register(plugin)` to use it."""
        return dict(sorted(self._dormant.items()))

    def conflicts(self) -> dict[str, dict[str, object]]:
        """Names published by more than one distribution: {"distributions": [...], "pinned": DIST | None}.

        Such a name is usable only through the pinned distribution; without a pin it is broken.
        """
        return {name: dict(claim) for name, claim in self._conflicts.items()}

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

    def refuse(self, name: str, reason: str) -> None:
        """Make name unusable (a name claimed twice, a pin nothing matches): listed broken with reason."""
        self._broken[name] = reason

    def load_entry_point(self, entry_point: EntryPoint, *, timeout: float | None = None) -> None:
        """Load one `provider_core.providers` entry point, recording it as broken when it fails.

        The import and the registration call run under the discovery deadline (see _discovery.py).
        """
        origin = origin_of(entry_point)
        try:
            loaded = call_with_deadline(
                lambda: _registration_of(entry_point.load()), discovery_timeout(timeout), origin
            )
            if not isinstance(loaded, ProviderRegistration):
                raise ValueError(f"entry point gave {type(loaded).__name__}, not a ProviderRegistration")
            if loaded.name != entry_point.name:
                raise ValueError(f"registration is named '{loaded.name}', entry point '{entry_point.name}'")
            if loaded.version is None and entry_point.dist is not None:
                loaded = attrs.evolve(loaded, version=entry_point.dist.version)
            self.add(loaded, source=origin)
        except (Exception, SystemExit) as exc:  # a distribution calling sys.exit() must not end the host
            self.incomplete |= isinstance(exc, TimedOut)
            self._broken[entry_point.name] = f"{describe(exc)} ({origin})"

    def load_plugin(self, entry_point: EntryPoint, *, timeout: float | None = None) -> None:
        """Load one `provider_core.plugins` entry point (downstream hook implementations)."""
        origin = origin_of(entry_point)
        try:
            plugin = call_with_deadline(entry_point.load, discovery_timeout(timeout), origin)
            active = getattr(plugin, "provider_core_active", None)
            if callable(active) and not active():
                # A test-only plugin (chaos injection) that was not asked for wraps nothing: every call
                # of every provider would otherwise pay for it.
                self._dormant[entry_point.name] = plugin
                return
            self._board.register(plugin, f"plugin:{entry_point.name}")
        except (Exception, SystemExit) as exc:
            self.incomplete |= isinstance(exc, TimedOut)
            self._broken_plugins[entry_point.name] = f"{describe(exc)} ({origin})"

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
    timeout: float | None = None,
) -> ProviderRegistry:
    """The registry of installed providers and plugins; the scan runs once per process.

    strict=True raises DiscoveryError when anything installed is broken; refresh=True scans again.
    pins, retry and journal override PROVIDER_CORE_PIN, PROVIDER_CORE_RETRY and PROVIDER_CORE_JOURNAL
    (retry=None switches retries off); a configuration other than the cached registry's scans again.
    timeout (else PROVIDER_CORE_DISCOVERY_TIMEOUT, else 10) bounds each entry point's import, in seconds.
    A completed scan refreshes the registration index that `providers list` reads (see _index.py).
    """
    config = CoreConfig.resolve(pins=pins, retry=retry, journal=journal)
    seconds = discovery_timeout(timeout)
    global _discovered
    with _discover_lock:
        if _discovered is None or refresh or _discovered.config != config:
            registry = ProviderRegistry(config)
            found = scan(registry, seconds)
            registry._conflicts = found.conflicts
            registry.scanned = index.remember(registry, found.files)
            if _discovered is not None:
                _discovered.close()
            _discovered = registry
        registry = _discovered
    if strict and (registry.broken() or registry.broken_plugins()):
        raise DiscoveryError(
            {**registry.broken(), **{f"plugin:{k}": w for k, w in registry.broken_plugins().items()}}
        )
    return registry


def _registration_of(loaded: object) -> object:
    """An entry point names a registration, or a function returning one."""
    return loaded() if callable(loaded) and not isinstance(loaded, type) else loaded
