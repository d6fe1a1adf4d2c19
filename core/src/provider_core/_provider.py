"""The provider contract: subclass Provider and implement the five core methods.

Capabilities and settings are declared once, in the distribution's registration; the core applies every
rule of the contract around these methods (see provider_core._contract), so they hold only what is
specific to the cloud.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from attrs import field, frozen

from provider_core._bootstrap import render_bootstrap
from provider_core._errors import ErrorCode, ProviderError
from provider_core._types import (
    BootstrapConfig,
    BootstrapFormat,
    BootstrapScript,
    ListFilter,
    ProviderInstance,
    ProviderSnapshot,
    SpawnOptions,
)


@frozen
class ManagedResource:
    """A paid resource other than an instance that the provider or one of its workflows created (a
    snapshot, an open spot request, a spare volume): what `sweep()` deletes besides instances."""

    kind: str
    id: str
    # The resource's tags: the core keeps only those carrying the management tag and the filter's tags.
    tags: Mapping[str, str] = field(factory=dict)
    region: str | None = None


TInstance = TypeVar("TInstance", bound=ProviderInstance, covariant=True)
TSnapshot = TypeVar("TSnapshot", bound=ProviderSnapshot, covariant=True)


def _names(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


@frozen
class Offerings:
    """What a provider can tell about where and what it can spawn (`providers info` shows it).

    `details` holds other facts worth showing a user, such as where a simulator keeps its state.
    """

    instance_types: tuple[str, ...] = field(converter=_names)
    regions: tuple[str, ...] = field(converter=_names)
    details: Mapping[str, str] = field(factory=dict)


class Provider(ABC, Generic[TInstance, TSnapshot]):
    """Base class of every provider; optional groups (snapshots, spot) are plain methods gated by flags.

    Snapshot methods: create_snapshot(provider_id, name), get_snapshot_status(snapshot_id),
    delete_snapshot(snapshot_id). Spot methods: request_spot_instance(options, max_price_per_hour),
    cancel_spot_request(request_id), get_spot_prices(instance_type, region=None).
    """

    name: ClassVar[str]
    # True when spawn honours SpawnOptions.zone (an availability zone); the core rejects a zone otherwise.
    placement_zones: ClassVar[bool] = False
    # The formats generate_bootstrap delivers when BootstrapConfig.format asks for them, preferred first.
    # The default generate_bootstrap renders both. A provider that overrides generate_bootstrap and does
    # not declare its formats promised only what the original contract did (a script in a format of its
    # choosing), so it declares none: callers and the compliance suite then ask it for no format by name.
    bootstrap_formats: ClassVar[tuple[BootstrapFormat, ...]] = (
        BootstrapFormat.CLOUD_INIT,
        BootstrapFormat.SHELL,
    )

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared = any("bootstrap_formats" in vars(c) for c in cls.__mro__ if c is not Provider)
        if "generate_bootstrap" in vars(cls) and not declared:
            cls.bootstrap_formats = ()

    @abstractmethod
    def spawn(self, options: SpawnOptions) -> TInstance:
        """Create an instance; return at least its id and status."""

    @abstractmethod
    def terminate(self, provider_id: str) -> None:
        """Destroy a managed, live instance (the core checks that first); NOT_FOUND counts as success."""

    @abstractmethod
    def list_instances(self, filter: ListFilter | None = None) -> Sequence[ProviderInstance]:
        """List instances; filtering server side is an optimisation (the core applies filter and drops
        instances without the management tag). The enhanced type is welcome but not needed: the core
        projects it away, so a provider that lists thousands may build generic instances with
        `build_instance` (one object per row)."""

    @abstractmethod
    def get_instance(self, provider_id: str) -> TInstance | None:
        """Return the instance, or None (or raise NOT_FOUND) when it does not exist."""

    def generate_bootstrap(self, config: BootstrapConfig) -> BootstrapScript:
        """Render the script that joins a new instance to the control plane."""
        # A subclass that declares no formats and calls this gets the renderer's own (both).
        supported = self.bootstrap_formats or Provider.bootstrap_formats
        return render_bootstrap(config, provider=self.name, supported=supported)

    def offerings(self) -> Offerings | None:
        """The instance types and regions this provider offers, when it can tell (None: it cannot).

        Optional and informational: it is not part of the method table and no hook wraps it. Keep it
        cheap (a static table, or one cached API call); raise ProviderError when the API fails.
        """
        return None

    def sweep_resources(self, filter: ListFilter) -> Sequence[ManagedResource]:
        """The non-instance resources sweep() may delete: those this provider or its workflows created,
        narrowed by filter.tags and filter.region (the core re-checks the tags). None by default."""
        return ()

    def delete_resource(self, resource: ManagedResource) -> None:
        """Delete one resource sweep_resources returned; NOT_FOUND counts as success."""
        raise ProviderError(
            ErrorCode.INVALID_SPEC, f"{self.name} creates no {resource.kind} to delete", provider=self.name
        )

    def close(self) -> None:
        """Release clients, pools and threads; called once when the registry shuts the provider down."""
