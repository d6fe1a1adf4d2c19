"""Idempotent spawn without a server token: the idempotency tag is looked up before and after launch.

Through a handle: the core puts the key's tag on the launch, the provider looks it up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from provider_core import ErrorCode, ProviderError, ProviderHandle, RetryPolicy, SpawnOptions, retry
from provider_core.author import IDEMPOTENCY_TAG
from provider_lambda.testing import LambdaEmulator

OPTIONS = SpawnOptions(name="job", instance_type="gpu_1x_a10", idempotency_key="job-42")
LIST = "/api/v1/instances"


def no_sleep(_: float) -> None:
    return None


def test_same_key_returns_the_same_instance(handle: ProviderHandle, emulator: LambdaEmulator) -> None:
    first = handle.spawn(OPTIONS)
    second = handle.spawn(OPTIONS)
    assert second.id == first.id
    assert second.tags[IDEMPOTENCY_TAG] == "job-42"
    assert emulator.launches == 1
    third = handle.spawn(SpawnOptions(name="job", instance_type="gpu_1x_a10", idempotency_key="job-43"))
    assert third.id != first.id
    assert emulator.launches == 2


def test_concurrent_spawns_with_one_key_launch_once(handle: ProviderHandle, emulator: LambdaEmulator) -> None:
    # Every answer is slow, so without serialisation all lookups finish before any launch is seen.
    emulator.latency = 0.05
    workers = 6
    start = threading.Barrier(workers)

    def spawn(_: int) -> str:
        start.wait()
        return handle.spawn(OPTIONS).id

    with ThreadPoolExecutor(workers) as pool:
        ids = set(pool.map(spawn, range(workers)))
    assert emulator.launches == 1
    assert ids == {i["id"] for i in emulator.snapshot()}
    assert len(ids) == 1


def test_launch_that_created_then_answered_500_returns_the_created_instance(
    handle: ProviderHandle, emulator: LambdaEmulator
) -> None:
    emulator.create_then_fail(500)
    instance = handle.spawn(OPTIONS)
    assert emulator.launches == 1
    assert [i["id"] for i in emulator.snapshot()] == [instance.id]
    assert handle.spawn(OPTIONS).id == instance.id
    assert emulator.launches == 1


def test_launch_that_created_then_timed_out_returns_the_created_instance(
    make_handle: Callable[..., ProviderHandle], emulator: LambdaEmulator
) -> None:
    handle = make_handle(timeout=0.2)
    emulator.create_then_fail(500, delay=2.0)
    instance = handle.spawn(OPTIONS)
    assert emulator.launches == 1
    assert [i["id"] for i in emulator.snapshot()] == [instance.id]


def test_retry_after_unknown_outcome_and_failed_lookup_finds_the_instance(
    handle: ProviderHandle, emulator: LambdaEmulator
) -> None:
    emulator.create_then_fail(502)
    # The lookup before the launch passes; the one after the failed launch fails as well.
    emulator.fail(503, "provider/internal-unavailable", operation="listInstances", after=1)
    calls = 0

    def spawn() -> str:
        nonlocal calls
        calls += 1
        return handle.spawn(OPTIONS).id

    instance_id = retry(spawn, RetryPolicy(max_attempts=3), sleep=no_sleep)
    assert calls == 2
    assert emulator.launches == 1
    assert [i["id"] for i in emulator.snapshot()] == [instance_id]


def test_launch_that_failed_without_creating_is_unavailable_and_the_retry_launches_once(
    handle: ProviderHandle, emulator: LambdaEmulator
) -> None:
    emulator.fail(500, operation="launchInstance")
    with pytest.raises(ProviderError) as caught:
        handle.spawn(OPTIONS)
    assert caught.value.code is ErrorCode.UNAVAILABLE
    assert emulator.launches == 0
    handle.spawn(OPTIONS)
    assert emulator.launches == 1


def test_without_a_key_an_unknown_outcome_is_reported_not_guessed(
    handle: ProviderHandle, emulator: LambdaEmulator
) -> None:
    emulator.create_then_fail(500)
    with pytest.raises(ProviderError) as caught:
        handle.spawn(SpawnOptions(name="job", instance_type="gpu_1x_a10"))
    assert caught.value.code is ErrorCode.UNAVAILABLE
    assert [e.target for e in emulator.exchanges].count(LIST) == 0


def test_definite_launch_errors_are_not_followed_by_a_lookup(
    handle: ProviderHandle, emulator: LambdaEmulator
) -> None:
    emulator.fail(400, "instance-operations/launch/insufficient-capacity", operation="launchInstance")
    with pytest.raises(ProviderError) as caught:
        handle.spawn(OPTIONS)
    assert caught.value.code is ErrorCode.CAPACITY_ERROR
    # Only the lookup before the launch.
    assert [e.target for e in emulator.exchanges].count(LIST) == 1
