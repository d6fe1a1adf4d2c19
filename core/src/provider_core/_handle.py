"""ProviderHandle: what callers hold. Every call goes through a hook; optional groups are typed."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from provider_core._capabilities import Capabilities, capability_mismatches
from provider_core._convert import each, exactly, project
from provider_core._errors import CapabilityNotSupported, ErrorCode, ProviderError, as_provider_error
from provider_core._provider import Provider
from provider_core._registration import ProviderRegistration
from provider_core._types import (
    IDEMPOTENCY_TAG,
    MANAGED_TAG,
    BootstrapConfig,
    BootstrapScript,
    HeartbeatKind,
    HeartbeatReport,
    HeartbeatTask,
    InstanceStatus,
    ListFilter,
    ProviderInstance,
    ProviderSnapshot,
    SnapshotStatus,
    SpawnOptions,
    SpotPrice,
    SpotRequest,
)

if TYPE_CHECKING:
    from provider_core._registry import ProviderRegistry

T = TypeVar("T")
RESERVED_TAG_PREFIX = "provider-core:"


def managed_tags(options: SpawnOptions) -> dict[str, str]:
    """The tags the core puts on every instance it spawns."""
    tags = {MANAGED_TAG: "true"}
    if options.idempotency_key:
        tags[IDEMPOTENCY_TAG] = options.idempotency_key
    return tags


class SnapshotOps:
    """Snapshot calls; present on a handle only when the provider declares `snapshots`."""

    def __init__(self, handle: ProviderHandle) -> None:
        self._handle = handle

    def create(self, provider_id: str, name: str) -> ProviderSnapshot:
        return self._handle._call(
            "create_snapshot", exactly(ProviderSnapshot), provider_id=provider_id, name=name
        )

    def status(self, snapshot_id: str) -> SnapshotStatus:
        return self._handle._call("get_snapshot_status", SnapshotStatus, snapshot_id=snapshot_id)

    def delete(self, snapshot_id: str) -> None:
        self._handle._call("delete_snapshot", None, snapshot_id=snapshot_id)


class SpotOps:
    """Spot calls; present on a handle only when the provider declares `spot`."""

    def __init__(self, handle: ProviderHandle) -> None:
        self._handle = handle

    def request(self, options: SpawnOptions, max_price_per_hour: float) -> SpotRequest:
        options = self._handle._prepare_spawn(options)
        return self._handle._call(
            "request_spot_instance",
            exactly(SpotRequest),
            options=options,
            max_price_per_hour=max_price_per_hour,
        )

    def cancel(self, request_id: str) -> None:
        self._handle._call("cancel_spot_request", None, request_id=request_id)

    def prices(self, instance_type: str, region: str | None = None) -> list[SpotPrice]:
        return self._handle._call(
            "get_spot_prices", each(SpotPrice), instance_type=instance_type, region=region
        )


class ProviderHandle:
    """A provider by name, built on first use; results are always the generic types."""

    snapshots: SnapshotOps | None
    spot: SpotOps | None

    def __init__(
        self, registry: ProviderRegistry, registration: ProviderRegistration, settings: Mapping[str, Any]
    ) -> None:
        self.name = registration.name
        self.registration = registration
        self._registry = registry
        self._settings = dict(settings)
        self._provider: Provider[Any, Any] | None = None
        # Re-entrant: on_startup hooks run while the provider is being built and may call the handle.
        self._lock = threading.RLock()
        # Calls in progress per thread; close() waits for other threads' calls so none runs unregistered.
        self._in_flight: Counter[int] = Counter()
        self._idle = threading.Condition(self._lock)
        self.snapshots = SnapshotOps(self) if registration.capabilities.snapshots else None
        self.spot = SpotOps(self) if registration.capabilities.spot else None

    def __repr__(self) -> str:
        # Settings may hold API keys: only their names are shown.
        return f"<ProviderHandle {self.name} settings={sorted(self._settings)} built={self.built}>"

    @property
    def capabilities(self) -> Capabilities:
        return self.registration.capabilities

    @property
    def built(self) -> bool:
        return self._provider is not None

    @property
    def provider(self) -> Provider[Any, Any]:
        """The provider object itself, for workflows and provider-specific code (builds it if needed)."""
        with self._lock:
            return self._ensure_built()

    @property
    def workflows(self) -> Mapping[str, Callable[..., Any]]:
        """Provider workflows bound to this handle's provider: `handle.workflows["name"](...)`."""
        return {name: partial(self._run_workflow, fn) for name, fn in self.registration.workflows.items()}

    def spawn(self, options: SpawnOptions) -> ProviderInstance:
        return self._call("spawn", exactly(ProviderInstance), options=self._prepare_spawn(options))

    def terminate(self, provider_id: str) -> None:
        self._call("terminate", None, provider_id=_require_id(provider_id))

    def list_instances(self, filter: ListFilter | None = None) -> list[ProviderInstance]:
        if filter is not None and not isinstance(filter, ListFilter):
            raise ValueError(f"filter must be a ListFilter, got {type(filter).__name__}")
        return self._call("list_instances", each(ProviderInstance), filter=filter)

    def get_instance(self, provider_id: str) -> ProviderInstance | None:
        found: object = self._call("get_instance", None, provider_id=_require_id(provider_id))
        return None if found is None else project(found, ProviderInstance)

    def generate_bootstrap(self, config: BootstrapConfig) -> BootstrapScript:
        if not isinstance(config, BootstrapConfig):
            raise ValueError(f"config must be a BootstrapConfig, got {type(config).__name__}")
        if config.tailscale_auth_key and not self.capabilities.tailscale_native:
            raise CapabilityNotSupported(self.name, "tailscale_native", "tailscale_auth_key was given")
        return self._call("generate_bootstrap", exactly(BootstrapScript), config=config)

    def heartbeat(self, task: HeartbeatTask) -> HeartbeatReport:
        with self._in_use():
            hook = self._registry._hook_for(self, "on_heartbeat")
            return project(hook(provider=self.name, task=task, handle=self), HeartbeatReport)

    def health_check(self) -> HeartbeatReport:
        return self.heartbeat(HeartbeatTask(HeartbeatKind.HEALTH_CHECK))

    def reconcile(self, expected: Mapping[str, InstanceStatus]) -> HeartbeatReport:
        return self.heartbeat(HeartbeatTask(HeartbeatKind.RECONCILE, expected))

    def close(self) -> None:
        """Shut the provider down (on_shutdown, then Provider.close); a later call builds it again."""
        with self._lock:
            me = threading.get_ident()
            while sum(self._in_flight.values()) > self._in_flight[me]:
                self._idle.wait()
            if self._provider is None:
                return
            try:
                # on_shutdown hooks still see a built provider, so they can use the handle.
                self._registry._shut_down(self, self._provider)
            finally:
                self._provider = None

    # -- internals -------------------------------------------------------------------------------

    def _prepare_spawn(self, options: SpawnOptions) -> SpawnOptions:
        if not isinstance(options, SpawnOptions):
            raise ValueError(f"options must be SpawnOptions, got {type(options).__name__}")
        reserved = sorted(k for k in options.tags if k.startswith(RESERVED_TAG_PREFIX))
        if reserved:
            raise ProviderError(
                ErrorCode.INVALID_SPEC,
                f"tag keys starting with '{RESERVED_TAG_PREFIX}' are reserved: {', '.join(reserved)}",
                provider=self.name,
            )
        self._check_supported(options)
        with self._in_use():
            extra: dict[str, str] = {}
            for tags in self._registry._hook_for(self, "spawn_tags")(provider=self.name, options=options):
                extra.update(tags or {})
            return attrs.evolve(options, tags={**options.tags, **extra, **managed_tags(options)})

    def _check_supported(self, options: SpawnOptions) -> None:
        needs = {
            "spot": options.spot,
            "idempotent_spawn": options.idempotency_key is not None,
            "gpu": options.gpu_count is not None,
            "persistent_volumes": bool(options.volumes),
            "custom_networking": options.network is not None,
        }
        for flag, needed in needs.items():
            if needed and not getattr(self.capabilities, flag):
                raise CapabilityNotSupported(self.name, flag, "SpawnOptions asks for it")

    def _ensure_built(self) -> Provider[Any, Any]:
        """Build and start the provider unless built; the caller holds the lock."""
        if self._provider is None:
            provider = self._build()
            self._provider = provider
            try:
                self._registry._start(self, provider)
            except BaseException:
                # A failed start leaves nothing behind, so the next call tries again from scratch.
                self._provider = None
                provider.close()
                raise
        return self._provider

    @contextmanager
    def _in_use(self) -> Iterator[Provider[Any, Any]]:
        """The built provider, kept registered until the block ends; stray errors become ProviderError."""
        me = threading.get_ident()
        with self._lock:
            provider = self._ensure_built()
            self._in_flight[me] += 1
        try:
            yield provider
        except ProviderError:
            raise
        except Exception as exc:
            raise as_provider_error(exc, self.name) from exc
        finally:
            with self._lock:
                self._in_flight[me] -= 1
                if not self._in_flight[me]:
                    del self._in_flight[me]
                self._idle.notify_all()

    def _build(self) -> Provider[Any, Any]:
        declared = {s.name for s in self.registration.settings}
        unknown = sorted(set(self._settings) - declared)
        if declared and unknown:
            raise ValueError(
                f"unknown setting(s) for provider '{self.name}': {', '.join(unknown)}; "
                f"known: {', '.join(sorted(declared))}"
            )
        try:
            provider = self.registration.provider(**self._settings)
        except ProviderError:
            raise
        except Exception as exc:
            raise as_provider_error(exc, self.name) from exc
        if not isinstance(provider, Provider):
            raise ProviderError(
                ErrorCode.INTERNAL,
                f"factory returned {type(provider).__name__}, not a Provider",
                provider=self.name,
            )
        problems = capability_mismatches(self.capabilities, type(provider))
        if provider.capabilities != self.capabilities:
            problems.append("the provider's capabilities differ from its registration's")
        if problems:
            raise ProviderError(ErrorCode.INTERNAL, "; ".join(problems), provider=self.name)
        return provider

    def _call(self, method: str, shape: Callable[[Any], T] | None, **kwargs: Any) -> T:
        with self._in_use():
            result = self._registry._hook_for(self, method)(provider=self.name, **kwargs)
            if shape is None:
                return result  # type: ignore[no-any-return]
            if result is None:
                raise ProviderError(ErrorCode.INTERNAL, f"nothing answered {method}", provider=self.name)
            return shape(result)

    def _run_workflow(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self._in_use() as provider:
            return fn(provider, *args, **kwargs)


def _require_id(provider_id: str) -> str:
    if not isinstance(provider_id, str) or not provider_id:
        raise ValueError(f"provider_id must be a non-empty string, got {provider_id!r}")
    return provider_id
