"""The provider contract: subclass Provider, implement the five core methods, declare capabilities."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar, Generic, TypeVar

from provider_core._bootstrap import render_bootstrap
from provider_core._capabilities import Capabilities
from provider_core._types import (
    BootstrapConfig,
    BootstrapFormat,
    BootstrapScript,
    ListFilter,
    ProviderInstance,
    ProviderSnapshot,
    SpawnOptions,
)

TInstance = TypeVar("TInstance", bound=ProviderInstance, covariant=True)
TSnapshot = TypeVar("TSnapshot", bound=ProviderSnapshot, covariant=True)


class Provider(ABC, Generic[TInstance, TSnapshot]):
    """Base class of every provider; optional groups (snapshots, spot) are plain methods gated by flags.

    Snapshot methods: create_snapshot(provider_id, name), get_snapshot_status(snapshot_id),
    delete_snapshot(snapshot_id). Spot methods: request_spot_instance(options, max_price_per_hour),
    cancel_spot_request(request_id), get_spot_prices(instance_type, region=None).
    """

    name: ClassVar[str]
    capabilities: ClassVar[Capabilities] = Capabilities()
    # The formats generate_bootstrap can deliver, preferred first.
    bootstrap_formats: ClassVar[tuple[BootstrapFormat, ...]] = (
        BootstrapFormat.CLOUD_INIT,
        BootstrapFormat.SHELL,
    )

    @abstractmethod
    def spawn(self, options: SpawnOptions) -> TInstance:
        """Create an instance; return at least its id and status."""

    @abstractmethod
    def terminate(self, provider_id: str) -> None:
        """Destroy an instance; never raise for an unknown or already terminated id."""

    @abstractmethod
    def list_instances(self, filter: ListFilter | None = None) -> Sequence[TInstance]:
        """List the instances this ecosystem manages, narrowed by filter."""

    @abstractmethod
    def get_instance(self, provider_id: str) -> TInstance | None:
        """Return the instance, or None when it does not exist."""

    def generate_bootstrap(self, config: BootstrapConfig) -> BootstrapScript:
        """Render the script that joins a new instance to the control plane."""
        return render_bootstrap(config, provider=self.name, supported=self.bootstrap_formats)

    def close(self) -> None:
        """Release clients, pools and threads; called once when the registry shuts the provider down."""
