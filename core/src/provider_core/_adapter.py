"""Registers one built provider as the implementation of the provider-method hooks for its name.

pluggy passes only the non-defaulted arguments an implementation names, so provider methods with
defaults (list_instances(filter=None)) cannot be registered directly; this adapter fixes the names,
projects enhanced types back to the generic ones and turns stray exceptions into ProviderError.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from provider_core._capabilities import OPTIONAL_METHODS
from provider_core._convert import each, exactly, project
from provider_core._errors import CapabilityNotSupported, ProviderError, as_provider_error
from provider_core._hooks import hookimpl
from provider_core._provider import Provider
from provider_core._types import (
    BootstrapConfig,
    BootstrapScript,
    ListFilter,
    ProviderInstance,
    ProviderSnapshot,
    SnapshotStatus,
    SpawnOptions,
    SpotPrice,
    SpotRequest,
)

T = TypeVar("T")
_FLAG_OF_METHOD = {method: flag for flag, methods in OPTIONAL_METHODS.items() for method in methods}


def _nothing(_: object) -> None:
    return None


def _optional_instance(found: object) -> ProviderInstance | None:
    return None if found is None else project(found, ProviderInstance)


class ProviderPlugin:
    """One built provider as hook implementations; it answers only calls naming its provider."""

    def __init__(self, name: str, provider: Provider[Any, Any]) -> None:
        self.name = name
        self.provider = provider

    def _run(self, provider: str, method: str, convert: Callable[[Any], T], *args: Any) -> T | None:
        if provider != self.name:
            return None  # a direct plugin_manager.hook call for another provider
        flag = _FLAG_OF_METHOD.get(method)
        if flag is not None and not getattr(self.provider.capabilities, flag):
            raise CapabilityNotSupported(self.name, flag, f"{method} needs it")
        bound: Callable[..., Any] = getattr(self.provider, method)
        try:
            return convert(bound(*args))
        except ProviderError:
            raise
        except Exception as exc:
            raise as_provider_error(exc, self.name) from exc

    @hookimpl
    def spawn(self, provider: str, options: SpawnOptions) -> ProviderInstance | None:
        return self._run(provider, "spawn", exactly(ProviderInstance), options)

    @hookimpl
    def terminate(self, provider: str, provider_id: str) -> None:
        self._run(provider, "terminate", _nothing, provider_id)

    @hookimpl
    def list_instances(self, provider: str, filter: ListFilter | None) -> list[ProviderInstance] | None:
        return self._run(provider, "list_instances", each(ProviderInstance), filter)

    @hookimpl
    def get_instance(self, provider: str, provider_id: str) -> ProviderInstance | None:
        return self._run(provider, "get_instance", _optional_instance, provider_id)

    @hookimpl
    def generate_bootstrap(self, provider: str, config: BootstrapConfig) -> BootstrapScript | None:
        return self._run(provider, "generate_bootstrap", exactly(BootstrapScript), config)

    @hookimpl
    def create_snapshot(self, provider: str, provider_id: str, name: str) -> ProviderSnapshot | None:
        return self._run(provider, "create_snapshot", exactly(ProviderSnapshot), provider_id, name)

    @hookimpl
    def get_snapshot_status(self, provider: str, snapshot_id: str) -> SnapshotStatus | None:
        return self._run(provider, "get_snapshot_status", SnapshotStatus, snapshot_id)

    @hookimpl
    def delete_snapshot(self, provider: str, snapshot_id: str) -> None:
        self._run(provider, "delete_snapshot", _nothing, snapshot_id)

    @hookimpl
    def request_spot_instance(
        self, provider: str, options: SpawnOptions, max_price_per_hour: float
    ) -> SpotRequest | None:
        return self._run(provider, "request_spot_instance", exactly(SpotRequest), options, max_price_per_hour)

    @hookimpl
    def cancel_spot_request(self, provider: str, request_id: str) -> None:
        self._run(provider, "cancel_spot_request", _nothing, request_id)

    @hookimpl
    def get_spot_prices(
        self, provider: str, instance_type: str, region: str | None
    ) -> list[SpotPrice] | None:
        return self._run(provider, "get_spot_prices", each(SpotPrice), instance_type, region)
