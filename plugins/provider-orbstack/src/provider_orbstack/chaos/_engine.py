"""The chaos state of one provider: seeded draws, fault budgets, sticky drift and resource usage.

Every random draw comes from a generator seeded by (seed, provider, purpose), so the same config and
the same sequence of calls inject the same faults and drift, in any process.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import attrs
from attrs import frozen

from provider_core import (
    ErrorCode,
    InstanceStatus,
    ListFilter,
    ProviderError,
    ProviderInstance,
    SpawnOptions,
    SpotRequest,
)
from provider_core.author import MANAGED_TAG
from provider_orbstack.chaos._config import Fault, ProviderChaos

GONE = frozenset({InstanceStatus.TERMINATING, InstanceStatus.TERMINATED})
ORPHAN_TAG = "chaos:orphan"
RETAG_TAG = "chaos:retagged"
SPAWNING = frozenset({"spawn", "request_spot_instance"})


@frozen
class ChaosEvent:
    """One thing chaos did.

    kind: fault, latency, partial, hang, constraint, vanish, status, retag, orphan or spot.
    """

    kind: str
    provider: str
    method: str
    code: ErrorCode | None = None
    instance_id: str | None = None
    detail: str = ""


class ChaosState:
    def __init__(self, provider: str, spec: ProviderChaos, seed: int, release: threading.Event) -> None:
        self.provider = provider
        self.spec = spec
        self.seed = seed
        self.events: list[ChaosEvent] = []
        self._release = release
        self._lock = threading.Lock()
        self._rngs: dict[str, random.Random] = {}
        self._fired = [0] * len(spec.faults)
        self._left = {
            "vanish": spec.drift.vanish,
            "retag": spec.drift.retag,
            "spot": spec.spot_interruptions,
            **{f"status:{s.value}": n for s, n in sorted(spec.drift.status.items())},
        }
        self._orphans_left = spec.drift.orphans
        self._drifted: dict[str, str] = {}  # instance id -> drift kind ("vanish", "status:error", ...)
        self._retagged: set[str] = set()
        self._orphans: dict[str, ProviderInstance] = {}
        self._usage: dict[str, tuple[int, int]] = {}

    def _rng(self, purpose: str) -> random.Random:
        if purpose not in self._rngs:
            self._rngs[purpose] = random.Random(f"{self.seed}:{self.provider}:{purpose}")
        return self._rngs[purpose]

    def _error(self, code: ErrorCode, message: str, retry_after: float | None = None) -> ProviderError:
        return ProviderError(code, f"chaos: {message}", provider=self.provider, retry_after=retry_after)

    def _record(self, kind: str, method: str, **details: Any) -> None:
        self.events.append(ChaosEvent(kind, self.provider, method, **details))

    # -- before the call ---------------------------------------------------------------------------

    def before(self, method: str, arguments: Mapping[str, Any]) -> Fault | None:
        """Check constraints, draw faults and delay; raise, or return a partial fault to raise after."""
        with self._lock:
            if method in SPAWNING:
                self._check_constraints(method, arguments["options"])
            fault = self._draw(method)
            if fault is None:
                return None
            delay = fault.latency_s + (
                self._rng(f"jitter:{method}").uniform(0, fault.jitter_s) if fault.jitter_s else 0
            )
        if delay:
            self._release.wait(delay)
        if fault.hang_s:
            # Bounded and released when chaos is switched off, so abandoned threads end.
            self._release.wait(fault.hang_s)
            raise self._error(
                fault.code or ErrorCode.UNAVAILABLE,
                f"{method} hung for up to {fault.hang_s:g}s",
                fault.retry_after,
            )
        if fault.code is not None and not fault.partial:
            raise self._error(fault.code, f"injected {fault.code.value} on {method}", fault.retry_after)
        return fault if fault.partial else None

    def _draw(self, method: str) -> Fault | None:
        rng = self._rng(f"faults:{method}")
        for index, fault in enumerate(self.spec.faults):
            if not fault.applies_to(method) or (
                fault.times is not None and self._fired[index] >= fault.times
            ):
                continue
            if rng.random() < fault.probability:
                self._fired[index] += 1
                kind = (
                    "hang"
                    if fault.hang_s
                    else "partial"
                    if fault.partial
                    else "fault"
                    if fault.code
                    else "latency"
                )
                self._record(kind, method, code=fault.code, detail=f"fault #{index}")
                return fault
        return None

    def _check_constraints(self, method: str, options: SpawnOptions) -> None:
        limits = self.spec.constraints
        region = options.region
        if "*" in limits.exhausted_regions or (region is not None and region in limits.exhausted_regions):
            self._record("constraint", method, code=ErrorCode.CAPACITY_ERROR, detail=f"region {region}")
            raise self._error(ErrorCode.CAPACITY_ERROR, f"no capacity left in region {region or '(default)'}")
        vcpus, gpus = limits.sizes.get(options.instance_type, (1, 0))
        gpus = options.gpu_count if options.gpu_count is not None else gpus
        used = list(self._usage.values())
        checks = (
            ("instances", limits.max_instances, len(used) + 1),
            ("vCPUs", limits.max_vcpus, sum(v for v, _ in used) + vcpus),
            ("GPUs", limits.max_gpus, sum(g for _, g in used) + gpus),
        )
        for what, limit, wanted in checks:
            if limit is not None and wanted > limit:
                self._record("constraint", method, code=ErrorCode.QUOTA_EXCEEDED, detail=what)
                raise self._error(ErrorCode.QUOTA_EXCEEDED, f"{what} quota of {limit} would be exceeded")

    def partial_error(self, fault: Fault, method: str, result: object) -> ProviderError:
        created = getattr(result, "id", None) if not isinstance(result, SpotRequest) else result.instance_id
        code = fault.code or ErrorCode.UNAVAILABLE
        return self._error(
            code, f"{method} failed after creating {created} (partial failure)", fault.retry_after
        )

    # -- after the call ----------------------------------------------------------------------------

    def after(self, method: str, result: Any, arguments: Mapping[str, Any]) -> Any:
        """The result as chaos shows it (drift, orphans), counting what spawns and terminates use."""
        options = arguments.get("options")
        subject = str(arguments.get("provider_id", ""))  # terminate and get_instance name one
        wanted = arguments.get("filter")
        with self._lock:
            if method == "spawn" and isinstance(result, ProviderInstance) and options is not None:
                self._usage[result.id] = self._size(options)
            elif method == "request_spot_instance" and isinstance(result, SpotRequest) and options:
                if result.instance_id:
                    self._usage[result.instance_id] = self._size(options)
            elif method == "terminate":
                self._usage.pop(subject, None)
                self._orphans.pop(subject, None)
                # Drift describes a machine that lives; one terminated is gone, whatever drifted before,
                # or reconcile and sweep would chase a phantom for ever.
                self._drifted.pop(subject, None)
                self._retagged.discard(subject)
            elif method == "list_instances":
                return self._observe(list(result or ()), wanted, method)
            elif method == "get_instance":
                if subject in self._orphans:
                    return self._orphans[subject]
                if result is None:
                    return None
                seen = self._observe([result], None, method)
                return seen[0] if seen and seen[0].id == result.id else None
        return result

    def _size(self, options: SpawnOptions) -> tuple[int, int]:
        vcpus, gpus = self.spec.constraints.sizes.get(options.instance_type, (1, 0))
        return vcpus, options.gpu_count if options.gpu_count is not None else gpus

    def _observe(
        self, listed: Sequence[ProviderInstance], filter: ListFilter | None, method: str
    ) -> list[ProviderInstance]:
        self._choose(listed, method)
        shown = []
        for instance in listed:
            # A machine the provider reports gone stays gone: drift never brings one back.
            kind = None if instance.status in GONE else self._drifted.get(instance.id)
            if kind == "vanish":
                continue
            if kind == "spot":
                instance = attrs.evolve(
                    instance,
                    status=InstanceStatus.TERMINATED,
                    status_reason="chaos: spot instance reclaimed by the provider",
                    spot_interrupted=True,
                )
            elif kind is not None and kind.startswith("status:"):
                instance = attrs.evolve(
                    instance, status=kind.partition(":")[2], status_reason="chaos: status drift"
                )
            if instance.id in self._retagged:
                kept = {k: v for k, v in instance.tags.items() if k.startswith("provider-core:")}
                instance = attrs.evolve(instance, tags={**kept, RETAG_TAG: "true"})
            shown.append(instance)
        shown.extend(self._orphans.values())
        wanted = filter or ListFilter()
        return [i for i in shown if wanted.matches(i)]

    def _choose(self, listed: Sequence[ProviderInstance], method: str) -> None:
        """Spend drift budgets on instances not drifted yet, in a fixed order with seeded choices."""
        rng = self._rng("drift")
        for kind in sorted(k for k, n in self._left.items() if n > 0):
            # Each instance drifts one way at most, so every drift stays visible on its own.
            pool = [
                i
                for i in listed
                if i.id not in self._drifted
                and i.id not in self._retagged
                and (
                    i.status is InstanceStatus.RUNNING and i.spot if kind == "spot" else i.status not in GONE
                )
            ]
            pool.sort(key=lambda i: i.id)
            while pool and self._left[kind] > 0:
                chosen = pool.pop(rng.randrange(len(pool)))
                self._left[kind] -= 1
                if kind == "retag":
                    self._retagged.add(chosen.id)
                else:
                    self._drifted[chosen.id] = kind
                code = ErrorCode.SPOT_INTERRUPTED if kind == "spot" else None
                self._record(kind.partition(":")[0], method, code=code, instance_id=chosen.id, detail=kind)
        while self._orphans_left > 0:
            self._orphans_left -= 1
            orphan_id = f"chaos-orphan-{rng.getrandbits(32):08x}"
            template = listed[0] if listed else None
            self._orphans[orphan_id] = ProviderInstance(
                id=orphan_id,
                status=InstanceStatus.RUNNING,
                provider=self.provider,
                name=orphan_id,
                instance_type=None if template is None else template.instance_type,
                region=None if template is None else template.region,
                created_at=datetime.now(UTC),
                tags={MANAGED_TAG: "true", ORPHAN_TAG: "true"},
            )
            self._record("orphan", method, instance_id=orphan_id)
