"""ProviderHandle: what callers hold. It owns its provider's contract plugin and cached hook callers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, Generic, TypeVar

from provider_core._capabilities import Capabilities
from provider_core._contract import ContractPlugin, InvalidArgument
from provider_core._dispatch import HookBoard
from provider_core._errors import ErrorCode, ProviderError, as_provider_error
from provider_core._gate import CallGate
from provider_core._journaled import JournalSource, building_with, journaled_spawn, journaled_terminate
from provider_core._methods import ALWAYS, METHODS, WITH_KEY, capability_mismatches, group_mismatches
from provider_core._provider import Provider
from provider_core._recover import RecoveryPolicy, RecoveryReport, recover
from provider_core._registration import ProviderRegistration
from provider_core._retry import RetryPolicy, retry
from provider_core._settings import resolve_settings
from provider_core._types import (
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

T = TypeVar("T")
P = TypeVar("P", bound=Provider[Any, Any])
_RETRY_CLASS = {method.name: method.retry for method in METHODS}


class SnapshotOps:
    """Snapshot calls; present on a handle only when the provider declares `snapshots`."""

    def __init__(self, handle: ProviderHandle) -> None:
        self._invoke = handle._invoke

    def create(self, provider_id: str, name: str) -> ProviderSnapshot:
        return self._invoke("create_snapshot", provider_id=_require_id(provider_id), name=name)  # type: ignore[no-any-return]

    def status(self, snapshot_id: str) -> SnapshotStatus:
        return self._invoke("get_snapshot_status", snapshot_id=_require_id(snapshot_id))  # type: ignore[no-any-return]

    def delete(self, snapshot_id: str) -> None:
        self._invoke("delete_snapshot", snapshot_id=_require_id(snapshot_id))


class SpotOps:
    """Spot calls; present on a handle only when the provider declares `spot`."""

    def __init__(self, handle: ProviderHandle) -> None:
        self._invoke = handle._invoke

    def request(self, options: SpawnOptions, max_price_per_hour: float) -> SpotRequest:
        return self._invoke(  # type: ignore[no-any-return]
            "request_spot_instance", options=options, max_price_per_hour=max_price_per_hour
        )

    def cancel(self, request_id: str) -> None:
        self._invoke("cancel_spot_request", request_id=_require_id(request_id))

    def prices(self, instance_type: str, region: str | None = None) -> list[SpotPrice]:
        return self._invoke("get_spot_prices", instance_type=instance_type, region=region)  # type: ignore[no-any-return]


# The optional groups a handle offers, by flag; checked against the method table in one place.
OPTIONAL_GROUPS: dict[str, type] = {"snapshots": SnapshotOps, "spot": SpotOps}
_GROUP_PROBLEMS = [p for flag, group in OPTIONAL_GROUPS.items() for p in group_mismatches(flag, group)]
if _GROUP_PROBLEMS:  # pragma: no cover - a developer error, caught by the first import in any test
    raise ImportError("handle groups disagree with the method table: " + "; ".join(_GROUP_PROBLEMS))


class WorkflowContext(Generic[P]):
    """What a workflow receives: its built provider for cloud-specific calls, and the handle's path for
    every instance it creates or destroys, so wrappers, spawn_tags and the contract's rules see them."""

    def __init__(self, handle: ProviderHandle, provider: P) -> None:
        self.handle = handle
        self.provider = provider

    def spawn(self, options: SpawnOptions) -> ProviderInstance:
        return self.handle.spawn(options)

    def terminate(self, provider_id: str) -> None:
        self.handle.terminate(provider_id)

    def get_instance(self, provider_id: str) -> ProviderInstance | None:
        return self.handle.get_instance(provider_id)


class ProviderHandle:
    """A provider by name, built on first use; results are always the generic types."""

    snapshots: SnapshotOps | None
    spot: SpotOps | None

    def __init__(
        self,
        board: HookBoard,
        registration: ProviderRegistration,
        settings: Mapping[str, Any],
        *,
        retry_policy: RetryPolicy | None = None,
        journal: JournalSource | None = None,
    ) -> None:
        self.name = registration.name
        self.registration = registration
        registration.check_setting_names(settings)
        self._board = board
        self._settings = dict(settings)
        # Retries of what is safe to retry (see Method.retry); None switches them off for this handle.
        self.retry_policy = retry_policy
        # Opens the registry's spawn journal on first use; None: no journal (see core/README.md).
        self._journal = journal
        self._plugin: ContractPlugin | None = None
        self._callers: dict[str, Any] = {}
        self._generation = -1
        # Re-entrant: on_startup and on_shutdown hooks run under it and may call the handle.
        self._lock = threading.RLock()
        # Calls in progress; close() waits for other threads' calls so none runs unregistered.
        self._gate = CallGate()
        # The thread closing the provider, if any: other threads' new calls wait for it to finish.
        self._closer: int | None = None
        self.snapshots = SnapshotOps(self) if registration.capabilities.snapshots else None
        self.spot = SpotOps(self) if registration.capabilities.spot else None

    def __repr__(self) -> str:
        # Settings may hold API keys: only their names are shown.
        return f"<ProviderHandle {self.name} settings={sorted(self._settings)} built={self.built}>"

    @property
    def capabilities(self) -> Capabilities:
        return self.registration.capabilities

    @property
    def journaled(self) -> bool:
        """Whether spawns and terminates go through a spawn journal."""
        return self._journal is not None

    @property
    def built(self) -> bool:
        return self._plugin is not None

    @property
    def provider(self) -> Provider[Any, Any]:
        """The provider object itself, for provider-specific code (builds it if needed)."""
        with self._lock:
            return self._ensure_built().provider

    @property
    def workflows(self) -> Mapping[str, Callable[..., Any]]:
        """Provider workflows bound to this handle: `handle.workflows["name"](...)`."""
        return {name: partial(self._run_workflow, name) for name in self.registration.workflows}

    def spawn(self, options: SpawnOptions) -> ProviderInstance:
        if self._journal is not None and isinstance(options, SpawnOptions):
            return journaled_spawn(self, self._journal(), options)
        return self._invoke("spawn", options=options)  # type: ignore[no-any-return]

    def terminate(self, provider_id: str) -> None:
        if self._journal is not None:
            return journaled_terminate(self, self._journal(), _require_id(provider_id))
        self._invoke("terminate", provider_id=_require_id(provider_id))

    def recover(self, policy: RecoveryPolicy | str) -> RecoveryReport:
        """Settle the journal's unfinished spawns (adopt or terminate, as policy says) and terminates."""
        if self._journal is None:
            raise ProviderError(
                ErrorCode.INVALID_SPEC,
                "recover needs a spawn journal: journal=... or PROVIDER_CORE_JOURNAL=sqlite:///PATH",
                provider=self.name,
            )
        return recover(self, self._journal(), RecoveryPolicy(policy))

    def list_instances(self, filter: ListFilter | None = None) -> list[ProviderInstance]:
        return self._invoke("list_instances", filter=filter)  # type: ignore[no-any-return]

    def get_instance(self, provider_id: str) -> ProviderInstance | None:
        return self._invoke("get_instance", provider_id=_require_id(provider_id))  # type: ignore[no-any-return]

    def generate_bootstrap(self, config: BootstrapConfig) -> BootstrapScript:
        return self._invoke("generate_bootstrap", config=config)  # type: ignore[no-any-return]

    def heartbeat(self, task: HeartbeatTask) -> HeartbeatReport:
        report = self._invoke("on_heartbeat", task=task, handle=self)
        if not isinstance(report, HeartbeatReport):
            raise ProviderError(ErrorCode.INTERNAL, "on_heartbeat gave no report", provider=self.name)
        return report

    def health_check(self) -> HeartbeatReport:
        return self.heartbeat(HeartbeatTask(HeartbeatKind.HEALTH_CHECK))

    def reconcile(self, expected: Mapping[str, InstanceStatus]) -> HeartbeatReport:
        return self.heartbeat(HeartbeatTask(HeartbeatKind.RECONCILE, expected))

    def close(self) -> None:
        """Shut the provider down (on_shutdown, then Provider.close); a later call builds it again."""
        with self._lock:
            me = threading.get_ident()
            self._closer = me
            try:
                self._gate.wait_for_others(me)
                plugin = self._plugin
                if plugin is None:
                    return
                try:
                    # on_shutdown hooks still see a built provider, so they can use the handle.
                    self._caller("on_shutdown")(provider=self.name)
                finally:
                    self._plugin = None
                    self._board.detach(plugin)
                    plugin.provider.close()
            finally:
                self._closer = None

    # -- internals -------------------------------------------------------------------------------

    def _caller(self, hook: str) -> Any:
        board = self._board
        if self._generation != board.generation:
            self._callers, self._generation = {}, board.generation
        caller = self._callers.get(hook)
        if caller is None:
            caller = self._callers[hook] = board.caller(hook, self.name, self._plugin)
        return caller

    def _invoke(self, hook: str, **kwargs: Any) -> Any:
        policy = self.retry_policy
        if policy is None or not _safe_to_retry(hook, kwargs):
            return self._attempt(hook, kwargs)
        # Every attempt goes through the hooks again, so wrappers see (and can count) each one.
        return retry(lambda: self._attempt(hook, kwargs), policy)

    def _attempt(self, hook: str, kwargs: dict[str, Any]) -> Any:
        """One call of hook through the hooks: _pinned inlined, as every call through a handle pays for it."""
        me = threading.get_ident()
        self._pin(me)
        try:
            caller = self._callers.get(hook) or self._caller(hook)
            return caller(provider=self.name, **kwargs)
        except (ProviderError, InvalidArgument, KeyboardInterrupt):
            raise
        except BaseException as exc:  # a wrapper's or the provider's stray exception: name who raised it
            raise self._board.failure(exc, self.name) from exc
        finally:
            self._gate.leave(me)

    def _pin(self, me: int) -> None:
        """Hold a place in the gate with the provider built and the cached callers current."""
        while True:
            self._gate.enter(me)
            closer = self._closer
            if (
                (closer is None or closer == me)
                and self._plugin is not None
                and self._generation == self._board.generation
            ):
                return
            # Never hold a place while waiting for a build or a close(): close() waits for the places.
            self._gate.leave(me)
            with self._lock:
                self._ensure_built()
                self._caller("on_startup")  # refreshes the cached callers when the generation moved on

    def _pinned(self, call: Callable[[ContractPlugin], T]) -> T:
        """Run call with the provider built and registered until it ends; a stray exception from a provider,
        a wrapper or a workflow becomes a ProviderError naming who raised it."""
        me = threading.get_ident()
        self._pin(me)
        try:
            plugin = self._plugin
            assert plugin is not None
            return call(plugin)
        except (ProviderError, InvalidArgument, KeyboardInterrupt):
            raise
        except BaseException as exc:
            raise self._board.failure(exc, self.name) from exc
        finally:
            self._gate.leave(me)

    def _ensure_built(self) -> ContractPlugin:
        """Build and start the provider unless built; the caller holds the lock."""
        if self._plugin is None:
            with building_with(self._journal):  # a provider may share its request budget through it
                plugin = self._build()
            self._plugin = plugin
            self._board.attach(plugin, self.name)
            try:
                self._caller("on_startup")(provider=self.name)
            except BaseException as exc:
                # A failed start leaves nothing behind, so the next call tries again from scratch.
                self._plugin = None
                self._board.detach(plugin)
                plugin.provider.close()
                if not isinstance(exc, KeyboardInterrupt):
                    raise self._board.failure(exc, self.name) from exc
                raise
        return self._plugin

    def _build(self) -> ContractPlugin:
        registration = self.registration
        settings_type = registration.settings
        try:
            factory = registration.provider_factory()
            if settings_type is None:
                provider = factory()
                secrets: list[str] = []
            else:
                settings: Any = resolve_settings(settings_type, self._settings, provider=self.name)
                secrets = [getattr(settings, s.name) for s in registration.declared_settings() if s.secret]
                provider = factory(settings)
        except (ProviderError, ValueError):
            raise
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # a factory calling sys.exit() must not end the host
            raise as_provider_error(exc, self.name) from exc
        if not isinstance(provider, Provider):
            raise ProviderError(
                ErrorCode.INTERNAL,
                f"factory returned {type(provider).__name__}, not a Provider",
                provider=self.name,
            )
        problems = capability_mismatches(registration.capabilities, type(provider))
        if problems:
            provider.close()
            raise ProviderError(ErrorCode.INTERNAL, "; ".join(problems), provider=self.name)
        return ContractPlugin(
            self.name,
            provider,
            registration.capabilities,
            extra_tags=self._spawn_tags,
            secrets=[s for s in secrets if isinstance(s, str)],
        )

    def _spawn_tags(self, options: SpawnOptions) -> dict[str, str]:
        caller = self._callers.get("spawn_tags") or self._caller("spawn_tags")
        extra: dict[str, str] = {}
        if caller.get_hookimpls():  # most installs have no spawn_tags plugin: skip the hook call
            for tags in caller(provider=self.name, options=options):
                extra.update(tags or {})
        return extra

    def _run_workflow(self, name: str, *args: Any, **kwargs: Any) -> Any:
        workflow = self.registration.workflow(name)
        return self._pinned(lambda plugin: workflow(WorkflowContext(self, plugin.provider), *args, **kwargs))


def _safe_to_retry(hook: str, kwargs: Mapping[str, Any]) -> bool:
    kind = _RETRY_CLASS.get(hook)
    if kind == WITH_KEY:
        options = kwargs.get("options")
        return isinstance(options, SpawnOptions) and options.idempotency_key is not None
    return kind == ALWAYS


def _require_id(provider_id: str) -> str:
    if not isinstance(provider_id, str) or not provider_id:
        raise ValueError(f"provider_id must be a non-empty string, got {provider_id!r}")
    return provider_id
