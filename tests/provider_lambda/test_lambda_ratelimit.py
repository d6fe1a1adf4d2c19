"""Client-side pacing: documented defaults, exact spacing on a fake clock, bulk spawn without 429s."""

from __future__ import annotations

import threading

import pytest

from provider_core import ErrorCode, ProviderError, SpawnOptions
from provider_lambda import RateLimiter
from provider_lambda._ratelimit import LAUNCH, MARGIN, REQUEST
from provider_lambda.testing import settings_for
from tests.fake_clock import FakeClock
from tests.provider_lambda.conftest import build_provider, checked_emulator


def limiter(clock: FakeClock, request: float = 1.0, launch: float = 12.0) -> RateLimiter:
    return RateLimiter({REQUEST: request, LAUNCH: launch}, clock=clock, sleep=clock.sleep)


def test_defaults_follow_the_documented_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAMBDA_API_KEY", raising=False)
    provider = build_provider({})
    assert provider.limiter.intervals == {REQUEST: 1.0, LAUNCH: 12.0}
    configured = build_provider({"request_interval": "0.5", "launch_interval": 3})
    assert configured.limiter.intervals == {REQUEST: 0.5, LAUNCH: 3.0}


def test_requests_are_spaced_by_the_interval(fake_clock: FakeClock) -> None:
    pacing = limiter(fake_clock)
    for _ in range(4):
        pacing.acquire(REQUEST)
    assert fake_clock.sleeps == pytest.approx([1.0 + MARGIN] * 3)


def test_launches_wait_for_both_buckets(fake_clock: FakeClock) -> None:
    pacing = limiter(fake_clock)
    pacing.acquire(REQUEST, LAUNCH)
    pacing.acquire(REQUEST)  # a general request only waits for the general bucket
    pacing.acquire(REQUEST, LAUNCH)
    # The second launch waits for the launch bucket, counted from the first launch.
    assert fake_clock.sleeps == pytest.approx([1.0 + MARGIN, 12.0 * (1 + MARGIN) - (1.0 + MARGIN)])


def test_time_already_passed_counts(fake_clock: FakeClock) -> None:
    pacing = limiter(fake_clock)
    pacing.acquire(REQUEST, LAUNCH)
    fake_clock.now += 20
    assert pacing.acquire(REQUEST, LAUNCH) == 0
    assert fake_clock.sleeps == []


def test_concurrent_callers_get_distinct_slots() -> None:
    clock = FakeClock()
    slept: list[float] = []
    lock = threading.Lock()

    def sleep(seconds: float) -> None:
        with lock:
            slept.append(seconds)

    pacing = RateLimiter({REQUEST: 1.0}, clock=clock, sleep=sleep)
    threads = [threading.Thread(target=pacing.acquire, args=(REQUEST,)) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(slept) == pytest.approx([n * (1 + MARGIN) for n in (1, 2, 3, 4)])


def test_bulk_spawn_paces_itself_against_an_api_that_enforces_the_limits(fake_clock: FakeClock) -> None:
    with checked_emulator(clock=fake_clock) as emulator:
        emulator.enforce_limits(request_interval=1.0, launch_interval=12.0)
        provider = build_provider(settings_for(emulator, request_interval=None), limiter=limiter(fake_clock))
        try:
            for n in range(3):
                provider.spawn(SpawnOptions(name=f"bulk-{n}", instance_type="gpu_1x_a10"))
        finally:
            provider.close()
        assert emulator.launches == 3
        assert emulator.throttled == 0
        # Three launches 12 s apart: the pacing, not the server, spread them out.
        assert sum(fake_clock.sleeps) >= 24.0


def test_without_pacing_the_same_spawn_is_throttled(fake_clock: FakeClock) -> None:
    with checked_emulator(clock=fake_clock) as emulator:
        emulator.enforce_limits(request_interval=1.0, launch_interval=12.0)
        provider = build_provider(settings_for(emulator))
        try:
            # The launch follows the instance-types check at once: the API throttles it.
            with pytest.raises(ProviderError) as caught:
                provider.spawn(SpawnOptions(name="bulk-0", instance_type="gpu_1x_a10"))
        finally:
            provider.close()
        assert caught.value.code is ErrorCode.RATE_LIMIT_ERROR
        assert caught.value.retry_after is not None
        assert emulator.throttled == 1


def test_the_next_slot_counts_from_when_a_late_call_left(fake_clock: FakeClock) -> None:
    def late_sleep(seconds: float) -> None:
        fake_clock.sleep(seconds + 0.5)  # woken half a second late, as a loaded machine does

    pacing = RateLimiter({REQUEST: 1.0}, clock=fake_clock, sleep=late_sleep)
    pacing.acquire(REQUEST)
    pacing.acquire(REQUEST)  # leaves at 1.55 instead of 1.05
    assert pacing.acquire(REQUEST) == pytest.approx(1.0 + MARGIN)  # not 0.55: the gap stays a full interval
