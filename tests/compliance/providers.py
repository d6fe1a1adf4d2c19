"""Registrations the self-tests run the suite against: the memory provider, booting, and broken variants.

Each broken provider is a small subclass of the memory provider that violates exactly one rule.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from attrs import evolve

from provider_core import (
    BootstrapConfig,
    BootstrapFormat,
    BootstrapScript,
    Capabilities,
    ErrorCode,
    InstanceStatus,
    ListFilter,
    ProviderInstance,
    SpawnOptions,
)
from provider_core.author import IDEMPOTENCY_TAG, ComplianceProfile, ProviderRegistration, sha256_hex
from provider_core.testing.memory import REGIONS, MemoryProvider, registration

CONTRACTS = "tests.compliance.contracts"
# Entered and exited test doubles, by name, so tests can see the suite started and stopped them.
DOUBLE_EVENTS: list[str] = []


@contextmanager
def booting_double() -> Iterator[dict[str, Any]]:
    """Stands in for an emulator: its settings make instances boot asynchronously (pending, then running)."""
    DOUBLE_EVENTS.append("enter")
    try:
        yield {"boot_reads": 3}
    finally:
        DOUBLE_EVENTS.append("exit")


def memory(**overrides: Any) -> ProviderRegistration:
    """The reference provider, booting through its test double."""
    profile = ComplianceProfile(
        instance_type="mem.small", region=REGIONS[0], alt_region=REGIONS[1], test_double=booting_double
    )
    return registration(compliance=profile, **overrides)


def _broken(provider: type[MemoryProvider], **overrides: Any) -> ProviderRegistration:
    return registration(name=provider.name, provider=provider, **overrides)


class TerminateNotIdempotent(MemoryProvider):
    name = "terminate-not-idempotent"

    def terminate(self, provider_id: str) -> None:
        found = self.instances.get(provider_id)
        if found is None or found.status is InstanceStatus.TERMINATED:
            raise self._error(ErrorCode.NOT_FOUND, f"no live instance {provider_id}")
        super().terminate(provider_id)


class TerminateDoesNothing(MemoryProvider):
    name = "terminate-does-nothing"

    def terminate(self, provider_id: str) -> None:
        self.calls.append("terminate")


class SpawnIgnoresIdempotencyKey(MemoryProvider):
    name = "spawn-ignores-key"

    def spawn(self, options: SpawnOptions) -> ProviderInstance:
        tags = {k: v for k, v in options.tags.items() if k != IDEMPOTENCY_TAG}
        return super().spawn(evolve(options, idempotency_key=None, tags=tags))


class BadStatus(MemoryProvider):
    name = "bad-status"

    def spawn(self, options: SpawnOptions) -> ProviderInstance:
        instance = super().spawn(options)
        # Bypasses the attrs converter the way a careless provider building raw objects would.
        object.__setattr__(instance, "status", "booting")
        return instance


class DropsTags(MemoryProvider):
    name = "drops-tags"

    def spawn(self, options: SpawnOptions) -> ProviderInstance:
        return super().spawn(evolve(options, tags={}))


class ListIgnoresRegion(MemoryProvider):
    name = "list-ignores-region"

    def list_instances(self, filter: ListFilter | None = None) -> Sequence[ProviderInstance]:
        return super().list_instances(evolve(filter, region=None) if filter else None)


class ListIgnoresTags(MemoryProvider):
    name = "list-ignores-tags"

    def list_instances(self, filter: ListFilter | None = None) -> Sequence[ProviderInstance]:
        return super().list_instances(evolve(filter, tags={}) if filter else None)


class GetRaises(MemoryProvider):
    name = "get-raises"

    def get_instance(self, provider_id: str) -> ProviderInstance | None:
        found = super().get_instance(provider_id)
        if found is None:
            raise self._error(ErrorCode.NOT_FOUND, f"no instance {provider_id}")
        return found


class WrongChecksum(MemoryProvider):
    name = "wrong-checksum"

    def generate_bootstrap(self, config: BootstrapConfig) -> BootstrapScript:
        script = super().generate_bootstrap(config)
        return BootstrapScript(script.content, script.format, sha256_hex(script.content + "\n"))


class ShellDoesNotParse(MemoryProvider):
    name = "shell-does-not-parse"
    bootstrap_formats = (BootstrapFormat.SHELL,)

    def generate_bootstrap(self, config: BootstrapConfig) -> BootstrapScript:
        script = super().generate_bootstrap(config)
        return BootstrapScript("#!/usr/bin/env bash\nif then\n  echo joined\n", script.format)


class SpawnLeaks(MemoryProvider):
    name = "spawn-leaks"

    def spawn(self, options: SpawnOptions) -> ProviderInstance:
        super().spawn(options)
        return super().spawn(options)


class FlagWithoutMethods(MemoryProvider):
    name = "flag-without-methods"
    delete_snapshot = None  # type: ignore[assignment]


class NeverTerminates(MemoryProvider):
    """Accepts terminate and stays terminating forever: every wait for it runs out."""

    name = "never-terminates"

    def terminate(self, provider_id: str) -> None:
        with self._lock:
            self.instances[provider_id] = evolve(
                self._instance(provider_id), status=InstanceStatus.TERMINATING
            )


class OriginalDesignShell(MemoryProvider):
    """Written from the original design: renders its own shell script, declares no bootstrap_formats."""

    name = "original-design-shell"

    def generate_bootstrap(self, config: BootstrapConfig) -> BootstrapScript:
        return BootstrapScript(f"#!/bin/sh\necho joining {len(config.control_plane_url)}\n", "shell")


class Minimal(MemoryProvider):
    """Declares no optional group: the suite must skip those tests, naming the flag."""

    name = "minimal"
    create_snapshot = get_snapshot_status = delete_snapshot = None  # type: ignore[assignment]
    request_spot_instance = cancel_spot_request = get_spot_prices = None  # type: ignore[assignment]


def terminate_not_idempotent() -> ProviderRegistration:
    return _broken(TerminateNotIdempotent)


def terminate_does_nothing() -> ProviderRegistration:
    return _broken(TerminateDoesNothing)


def spawn_ignores_key() -> ProviderRegistration:
    return _broken(SpawnIgnoresIdempotencyKey)


def bad_status() -> ProviderRegistration:
    return _broken(BadStatus)


def drops_tags() -> ProviderRegistration:
    return _broken(DropsTags)


def list_ignores_region() -> ProviderRegistration:
    return _broken(ListIgnoresRegion)


def list_ignores_tags() -> ProviderRegistration:
    return _broken(ListIgnoresTags)


def get_raises() -> ProviderRegistration:
    return _broken(GetRaises)


def wrong_checksum() -> ProviderRegistration:
    return _broken(WrongChecksum)


def shell_does_not_parse() -> ProviderRegistration:
    return _broken(ShellDoesNotParse)


def spawn_leaks() -> ProviderRegistration:
    return _broken(SpawnLeaks)


def flag_without_methods() -> ProviderRegistration:
    return _broken(FlagWithoutMethods)


def flag_without_methods_by_path() -> ProviderRegistration:
    """The class named by path, as installed providers do: the mismatch shows only when it is built."""
    return registration(name=FlagWithoutMethods.name, provider=f"{__name__}:FlagWithoutMethods")


def never_terminates() -> ProviderRegistration:
    return _broken(NeverTerminates)


def original_design_shell() -> ProviderRegistration:
    return _broken(OriginalDesignShell)


def minimal() -> ProviderRegistration:
    return _broken(Minimal, capabilities=Capabilities())


@contextmanager
def unmanaged_double() -> Iterator[dict[str, Any]]:
    """A test double whose account already holds machines provider-core did not create."""
    yield {"unmanaged": 3, "boot_reads": 2}


def memory_with_unmanaged_machines() -> ProviderRegistration:
    """The naive reference provider (lists everything, ignores the filter, raises NOT_FOUND) beside
    machines without the management tag: the core must hide them and never terminate them."""
    profile = ComplianceProfile(
        instance_type="mem.small", region=REGIONS[0], alt_region=REGIONS[1], test_double=unmanaged_double
    )
    return registration(compliance=profile)


def memory_with_contracts() -> ProviderRegistration:
    return memory(contracts=(f"{CONTRACTS}:MemoryContract", f"{CONTRACTS}:SnapshotContract"))


def minimal_with_contracts() -> ProviderRegistration:
    return _broken(Minimal, capabilities=Capabilities(), contracts=(f"{CONTRACTS}:SnapshotContract",))


def memory_with_failing_contracts() -> ProviderRegistration:
    return memory(contracts=(f"{CONTRACTS}:FailingContract", f"{CONTRACTS}:LeakyContract"))


# A registration object rather than a callable, as --registration also accepts.
PLAIN = registration()
