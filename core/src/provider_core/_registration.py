"""What a provider distribution publishes under the `provider_core.providers` entry-point group."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from importlib import import_module
from typing import TYPE_CHECKING, Any

from attrs import field, frozen

from provider_core import _validate as v
from provider_core._capabilities import Capabilities, Tier
from provider_core._settings import Setting, check_names, declared_settings

if TYPE_CHECKING:
    from provider_core._provider import Provider

TestDouble = Callable[[], AbstractContextManager[Mapping[str, Any]]]

NAME_PATTERN = re.compile(r"[a-z][a-z0-9_-]{0,39}")


@frozen
class ComplianceProfile:
    """How the compliance suite exercises a provider: cheap inputs and an optional local test double."""

    instance_type: str = field(validator=v.text())
    region: str | None = None
    alt_region: str | None = None
    image: str | None = None
    # Starts the provider's local stand-in and yields the settings to build the provider with.
    test_double: TestDouble | None = None
    # The API forgets terminated instances (Lambda, RunPod): without a spawn journal the provider cannot
    # keep the key rule, so the suite checks it only with one.
    forgets_terminated: bool = False


def _hook_objects(value: Iterable[object]) -> tuple[object, ...]:
    return tuple(value)


def _contracts(value: Iterable[type | str]) -> tuple[type | str, ...]:
    return tuple(value)


@frozen
class ProviderRegistration:
    """What a distribution publishes: read by discovery without building (or importing) the provider."""

    name: str = field(validator=v.text(pattern=NAME_PATTERN.pattern))
    tier: Tier = field(converter=Tier)
    capabilities: Capabilities = field(validator=v.of_type(Capabilities))
    # The Provider subclass, a factory, or "module:attr" imported when the provider is first built.
    provider: Callable[..., Provider[Any, Any]] | str = field(validator=v.of_type((str, Callable)))  # type: ignore[arg-type]
    # An attrs class of `setting(...)` fields; the provider is built with an instance of it.
    settings: type | None = field(default=None, validator=v.of_type(type, optional=True))
    hooks: tuple[object, ...] = field(default=(), converter=_hook_objects)
    # Callables taking a WorkflowContext first, or "module:attr" paths imported on first use.
    workflows: Mapping[str, Callable[..., Any] | str] = field(factory=dict)
    # Test classes, or "module:Class" paths imported only by the compliance suite.
    contracts: tuple[type | str, ...] = field(default=(), converter=_contracts)
    compliance: ComplianceProfile | None = None
    version: str | None = None
    description: str = ""

    def declared_settings(self) -> tuple[Setting, ...]:
        return declared_settings(self.settings)

    def check_setting_names(self, names: Iterable[str]) -> None:
        """Raise UnknownSetting (a ValueError) naming the known settings when a name is not declared."""
        check_names(self.name, self.declared_settings(), names)

    def setting(self, name: str) -> Setting | None:
        return next((s for s in self.declared_settings() if s.name == name), None)

    def provider_factory(self) -> Callable[..., Provider[Any, Any]]:
        """The provider class or factory, imported now when the registration names it by path."""
        return load(self.provider)  # type: ignore[no-any-return]

    def workflow(self, name: str) -> Callable[..., Any]:
        """A workflow, imported now when the registration names it by path."""
        return load(self.workflows[name])  # type: ignore[no-any-return]


def load(target: object) -> Any:
    """target itself, or the object a "module:attr" path names (imported now)."""
    if not isinstance(target, str):
        return target
    module, _, attr = target.partition(":")
    loaded: Any = import_module(module)
    for part in attr.split(".") if attr else ():
        loaded = getattr(loaded, part)
    return loaded


def lazy_exports(package: str, paths: Mapping[str, str]) -> Callable[[str], Any]:
    """A module-level __getattr__ for package that imports each name from its "module:attr" path on first
    use, so importing the package (as discovery does for the registration) stays light."""

    def __getattr__(name: str) -> Any:
        if name not in paths:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return load(paths[name])

    return __getattr__
