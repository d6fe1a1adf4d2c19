"""Hook specifications: the provider methods (firstresult, generated from the method table) and the
lifecycle hooks (written out here)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import pluggy

from provider_core._methods import METHODS, Method
from provider_core._types import HeartbeatReport, HeartbeatTask, ListFilter, ProviderInstance, SpawnOptions

PROJECT = "provider_core"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class InstanceSource(Protocol):
    """What on_heartbeat receives: the handle, seen only as far as a reconcile needs it."""

    @property
    def name(self) -> str: ...

    @property
    def provider(self) -> Any:
        """The built provider object, for a provider's own heartbeat."""

    def list_instances(self, filter: ListFilter | None = None) -> list[ProviderInstance]: ...


def hook_function(
    method: Method, target: Callable[..., Any], *, generator: bool = False
) -> Callable[..., Any]:
    """A function named after method, taking (provider, *its arguments), that passes them on to target."""
    arguments = ", ".join(("provider", *method.argnames))
    body = (
        f"return (yield from _hook_target({arguments}))" if generator else f"return _hook_target({arguments})"
    )
    return compile_hook(method, [body], {"_hook_target": target})


def compile_hook(method: Method, body: list[str], namespace: dict[str, Any]) -> Callable[..., Any]:
    """A function named after method, taking (provider, *its arguments), with body (lines) over namespace.

    pluggy reads a hook's argument names from the function's code object, so a signature is not enough:
    the function is compiled from the table's (identifier) names, as collections.namedtuple does. Compiled
    code is also the cheapest way through: no *args packing on the hot path.
    """
    arguments = ", ".join(("provider", *method.argnames))
    source = f"def {method.name}({arguments}):\n" + "".join(f"    {line}\n" for line in body)
    scope = dict(namespace)
    exec(source, scope)  # noqa: S102 - names from the table
    function: Callable[..., Any] = scope[method.name]
    function.__doc__ = method.doc
    function.__annotations__ = {"provider": str, **dict(method.params), "return": method.returns}
    return function


def _spec(method: Method) -> Any:
    return hookspec(firstresult=True)(hook_function(method, _never_called))


def _never_called(*args: Any) -> None:
    """Specifications are never called."""


class LifecycleSpecs:
    """The hooks that are not provider methods."""

    @staticmethod
    @hookspec
    def spawn_tags(provider: str, options: SpawnOptions) -> Mapping[str, str] | None:
        """Return tags to add to an instance before it is spawned."""

    @staticmethod
    @hookspec
    def on_startup(provider: str) -> None:
        """A provider was built and is about to serve its first call."""

    @staticmethod
    @hookspec
    def on_shutdown(provider: str) -> None:
        """A provider is being shut down; release what it holds."""

    @staticmethod
    @hookspec(firstresult=True)
    def on_heartbeat(provider: str, task: HeartbeatTask, handle: InstanceSource) -> HeartbeatReport | None:
        """Run a health check or reconcile; the first report wins, the core's default runs last."""


class ProviderMethodSpecs:
    """One firstresult hook per row of the method table."""


for _method in METHODS:
    setattr(ProviderMethodSpecs, _method.name, staticmethod(_spec(_method)))

LIFECYCLE_HOOKS: tuple[str, ...] = ("spawn_tags", "on_startup", "on_shutdown", "on_heartbeat")


def add_specs(manager: pluggy.PluginManager) -> None:
    manager.add_hookspecs(ProviderMethodSpecs)
    manager.add_hookspecs(LifecycleSpecs)
