"""The soak's parts: faults served by the HTTP emulators' own knobs, a tally taken inside the hooks, and
a control plane that retries, reconciles and sweeps the way a real one does."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Generator, Mapping
from functools import partial
from typing import Any

import provider_core
from provider_core import (
    DriftKind,
    ListFilter,
    ProviderError,
    ProviderHandle,
    RetryPolicy,
    SpawnOptions,
)
from provider_core.author import GONE_STATUSES, ComplianceProfile
from provider_core.hooks import MethodWrappers, current_attempt
from provider_core.testing.kit import EmulatorApp, Fault, Request
from provider_lambda.testing import LambdaEmulator
from provider_runpod.testing import Emulator as RunPodEmulator

# Short delays: the soak is about outcomes, not about waiting.
POLICY = RetryPolicy(max_attempts=8, base_delay=0.001, max_delay=0.01, max_total=60)
FAULT_RATE = 0.3
_HTML = b"<html><body>502 Bad Gateway</body></html>"
_RETRY_AFTER = "0.01"


def lambda_faults(emulator: LambdaEmulator) -> dict[str, Callable[[], None]]:
    """Every kind of failure the Lambda emulator's knobs serve, by name."""
    return {
        "5xx": lambda: emulator.fail(503),
        "429": lambda: emulator.throttle(retry_after=_RETRY_AFTER),
        "dropped": lambda: emulator.fail(drop=True),
        "malformed": lambda: emulator.fail(200, raw_body=_HTML),
        "created-then-failed": lambda: emulator.create_then_fail(500),
        "created-then-dropped": lambda: emulator.fail(
            operation="launchInstance", after_effect=True, drop=True
        ),
    }


def _is_create(request: Request) -> bool:
    return request.method == "POST" and request.path == "/v2/pods"


def runpod_faults(emulator: RunPodEmulator) -> dict[str, Callable[[], None]]:
    """Every kind of failure the RunPod emulator's knobs serve, by name."""
    limited = b'{"status": 429, "title": "Too Many Requests", "detail": "slow down"}'
    headers = {"Content-Type": "application/problem+json", "Retry-After": _RETRY_AFTER}
    return {
        "5xx": lambda: emulator.fail_next(1, 503),
        "429": lambda: emulator.inject(Fault(429, limited, headers)),
        "dropped": lambda: emulator.inject(Fault(drop=True)),
        "malformed": lambda: emulator.fail_next(1, 200, raw=_HTML),
        "created-then-failed": lambda: emulator.create_then_fail(1),
        "created-then-dropped": lambda: emulator.inject(Fault(drop=True, when=_is_create, after_effect=True)),
    }


class EmulatorFaults:
    """Injects one fault of a random kind into an emulator before ~FAULT_RATE of the operations; a fault
    waits in the emulator's queue for the first request it matches."""

    def __init__(self, emulator: EmulatorApp, kinds: Mapping[str, Callable[[], None]]) -> None:
        self.emulator = emulator
        self.kinds = kinds
        self._injected: list[tuple[Fault, str]] = []

    def before_operation(self, rng: random.Random) -> None:
        if rng.random() < FAULT_RATE:
            kind = rng.choice(sorted(self.kinds))
            self.kinds[kind]()
            self._injected.append((self.emulator.faults[-1], kind))

    def stop(self) -> Counter[str]:
        """Clear what is still queued; the faults that were served, by kind."""
        pending = {id(fault) for fault in self.emulator.faults}
        self.emulator.fault_queue.clear()
        return Counter(kind for fault, kind in self._injected if id(fault) not in pending)


class Tally:
    """A hook wrapper that sees every attempt: the handle's retries and every error raised below it."""

    def __init__(self) -> None:
        self.retries = 0
        self.errors: Counter[str] = Counter()
        self.plugin = MethodWrappers(self._around)

    def _around(self, provider: str, method: str, arguments: Mapping[str, Any]) -> Generator[None, Any, Any]:
        options = arguments.get("options")
        keyless_spawn = isinstance(options, SpawnOptions) and options.idempotency_key is None
        if current_attempt() > 1 and not keyless_spawn:  # keyless spawns are the plane's to retry
            self.retries += 1
        try:
            return (yield)
        except ProviderError as exc:
            self.errors[exc.code.value] += 1
            raise
        except BaseException as exc:  # untyped: the soak fails on it
            self.errors[type(exc).__name__] += 1
            raise


class ControlPlane:
    """What a real control plane does: it knows what it asked for by name, and converges on it. The
    handle retries reads, terminates and keyed spawns; the plane retries keyless spawns itself."""

    def __init__(self, handle: ProviderHandle, profile: ComplianceProfile, run: str) -> None:
        self.handle = handle
        self.profile = profile
        self.run = run
        self.mine = ListFilter(tags={"soak-run": run})
        self.known: dict[str, str] = {}  # name -> instance id
        self.errors: Counter[str] = Counter()  # what reached the plane after the retries
        self.retries = 0  # the plane's own (keyless spawns)

    def call(self, fn: Callable[[], Any]) -> tuple[bool, Any]:
        try:
            return True, fn()
        except ProviderError as exc:
            self.errors[exc.code.value] += 1
            return False, None

    def spawn(self, index: int, *, keyed: bool) -> None:
        name = f"s{self.run}-{index:05d}"
        options = SpawnOptions(
            name=name, instance_type=self.profile.instance_type, region=self.profile.region,
            image=self.profile.image, tags={"soak-run": self.run},
            idempotency_key=f"k{self.run}-{index:05d}" if keyed else None,
        )  # fmt: skip

        def attempt() -> Any:
            # Before every attempt, look: an earlier attempt may have created it and lost the answer.
            found = [
                i
                for i in self.handle.list_instances(ListFilter(name_prefix=name))
                if i.status not in GONE_STATUSES
            ]
            return found[0] if found else self.handle.spawn(options)

        def counted(exc: ProviderError, delay: float) -> None:
            self.retries += 1

        ok, made = self.call(
            (lambda: self.handle.spawn(options))
            if keyed
            else (lambda: provider_core.retry(attempt, POLICY, on_retry=counted))
        )
        if ok:
            self.known[name] = made.id

    def terminate_one(self, rng: random.Random) -> None:
        if self.known:
            name = rng.choice(sorted(self.known))
            ok, _ = self.call(lambda: self.handle.terminate(self.known[name]))
            if ok:
                self.known.pop(name)

    def reconcile(self) -> None:
        ok, live = self.call(lambda: self.handle.list_instances(self.mine))
        if not ok:
            return
        ok, report = self.call(lambda: self.handle.reconcile({i.id: i.status for i in live}))
        for drift in report.drift if ok else ():
            if drift.kind is DriftKind.MISSING:
                self.known = {n: i for n, i in self.known.items() if i != drift.instance_id}
        # Anything of this run the plane does not know (a lost spawn answer) is swept.
        stray = [i.id for i in live if i.id not in self.known.values() and i.status not in GONE_STATUSES]
        for instance_id in stray:
            self.call(partial(self.handle.terminate, instance_id))

    def operate(self, op: int, rng: random.Random) -> None:
        roll = rng.random()
        if roll < 0.35 or not self.known:
            self.spawn(op, keyed=rng.random() < 0.5)
        elif roll < 0.6:
            self.call(lambda: self.handle.list_instances(self.mine))
        elif roll < 0.75:
            self.call(lambda: self.handle.get_instance(rng.choice(sorted(self.known.values()))))
        elif roll < 0.9:
            self.terminate_one(rng)
        else:
            self.reconcile()

    def finish(self) -> dict[str, int]:
        """With faults off: count duplicates, sweep everything of this run, count what is left."""
        live = [i for i in self.handle.list_instances(self.mine) if i.status not in GONE_STATUSES]
        duplicated = sum(n - 1 for n in Counter(i.name for i in live).values() if n > 1)
        provider_core.sweep(self.handle, self.mine)
        leaked = [i for i in self.handle.list_instances(self.mine) if i.status not in GONE_STATUSES]
        return {"duplicated": duplicated, "leaked": len(leaked)}
