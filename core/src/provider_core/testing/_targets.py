"""Which providers the suite checks: installed ones by name, or registrations given as module:attr."""

from __future__ import annotations

import importlib
from collections.abc import Sequence

import pytest
from attrs import define

from provider_core import ProviderRegistry, UnknownProvider, discover
from provider_core.author import ProviderRegistration

INSTALLED = "installed"


@define
class Target:
    """One provider under test; `key` is its name and the test id."""

    key: str
    registration: ProviderRegistration
    source: str
    _registry: ProviderRegistry | None = None

    def registry(self) -> ProviderRegistry:
        """The discovered registry for installed providers; a fresh one holding only this registration.

        Raises ValueError when the registry rejects the registration.
        """
        if self._registry is None:
            registration = self.registration
            if self.source == INSTALLED:
                self._registry = discover()
            else:
                registry = ProviderRegistry()
                try:
                    registry.add(registration, source=self.source)
                except ValueError as exc:
                    raise ValueError(f"it is not accepted by the registry: {exc}") from exc
                self._registry = registry
        return self._registry


def resolve_targets(names: Sequence[str], specs: Sequence[str]) -> dict[str, Target]:
    """--provider names (all installed working providers when neither option is given) and --registration."""
    targets: dict[str, Target] = {}
    if names or not specs:
        registry = discover()
        for name in dict.fromkeys(names or registry.names()):
            try:
                targets[name] = Target(name, registry.registration(name), INSTALLED)
            except UnknownProvider as exc:
                raise pytest.UsageError(f"--provider {name}: {exc}") from None
        if not targets:
            broken = "; ".join(f"{n}: {why}" for n, why in registry.broken().items()) or "none"
            raise pytest.UsageError(
                f"no provider to check: none is installed and working (broken: {broken}); "
                "use --provider NAME or --registration MODULE:ATTR"
            )
    for spec in specs:
        registration = load_registration(spec)
        if registration.name in targets:
            raise pytest.UsageError(
                f"--registration {spec}: provider '{registration.name}' is already selected"
            )
        targets[registration.name] = Target(registration.name, registration, spec)
    return targets


def load_object(spec: str, what: str) -> object:
    """Import `module:attr` (attr may be dotted) and return the attribute."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"{what} must be 'module:attr', got {spec!r}")
    try:
        found: object = importlib.import_module(module_name)
        for part in attr.split("."):
            found = getattr(found, part)
    except Exception as exc:
        raise ValueError(f"{what} {spec!r} cannot be loaded: {type(exc).__name__}: {exc}") from exc
    return found


def load_registration(spec: str) -> ProviderRegistration:
    try:
        found = load_object(spec, "--registration")
        if not isinstance(found, ProviderRegistration) and callable(found):
            found = found()
    except Exception as exc:
        raise pytest.UsageError(str(exc)) from exc
    if not isinstance(found, ProviderRegistration):
        raise pytest.UsageError(
            f"--registration {spec}: got {type(found).__name__}, not a ProviderRegistration"
        )
    return found


def load_contract(spec: type | str) -> type:
    """A provider-specific contract: a test class, or a 'module:Class' path imported only now."""
    found = spec if isinstance(spec, type) else load_object(spec, "contract")
    if not isinstance(found, type):
        raise ValueError(f"contract {spec!r} is {type(found).__name__}, not a test class")
    return found
