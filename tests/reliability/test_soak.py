"""Chaos soak on all four providers: faults on ~30 % of calls, a control plane that retries
(provider_core.retry), reconciles and sweeps; it must end with nothing leaked, nothing duplicated and
every error a typed ProviderError.

CI runs a small size; PROVIDER_CORE_SOAK=full runs 2,000 operations (figures in benchmarks/RESULTS.md,
"Reliability"). PROVIDER_CORE_SOAK_OPS=<n> sets the operations per provider.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

import provider_core
from provider_core import (
    DriftKind,
    ErrorCode,
    ListFilter,
    ProviderError,
    ProviderHandle,
    RetryPolicy,
    SpawnOptions,
)
from provider_core.author import GONE_STATUSES

REGISTRY = provider_core.discover()
PROVIDERS = ("aws", "lambda", "orbstack", "runpod")
FULL = os.environ.get("PROVIDER_CORE_SOAK") == "full"
OPS = int(os.environ.get("PROVIDER_CORE_SOAK_OPS", 500 if FULL else 30))
POLICY = RetryPolicy(max_attempts=8, base_delay=0.001, max_delay=0.01, max_total=60)
RETRYABLE = (ErrorCode.UNAVAILABLE, ErrorCode.RATE_LIMIT_ERROR, ErrorCode.CAPACITY_ERROR)


@pytest.fixture(params=PROVIDERS)
def handle(request: pytest.FixtureRequest) -> Iterator[ProviderHandle]:
    profile = REGISTRY.registration(request.param).compliance
    assert profile is not None
    assert profile.test_double is not None
    with profile.test_double() as settings:
        built = REGISTRY.get(request.param, **settings)
        yield built
        built.close()


def chaos() -> Any:
    from provider_orbstack.chaos import Drift, Fault, ProviderChaos

    faults = [Fault("*", probability=0.1, code=code, retry_after=0.001) for code in RETRYABLE]
    # A spawn that creates its instance, then fails: the caller never learns the id.
    faults.append(Fault("spawn", probability=0.1, code=ErrorCode.UNAVAILABLE, partial=True))
    return ProviderChaos(faults=faults, drift=Drift(status={"error": 2, "stopped": 2}))


class ControlPlane:
    """What a real control plane does: it knows what it asked for by name, and converges on it."""

    def __init__(self, handle: ProviderHandle, run: str) -> None:
        self.handle = handle
        self.run = run
        self.mine = ListFilter(tags={"soak-run": run})
        self.known: dict[str, str] = {}  # name -> instance id
        self.errors: Counter[str] = Counter()
        self.retries = 0
        profile = REGISTRY.registration(handle.name).compliance
        assert profile is not None
        self.profile = profile

    def call(self, fn: Any) -> Any:
        def counted(exc: ProviderError, _: float) -> None:
            self.retries += 1
            self.errors[exc.code.value] += 1

        try:
            return provider_core.retry(fn, POLICY, on_retry=counted)
        except ProviderError as exc:
            self.errors[exc.code.value] += 1
            return None

    def spawn(self, index: int) -> None:
        name = f"s{self.run}-{index:05d}"
        key = f"k{self.run}-{index:05d}" if self.handle.capabilities.idempotent_spawn else None
        options = SpawnOptions(
            name=name, instance_type=self.profile.instance_type, region=self.profile.region,
            image=self.profile.image, tags={"soak-run": self.run}, idempotency_key=key,
        )  # fmt: skip

        def attempt() -> Any:
            # Before every attempt, look: an earlier attempt may have created it and lost the answer.
            found = [
                i
                for i in self.handle.list_instances(ListFilter(name_prefix=name))
                if i.status not in GONE_STATUSES
            ]
            return found[0] if found else self.handle.spawn(options)

        made = self.call(attempt)
        if made is not None:
            self.known[name] = made.id

    def terminate_one(self, rng: random.Random) -> None:
        if self.known:
            name = rng.choice(sorted(self.known))
            if self.call(lambda: self.handle.terminate(self.known[name])) is None:
                self.known.pop(name)

    def reconcile(self) -> None:
        live = self.call(lambda: self.handle.list_instances(self.mine))
        if live is None:
            return
        report = self.call(lambda: self.handle.reconcile({i.id: i.status for i in live}))
        for drift in report.drift if report is not None else ():
            if drift.kind is DriftKind.MISSING:
                self.known = {n: i for n, i in self.known.items() if i != drift.instance_id}
        # Anything of this run the plane does not know (a lost spawn answer) is swept.
        stray = [i.id for i in live if i.id not in self.known.values() and i.status not in GONE_STATUSES]
        for instance_id in stray:
            self.call(lambda i=instance_id: self.handle.terminate(i))


def test_chaos_soak(handle: ProviderHandle) -> None:
    from provider_orbstack.chaos import enable_chaos

    run = uuid.uuid4().hex[:6]
    plane = ControlPlane(handle, run)
    rng = random.Random(f"{handle.name}-{OPS}")
    with enable_chaos(REGISTRY, chaos(), provider=handle.name, seed=7) as plugin:
        for op in range(OPS):
            roll = rng.random()
            if roll < 0.35 or not plane.known:
                plane.spawn(op)
            elif roll < 0.6:
                plane.call(lambda: handle.list_instances(plane.mine))
            elif roll < 0.75:
                plane.call(lambda: handle.get_instance(rng.choice(sorted(plane.known.values()))))
            elif roll < 0.9:
                plane.terminate_one(rng)
            else:
                plane.reconcile()
        injected = sum(1 for e in plugin.events() if e.kind in ("fault", "partial"))
    # Chaos off: the plane's last reconcile, then the sweep of everything of this run.
    live = [i for i in handle.list_instances(plane.mine) if i.status not in GONE_STATUSES]
    duplicated = sum(n - 1 for n in Counter(i.name for i in live).values() if n > 1)
    provider_core.sweep(handle, plane.mine)
    leaked = [i.id for i in handle.list_instances(plane.mine) if i.status not in GONE_STATUSES]
    figures = {
        "provider": handle.name, "operations": OPS, "faults_injected": injected,
        "retries": plane.retries,
        "errors": dict(plane.errors), "duplicated": duplicated, "leaked": len(leaked),
    }  # fmt: skip
    print("SOAK", json.dumps(figures))
    assert set(plane.errors) <= {c.value for c in ErrorCode} - {ErrorCode.INTERNAL.value}, plane.errors
    assert duplicated == 0, figures
    assert leaked == [], figures
    assert injected > 0
