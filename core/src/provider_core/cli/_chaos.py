"""The demo's chaos step: a fault the handle's retry policy recovers, and drift that reconcile reports.

Injection is the chaos plugin's job (provider-orbstack publishes it in the `provider_core.plugins` group and
it wraps any provider). It reads PROVIDER_CORE_CHAOS at call time, so the demo sets the variable around
this step only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Generator, Iterator, Mapping, Set
from contextlib import contextmanager
from importlib import metadata
from typing import Any

from provider_core import (
    DriftKind,
    ErrorCode,
    InstanceStatus,
    ProviderError,
    ProviderHandle,
    ProviderInstance,
    ProviderRegistry,
    RetryPolicy,
    SpawnOptions,
)
from provider_core.cli._record import StepFailed
from provider_core.hooks import MethodWrappers, current_attempt

CHAOS_ENV = "PROVIDER_CORE_CHAOS"
CHAOS_DISTRIBUTION = "provider-orbstack"
# Short delays: the demo shows a recovery, it does not wait out a real throttle.
POLICY = RetryPolicy(max_attempts=5, base_delay=0.05, max_delay=0.5, max_total=20.0)


def find_chaos_plugin(registry: ProviderRegistry) -> tuple[str | None, str]:
    """The entry-point name of a working chaos plugin, or None and why there is none."""
    candidates = sorted(
        ep.name
        for ep in metadata.entry_points(group="provider_core.plugins")
        if "chaos" in ep.name.lower() or (ep.dist is not None and ep.dist.name == CHAOS_DISTRIBUTION)
    )
    if not candidates:
        return None, (
            f"no chaos plugin installed ({CHAOS_DISTRIBUTION} publishes one "
            "in the provider_core.plugins group)"
        )
    broken = registry.broken_plugins()
    working = [name for name in candidates if name not in broken]
    if not working:
        return None, f"chaos plugin '{candidates[0]}' is broken: {broken[candidates[0]]}"
    return working[0], ""


FAULT = {
    "method": "spawn",
    "probability": 1.0,
    "code": ErrorCode.RATE_LIMIT_ERROR.value,
    "retry_after": 0.05,
    "times": 1,
}
DRIFT = {"vanish": 1, "orphans": 1, "status": {InstanceStatus.ERROR.value: 1}}


def fault_config(provider: str, seed: int) -> dict[str, Any]:
    return {"seed": seed, "providers": {provider: {"faults": [FAULT]}}}


def drift_config(provider: str, seed: int) -> dict[str, Any]:
    # Drift alone: with it, get_instance shows drifted statuses too, which waiting on a spawn must not see.
    return {"seed": seed, "providers": {provider: {"drift": DRIFT}}}


@contextmanager
def chaos_env(registry: ProviderRegistry, config: dict[str, Any]) -> Iterator[None]:
    """PROVIDER_CORE_CHAOS set for the block, with the chaos plugin registered if discovery left it
    dormant (test-only plugins wrap nothing unless asked for)."""
    name, _ = find_chaos_plugin(registry)
    dormant = registry.dormant_plugins().get(name) if name else None
    os.environ[CHAOS_ENV] = json.dumps(config)
    if dormant is not None:
        registry.plugin_manager.register(dormant)
    try:
        yield
    finally:
        if dormant is not None:
            registry.plugin_manager.unregister(dormant)
        os.environ.pop(CHAOS_ENV, None)


class AttemptLog:
    """A downstream wrapper recording each spawn attempt that failed, as the handle's retries absorb them."""

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.failures: list[tuple[ErrorCode, int]] = []
        self.plugin = MethodWrappers(self._around, methods=("spawn",))

    def _around(self, provider: str, method: str, arguments: Mapping[str, Any]) -> Generator[None, Any, Any]:
        try:
            return (yield)
        except ProviderError as exc:
            if provider == self.provider:
                self.failures.append((exc.code, current_attempt()))
            raise


def spawn_through_fault(
    registry: ProviderRegistry, handle: ProviderHandle, options: SpawnOptions
) -> tuple[ProviderInstance, str]:
    """Spawn under an injected RATE_LIMIT_ERROR; the handle's retries must absorb it and recover."""
    log = AttemptLog(handle.name)
    registry.plugin_manager.register(log.plugin)
    try:
        instance = handle.spawn(options)
    finally:
        registry.plugin_manager.unregister(log.plugin)
    injected = [attempt for code, attempt in log.failures if code is ErrorCode.RATE_LIMIT_ERROR]
    if not injected:
        raise StepFailed(f"no fault was injected into spawn: is the chaos plugin wrapping '{handle.name}'?")
    return instance, (
        f"spawn hit RATE_LIMIT_ERROR {len(injected)}x (injected); the handle's retry policy "
        f"recovered with {instance.id} on attempt {max(injected) + 1}"
    )


def check_drift(handle: ProviderHandle, expected: dict[str, InstanceStatus], known_orphans: Set[str]) -> str:
    """Reconcile under drift; every injected kind (vanished, orphan, status) must be reported."""
    report = handle.reconcile(expected)
    drift = [
        d for d in report.drift if not (d.kind is DriftKind.UNEXPECTED and d.instance_id in known_orphans)
    ]
    counts = {kind: sum(1 for d in drift if d.kind is kind) for kind in DriftKind}
    missing = [kind.value for kind, n in counts.items() if n == 0]
    if missing:
        seen = ", ".join(f"{n} {kind.value}" for kind, n in counts.items())
        raise StepFailed(f"reconcile did not report injected drift of kind {', '.join(missing)} (saw {seen})")
    changed = ", ".join(
        f"{d.instance_id} {d.expected}->{d.actual}" for d in drift if d.kind is DriftKind.STATUS_CHANGED
    )
    return (
        f"reconcile reported {counts[DriftKind.MISSING]} missing, {counts[DriftKind.UNEXPECTED]} unexpected, "
        f"{counts[DriftKind.STATUS_CHANGED]} status changed ({changed})"
    )
