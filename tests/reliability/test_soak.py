"""Chaos soak on all four providers at ~30 % faults, with a control plane that retries (the handle's
default policy, provider_core.retry for keyless spawns), reconciles and sweeps: it must end with nothing
leaked, nothing duplicated and every error a typed ProviderError (never INTERNAL).

Lambda and RunPod fail through their emulators' own knobs (5xx, 429 with Retry-After, dropped connections,
malformed bodies, launches that create and then fail); the sim and AWS through the chaos plugin.

CI runs a small size; PROVIDER_CORE_SOAK=full runs 2,000 operations (figures in benchmarks/RESULTS.md,
"Reliability"). PROVIDER_CORE_SOAK_OPS=<n> sets the operations per provider.
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest

import provider_core
from provider_core import ErrorCode, ProviderRegistry
from provider_core._config import CoreConfig
from provider_lambda.testing import LambdaEmulator, settings_for
from provider_runpod.testing import Emulator as RunPodEmulator
from tests.reliability.soak import (
    POLICY,
    ControlPlane,
    EmulatorFaults,
    Tally,
    lambda_faults,
    runpod_faults,
)

INSTALLED = provider_core.discover()
PROVIDERS = ("aws", "lambda", "orbstack", "runpod")
FULL = os.environ.get("PROVIDER_CORE_SOAK") == "full"
OPS = int(os.environ.get("PROVIDER_CORE_SOAK_OPS", 500 if FULL else 30))
TYPED = {c.value for c in ErrorCode} - {ErrorCode.INTERNAL.value}


def chaos() -> Any:
    from provider_orbstack.chaos import Drift, Fault, ProviderChaos

    codes = (ErrorCode.UNAVAILABLE, ErrorCode.RATE_LIMIT_ERROR, ErrorCode.CAPACITY_ERROR)
    faults = [Fault("*", probability=0.1, code=code, retry_after=0.001) for code in codes]
    # A spawn that creates its instance, then fails: the caller never learns the id.
    faults.append(Fault("spawn", probability=0.1, code=ErrorCode.UNAVAILABLE, partial=True))
    return ProviderChaos(faults=faults, drift=Drift(status={"error": 2, "stopped": 2}))


class ChaosFaults:
    """The chaos plugin's faults on a provider, until stop()."""

    def __init__(self, registry: ProviderRegistry, name: str) -> None:
        from provider_orbstack.chaos import enable_chaos

        self._stack = ExitStack()
        self._plugin = self._stack.enter_context(enable_chaos(registry, chaos(), provider=name, seed=7))

    def before_operation(self, rng: random.Random) -> None:
        """Chaos picks its own calls to fail."""

    def stop(self) -> Counter[str]:
        served = Counter(
            f"{e.kind}:{e.code.value if e.code else '-'}"
            for e in self._plugin.events()
            if e.kind in ("fault", "partial")
        )
        self._stack.close()
        return served


@contextmanager
def soaked(registry: ProviderRegistry, name: str) -> Iterator[tuple[Mapping[str, Any], Any]]:
    """The provider's settings on its test double, and its faults (switched on)."""
    with ExitStack() as stack:
        if name == "lambda":
            emulator: Any = stack.enter_context(LambdaEmulator())
            yield settings_for(emulator), EmulatorFaults(emulator, lambda_faults(emulator))
        elif name == "runpod":
            emulator = stack.enter_context(RunPodEmulator(boot_reads=0))
            yield emulator.settings, EmulatorFaults(emulator, runpod_faults(emulator))
        else:
            profile = registry.registration(name).compliance
            assert profile is not None
            assert profile.test_double is not None
            settings = stack.enter_context(profile.test_double())
            faults = ChaosFaults(registry, name)
            stack.callback(faults.stop)
            yield settings, faults


@pytest.mark.parametrize("name", PROVIDERS)
def test_chaos_soak(name: str) -> None:
    registry = ProviderRegistry(CoreConfig(retry=POLICY))
    registry.add(INSTALLED.registration(name))
    profile = registry.registration(name).compliance
    assert profile is not None
    rng = random.Random(f"{name}-{OPS}")
    started = time.monotonic()
    tally = Tally()
    with soaked(registry, name) as (settings, faults):
        # Registered last, so it wraps the chaos plugin too and sees every error a caller could.
        registry.plugin_manager.register(tally.plugin, name="soak-tally")
        handle = registry.get(name, **settings)
        plane = ControlPlane(handle, profile, uuid.uuid4().hex[:6])
        for op in range(OPS):
            faults.before_operation(rng)
            plane.operate(op, rng)
        served = faults.stop()  # faults off: the plane's last look, then the sweep of this run
        outcome = plane.finish()
        handle.close()
    figures = {
        "provider": name, "operations": OPS, "faults_served": dict(sorted(served.items())),
        "retries": tally.retries + plane.retries, "errors_seen": dict(tally.errors),
        "errors_after_retries": dict(plane.errors), **outcome,
        "seconds": round(time.monotonic() - started, 2),
    }  # fmt: skip
    print("SOAK", json.dumps(figures))
    assert set(tally.errors) <= TYPED, figures
    assert set(plane.errors) <= TYPED, figures
    assert outcome == {"duplicated": 0, "leaked": 0}, figures
    assert sum(served.values()) > 0, figures
