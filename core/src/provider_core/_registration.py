"""What a provider distribution publishes under the `provider_core.providers` entry-point group."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from typing import Any

from attrs import field, frozen

from provider_core import _validate as v
from provider_core._capabilities import Capabilities, Tier
from provider_core._provider import Provider

TestDouble = Callable[[], AbstractContextManager[Mapping[str, Any]]]

NAME_PATTERN = re.compile(r"[a-z][a-z0-9_-]{0,39}")


@frozen
class Setting:
    """A keyword the provider factory accepts, documented for `providers info` and checked by the core."""

    name: str
    description: str = ""
    env: str | None = None
    secret: bool = False


@frozen
class ComplianceProfile:
    """How the compliance suite exercises a provider: cheap inputs and an optional local test double."""

    instance_type: str = field(validator=v.text())
    region: str | None = None
    alt_region: str | None = None
    image: str | None = None
    # Starts the provider's local stand-in and yields the settings to build the provider with.
    test_double: TestDouble | None = None


def _hook_objects(value: Iterable[object]) -> tuple[object, ...]:
    return tuple(value)


def _contracts(value: Iterable[type | str]) -> tuple[type | str, ...]:
    return tuple(value)


def _settings(value: Iterable[Setting]) -> tuple[Setting, ...]:
    return tuple(value)


@frozen
class ProviderRegistration:
    name: str = field(validator=v.text(pattern=NAME_PATTERN.pattern))
    tier: Tier = field(converter=Tier)
    capabilities: Capabilities = field(validator=v.of_type(Capabilities))
    # Usually the Provider subclass itself; called with the handle's settings on first use.
    provider: Callable[..., Provider[Any, Any]] = field(validator=v.of_type(Callable))  # type: ignore[arg-type]
    hooks: tuple[object, ...] = field(default=(), converter=_hook_objects)
    workflows: Mapping[str, Callable[..., Any]] = field(factory=dict)
    # Test classes, or "module:Class" paths imported only by the compliance suite.
    contracts: tuple[type | str, ...] = field(default=(), converter=_contracts)
    compliance: ComplianceProfile | None = None
    version: str | None = None
    settings: tuple[Setting, ...] = field(default=(), converter=_settings)
    description: str = ""

    def setting(self, name: str) -> Setting | None:
        return next((s for s in self.settings if s.name == name), None)
