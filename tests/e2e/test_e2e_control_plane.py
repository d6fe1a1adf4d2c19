"""A control plane's day on every installed provider, through discovery and each provider's test double:
bootstrap, spawn, chaos that the retry helper recovers, drift that reconcile reports, teardown, no leaks."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Generator, Iterator, Mapping
from typing import Any

import pytest

import provider_core
from provider_core import (
    BootstrapConfig,
    DriftKind,
    ErrorCode,
    ListFilter,
    ProviderError,
    ProviderHandle,
    RetryPolicy,
    SpawnOptions,
)
from provider_core.author import GONE_STATUSES
from provider_core.hooks import MethodWrappers, current_attempt

REGISTRY = provider_core.discover()
WITH_DOUBLES = [n for n in REGISTRY.names() if (p := REGISTRY.registration(n).compliance) and p.test_double]
FAST_RETRY = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05, max_total=30)


@pytest.fixture(params=WITH_DOUBLES)
def handle(request: pytest.FixtureRequest) -> Iterator[ProviderHandle]:
    profile = REGISTRY.registration(request.param).compliance
    assert profile is not None
    assert profile.test_double is not None
    with profile.test_double() as settings:
        built = REGISTRY.get(request.param, **settings)
        yield built
        built.close()


def test_the_four_providers_have_test_doubles() -> None:
    assert {"aws", "lambda", "orbstack", "runpod"} <= set(WITH_DOUBLES)


def test_a_control_plane_day(handle: ProviderHandle, caplog: pytest.LogCaptureFixture) -> None:
    from provider_orbstack.chaos import Drift, Fault, ProviderChaos, enable_chaos

    caplog.set_level(logging.DEBUG)  # every logger, SDKs included: the token must never reach a log

    profile = REGISTRY.registration(handle.name).compliance
    assert profile is not None
    run = uuid.uuid4().hex[:8]
    mine = ListFilter(tags={"e2e-run": run})
    key = f"e2e-{run}" if handle.capabilities.idempotent_spawn else None
    script = handle.generate_bootstrap(BootstrapConfig("https://cp.example", instance_token=f"tok-{run}"))
    assert script.verify()

    def options(index: int, idempotency_key: str | None = None) -> SpawnOptions:
        return SpawnOptions(
            name=f"e2e-{run}-{index}",
            instance_type=profile.instance_type,
            region=profile.region,
            image=profile.image,
            bootstrap=script,
            tags={"e2e-run": run},
            idempotency_key=idempotency_key,
        )

    made = [handle.spawn(options(i)) for i in range(2)]
    try:
        flaky = ProviderChaos(
            faults=[Fault("spawn", code=ErrorCode.RATE_LIMIT_ERROR, retry_after=0.01, times=2)],
            drift=Drift(vanish=1, orphans=1),
        )
        failed_attempts: list[tuple[ErrorCode, int]] = []

        def observe(provider: str, method: str, arguments: Mapping[str, Any]) -> Generator[None, Any, Any]:
            try:
                return (yield)
            except ProviderError as exc:
                failed_attempts.append((exc.code, current_attempt()))
                raise

        observer = MethodWrappers(observe, methods=("spawn",))
        handle.retry_policy = FAST_RETRY
        with enable_chaos(REGISTRY, flaky, provider=handle.name, seed=11):
            REGISTRY.plugin_manager.register(observer)
            try:
                if key is not None:
                    # The key makes a second attempt safe, so the handle's own retries absorb both faults.
                    third = handle.spawn(options(2, key))
                else:
                    third = provider_core.retry(lambda: handle.spawn(options(2)), FAST_RETRY)
            finally:
                REGISTRY.plugin_manager.unregister(observer)
            made.append(third)
            rate_limited = [
                attempt for code, attempt in failed_attempts if code is ErrorCode.RATE_LIMIT_ERROR
            ]
            assert len(rate_limited) == 2
            if key is not None:
                assert rate_limited == [1, 2], "one handle call, retried twice"
            if key is not None:
                assert handle.spawn(options(2, key)).id == third.id, "the retried spawn is idempotent"
            expected = {i.id: i.status for i in handle.list_instances(mine)} | {i.id: i.status for i in made}
            report = handle.reconcile(expected)
        # Managed instances of other tests sharing the test double are real, not the injected orphan.
        real = {i.id for i in handle.list_instances()}
        drift = {d.kind: [x.instance_id for x in report.drift if x.kind is d.kind] for d in report.drift}
        assert len(drift.get(DriftKind.MISSING, [])) == 1, report
        assert drift[DriftKind.MISSING][0] in {i.id for i in made}
        injected = [i for i in drift.get(DriftKind.UNEXPECTED, []) if i not in real]
        assert len(injected) == 1, report
        assert injected[0] not in {i.id for i in made}
        assert {i.id for i in handle.list_instances(mine)} == {i.id for i in made}, "chaos is off again"
    finally:
        for instance in made:
            handle.terminate(instance.id)
    alive = [i.id for i in handle.list_instances(mine) if i.status not in GONE_STATUSES]
    assert alive == [], f"{handle.name} leaked {alive}"
    assert f"tok-{run}" not in caplog.text
