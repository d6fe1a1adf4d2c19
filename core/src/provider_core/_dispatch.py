"""The plugin manager and who answers whose calls.

Every built provider is one ContractPlugin registered here; a handle's calls reach its own plugin, its
provider's own hooks and every downstream plugin, never another provider (or another handle of the same
provider). The hook callers that say so are cached per handle and rebuilt only when the set of
registered providers changes (`generation`).
"""

from __future__ import annotations

import threading
from typing import Any

import pluggy

from provider_core._errors import ProviderError, as_provider_error
from provider_core._hookspecs import PROJECT, add_specs
from provider_core._lifecycle import DefaultHeartbeat


class HookBoard:
    def __init__(self) -> None:
        self.manager = pluggy.PluginManager(PROJECT)
        add_specs(self.manager)
        self.manager.register(DefaultHeartbeat(), name="provider_core.default_heartbeat")
        self._lock = threading.RLock()
        self._provider_hooks: dict[str, list[object]] = {}
        self._adapters: dict[object, str] = {}
        # Bumped whenever a provider's plugin or hooks come or go: cached callers are then stale.
        self.generation = 0

    def register(self, plugin: object, name: str) -> None:
        """Register a plugin, refusing one that implements hooks nobody specified (a typo, an old name)."""
        with self._lock:
            self.manager.register(plugin, name=name)
            callers = self.manager.get_hookcallers(plugin) or []
            unknown = sorted(c.name for c in callers if c.spec is None)
            if unknown:
                self.manager.unregister(plugin)
                raise ValueError(f"implements hooks with no specification: {', '.join(unknown)}")
            self.generation += 1

    def add_provider_hooks(self, provider: str, hooks: list[object]) -> None:
        """Hooks a provider ships for its own calls only; all registered, or none."""
        with self._lock:
            try:
                for hook_object in hooks:
                    self.register(hook_object, f"provider-hooks:{provider}:{id(hook_object)}")
            except Exception:
                for hook_object in hooks:
                    if self.manager.is_registered(hook_object):
                        self.manager.unregister(hook_object)
                raise
            self._provider_hooks[provider] = hooks

    def attach(self, plugin: object, provider: str) -> None:
        with self._lock:
            self.manager.register(plugin, name=f"provider:{provider}:{id(plugin)}")
            self._adapters[plugin] = provider
            self.generation += 1

    def detach(self, plugin: object) -> None:
        with self._lock:
            if self._adapters.pop(plugin, None) is not None:
                self.manager.unregister(plugin)
                self.generation += 1

    def failure(self, exc: BaseException, provider: str) -> ProviderError:
        """exc as a ProviderError naming who raised it: the plugin whose hook implementation is the
        innermost on the traceback, else the provider. Computed only when something failed."""
        if isinstance(exc, ProviderError):
            return exc
        owners: dict[object, str] = {}
        with self._lock:
            for name, plugin in self.manager.list_name_plugin():
                if plugin in self._adapters:
                    continue  # the provider's own plugin: its failures are the provider's
                for hook_caller in self.manager.get_hookcallers(plugin) or []:
                    for impl in hook_caller.get_hookimpls():
                        if impl.plugin is plugin:
                            owners[impl.function.__code__] = name
        culprit = None
        trace = exc.__traceback__
        while trace is not None:
            culprit = owners.get(trace.tb_frame.f_code, culprit)
            trace = trace.tb_next
        error = as_provider_error(exc, provider)
        if culprit is not None:
            error = ProviderError(
                error.code, f"plugin '{culprit}' failed: {error.message}", provider=provider
            )
            error.__cause__ = exc
        return error

    def caller(self, hook: str, provider: str, own: object | None) -> Any:
        """A caller for hook that runs provider's plugin `own`, its hooks and downstream plugins only."""
        with self._lock:
            foreign: list[object] = [a for a in self._adapters if a is not own]
            for name, hooks in self._provider_hooks.items():
                if name != provider:
                    foreign.extend(hooks)
        return self.manager.subset_hook_caller(hook, remove_plugins=foreign)
