"""The contract's rules, applied once between a provider and every hook wrapper.

A built provider is registered as hook implementations through ContractPlugin, generated from the method
table. Whatever a provider returns, every wrapper, direct hook call and handle sees the contract's view:
only managed instances, the ListFilter applied, NOT_FOUND from get as None and from terminate or a delete as
success, the management tags added, optional methods gated by their flag, results as the generic types and
stray exceptions as ProviderError. A provider author writes only what is specific to the cloud.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar

import attrs

from provider_core._capabilities import Capabilities
from provider_core._convert import project, slot_setter
from provider_core._errors import CapabilityNotSupported, ErrorCode, ProviderError, as_provider_error
from provider_core._hookspecs import compile_hook, hookimpl
from provider_core._methods import METHODS, Method
from provider_core._provider import Provider
from provider_core._secrets import scrubbed
from provider_core._spawnkey import spawn_key_tag
from provider_core._types import (
    GONE_STATUSES,
    IDEMPOTENCY_TAG,
    MANAGED_TAG,
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
RESERVED_TAG_PREFIX = "provider-core:"
_EVERYTHING = ListFilter()
ExtraTags = Callable[[SpawnOptions], Mapping[str, str]]


class InvalidArgument(ValueError):
    """A caller passed the wrong type or value: raised as it is, never turned into a ProviderError."""


def managed_tags(options: SpawnOptions) -> dict[str, str]:
    """The tags the core puts on every instance it spawns."""
    tags = {MANAGED_TAG: "true"}
    key = spawn_key_tag(options)  # the caller's key, else the journal's for this spawn
    if key:
        tags[IDEMPOTENCY_TAG] = key
    return tags


# The capability flag each SpawnOptions input needs.
SPAWN_NEEDS: tuple[tuple[str, Callable[[SpawnOptions], bool]], ...] = (
    ("spot", lambda options: options.spot),
    ("idempotent_spawn", lambda options: options.idempotency_key is not None),
    ("gpu", lambda options: options.gpu_count is not None),
    ("persistent_volumes", lambda options: bool(options.volumes)),
    ("custom_networking", lambda options: options.network is not None),
)
_SPAWN_FIELDS = tuple(field.name for field in attrs.fields(SpawnOptions))


class ContractPlugin:
    """One built provider as the hook implementations for its name, with the contract's rules applied."""

    def __init__(
        self,
        name: str,
        provider: Provider[Any, Any],
        capabilities: Capabilities,
        *,
        extra_tags: ExtraTags,
        secrets: Collection[str] = (),
    ) -> None:
        self.name = name
        self.provider = provider
        self.capabilities = capabilities
        self._extra_tags = extra_tags
        self._secrets = tuple(secrets)
        # Only the inputs this provider cannot honour need checking on every spawn.
        self._refused = tuple((flag, asks) for flag, asks in SPAWN_NEEDS if not getattr(capabilities, flag))
        for method in METHODS:
            setattr(self, method.name, self._hook(method))

    def __repr__(self) -> str:
        return f"<ContractPlugin {self.name} {type(self.provider).__name__}>"

    def _hook(self, method: Method) -> Callable[..., Any]:
        # Namespace names start with "_contract_": a method argument (create_snapshot's `name`) must not
        # shadow them.
        arguments = ", ".join(method.argnames)
        body = [
            "if provider != _contract_name:",
            "    return None  # another provider's, or another handle's",
        ]
        namespace: dict[str, Any] = {
            "_contract_name": self.name,
            "_contract_rule": getattr(self, f"_{method.name}"),
        }
        if method.flag is not None and not getattr(self.capabilities, method.flag):
            body.append("raise _contract_unsupported()")
            namespace["_contract_unsupported"] = partial(
                CapabilityNotSupported, self.name, method.flag, f"{method.name} needs it"
            )
        body.append(f"return _contract_rule({arguments})")
        return hookimpl(compile_hook(method, body, namespace))

    # -- calling the provider -------------------------------------------------------------------

    def _failure(self, exc: BaseException) -> ProviderError:
        """What a caller sees for a provider's failure: a ProviderError (anything else is INTERNAL, chained),
        with the registered secret values scrubbed from its message (and the original then dropped)."""
        error = as_provider_error(exc, self.name)
        clean = scrubbed(error, self._secrets)
        if clean is not error:
            # The original may quote the secret too: it is dropped, not chained.
            clean.__cause__ = None
            clean.__suppress_context__ = True
        return clean

    def _run(self, method: str, *args: Any) -> Any:
        try:
            return getattr(self.provider, method)(*args)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # a provider calling sys.exit() must not end the host
            raise self._failure(exc)  # noqa: B904 - _failure chains (or, for a secret, drops) exc

    def _run_tolerating_not_found(self, method: str, *args: Any) -> Any:
        try:
            return self._run(method, *args)
        except ProviderError as exc:
            if exc.code is ErrorCode.NOT_FOUND:
                return None
            raise

    def _managed(self, provider_id: str) -> ProviderInstance | None:
        """The provider's instance when provider-core manages it; None otherwise (it does not exist)."""
        found = self._run_tolerating_not_found("get_instance", provider_id)
        if found is None:
            return None
        if type(found) is not ProviderInstance:
            found = self._shape(found, ProviderInstance, "get_instance")
        return found if found.managed else None

    def _shape(self, value: object, cls: type[T], method: str) -> T:
        try:
            return project(value, cls)
        except (TypeError, ValueError) as exc:
            raise ProviderError(
                ErrorCode.INTERNAL, f"{method} returned {type(value).__name__}: {exc}", provider=self.name
            ) from exc

    def _options(self, options: SpawnOptions) -> SpawnOptions:
        """Check a spawn's inputs against the contract and add the plugins' and the core's tags."""
        if not isinstance(options, SpawnOptions):
            raise InvalidArgument(f"options must be SpawnOptions, got {type(options).__name__}")
        self._check_tag_keys(options.tags, "tag keys")
        # SPAWN_NEEDS' inputs tested together first (the hot path: most spawns ask for none of them); the
        # table then says which flag is missing.
        if self._refused and (
            options.spot
            or options.idempotency_key is not None
            or options.gpu_count is not None
            or options.volumes
            or options.network is not None
        ):
            for flag, asks in self._refused:
                if asks(options):
                    raise CapabilityNotSupported(self.name, flag, "SpawnOptions asks for it")
        if options.zone is not None and not self.provider.placement_zones:
            raise ProviderError(
                ErrorCode.INVALID_SPEC,
                "this provider does not place by zone (SpawnOptions.zone)",
                provider=self.name,
            )
        if options.bootstrap is not None and not options.bootstrap.verify():
            # RunPod's `sha256sum -c` would skip such a script silently: refuse before anything exists.
            raise ProviderError(
                ErrorCode.INVALID_SPEC,
                "the bootstrap's checksum does not match its content",
                provider=self.name,
            )
        extra = self._extra_tags(options)
        self._check_tag_keys(extra, "spawn_tags keys")
        return with_tags(options, {**options.tags, **extra, **managed_tags(options)})

    def _check_tag_keys(self, tags: Mapping[str, str], what: str) -> None:
        if not tags or not any(k.startswith(RESERVED_TAG_PREFIX) for k in tags):
            return
        reserved = sorted(k for k in tags if k.startswith(RESERVED_TAG_PREFIX))
        if reserved:
            raise ProviderError(
                ErrorCode.INVALID_SPEC,
                f"{what} starting with '{RESERVED_TAG_PREFIX}' are reserved: {', '.join(reserved)}",
                provider=self.name,
            )

    # -- the rules, one per method of the table ----------------------------------------------------

    def _spawn(self, options: SpawnOptions) -> ProviderInstance:
        return self._shape(self._run("spawn", self._options(options)), ProviderInstance, "spawn")

    def _terminate(self, provider_id: str) -> None:
        # Read first: only a managed, live instance is ever destroyed; any other id succeeds untouched.
        instance = self._managed(provider_id)
        if instance is None or instance.status in GONE_STATUSES:
            return
        self._run_tolerating_not_found("terminate", provider_id)

    def _list_instances(self, filter: ListFilter | None) -> list[ProviderInstance]:
        wanted = filter if filter is not None else ListFilter()
        if not isinstance(wanted, ListFilter):
            raise InvalidArgument(f"filter must be a ListFilter, got {type(filter).__name__}")
        found = self._run("list_instances", filter)
        if isinstance(found, str | bytes) or not isinstance(found, Sequence):
            raise ProviderError(
                ErrorCode.INTERNAL, f"list_instances returned {type(found).__name__}", provider=self.name
            )
        # The provider may filter server side; the filter is applied again so it can never widen.
        # Written for a listing of 100,000: the empty filter is not called, a generic instance not projected.
        matches = None if wanted == _EVERYTHING else wanted.matches
        kept = []
        for item in found:
            if type(item) is not ProviderInstance:
                if not isinstance(item, ProviderInstance):
                    raise ProviderError(
                        ErrorCode.INTERNAL,
                        f"list_instances returned a {type(item).__name__}",
                        provider=self.name,
                    )
                item = self._shape(item, ProviderInstance, "list_instances")
            if item.managed and (matches is None or matches(item)):
                kept.append(item)
        return kept

    def _get_instance(self, provider_id: str) -> ProviderInstance | None:
        return self._managed(provider_id)

    def _generate_bootstrap(self, config: BootstrapConfig) -> BootstrapScript:
        if not isinstance(config, BootstrapConfig):
            raise InvalidArgument(f"config must be a BootstrapConfig, got {type(config).__name__}")
        if config.tailscale_auth_key and not self.capabilities.tailscale_native:
            raise CapabilityNotSupported(self.name, "tailscale_native", "tailscale_auth_key was given")
        return self._shape(self._run("generate_bootstrap", config), BootstrapScript, "generate_bootstrap")

    def _create_snapshot(self, provider_id: str, name: str) -> ProviderSnapshot:
        if self._managed(provider_id) is None:
            raise ProviderError(ErrorCode.NOT_FOUND, f"no managed instance {provider_id}", provider=self.name)
        return self._shape(
            self._run("create_snapshot", provider_id, name), ProviderSnapshot, "create_snapshot"
        )

    def _get_snapshot_status(self, snapshot_id: str) -> SnapshotStatus:
        return self._shape_status(self._run("get_snapshot_status", snapshot_id))

    def _shape_status(self, value: object) -> SnapshotStatus:
        try:
            return SnapshotStatus(value if isinstance(value, str) else repr(value))
        except ValueError as exc:
            raise ProviderError(ErrorCode.INTERNAL, str(exc), provider=self.name) from exc

    def _delete_snapshot(self, snapshot_id: str) -> None:
        self._run_tolerating_not_found("delete_snapshot", snapshot_id)

    def _request_spot_instance(self, options: SpawnOptions, max_price_per_hour: float) -> SpotRequest:
        if isinstance(max_price_per_hour, bool) or not isinstance(max_price_per_hour, int | float):
            raise InvalidArgument(
                f"max_price_per_hour must be a number, got {type(max_price_per_hour).__name__}"
            )
        if not 0 < max_price_per_hour < float("inf"):
            raise InvalidArgument(
                f"max_price_per_hour must be a positive finite number, got {max_price_per_hour!r}"
            )
        found = self._run("request_spot_instance", self._options(options), max_price_per_hour)
        return self._shape(found, SpotRequest, "request_spot_instance")

    def _cancel_spot_request(self, request_id: str) -> None:
        self._run_tolerating_not_found("cancel_spot_request", request_id)

    def _get_spot_prices(self, instance_type: str, region: str | None) -> list[SpotPrice]:
        found = self._run("get_spot_prices", instance_type, region)
        if isinstance(found, str | bytes) or not isinstance(found, Sequence):
            raise ProviderError(
                ErrorCode.INTERNAL, f"get_spot_prices returned {type(found).__name__}", provider=self.name
            )
        return [self._shape(p, SpotPrice, "get_spot_prices") for p in found]


def _compile_with_tags() -> Callable[[SpawnOptions, dict[str, str]], SpawnOptions]:
    """with_tags(options, tags): options with tags replaced (tags used as given: pass a dict of your own),
    without running every validator again (the tags are checked strings). Compiled as one straight-line
    function over SpawnOptions' fields, because every spawn pays for this copy."""
    lines = ["def with_tags(options, tags):", "    copied = new(SpawnOptions)"]
    lines += [f"    set_{name}(copied, options.{name})" for name in _SPAWN_FIELDS if name != "tags"]
    lines += ["    set_tags(copied, tags)", "    return copied"]
    scope: dict[str, Any] = {"new": object.__new__, "SpawnOptions": SpawnOptions}
    scope.update({f"set_{name}": slot_setter(SpawnOptions, name) for name in _SPAWN_FIELDS})
    exec("\n".join(lines), scope)  # noqa: S102 - field names from attrs.fields
    function: Callable[[SpawnOptions, dict[str, str]], SpawnOptions] = scope["with_tags"]
    return function


with_tags = _compile_with_tags()
