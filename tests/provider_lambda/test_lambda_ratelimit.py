"""Client-side pacing: documented defaults, spacing counted from answers, bulk spawn without 429s."""

from __future__ import annotations

import threading
import time

import pytest

from provider_core import ErrorCode, ProviderError, SpawnOptions
from provider_core.author import ARRIVAL_LATENESS
from provider_lambda import RateLimiter
from provider_lambda._ratelimit import LAUNCH, REQUEST
from provider_lambda.testing import settings_for
from tests.fake_clock import FakeClock
from tests.late_arrival import arrival_gap
from tests.provider_lambda.conftest import build_provider, checked_emulator


def limiter(clock: FakeClock, request: float = 1.0, launch: float = 12.0) -> RateLimiter:
    return RateLimiter({REQUEST: request, LAUNCH: launch}, clock=clock, sleep=clock.sleep)


def test_defaults_follow_the_documented_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAMBDA_API_KEY", raising=False)
    provider = build_provider({})
    assert provider.limiter.intervals == {REQUEST: 1.0, LAUNCH: 12.0}
    configured = build_provider({"request_interval": "0.5", "launch_interval": 3})
    assert configured.limiter.intervals == {REQUEST: 0.5, LAUNCH: 3.0}


def call(pacing: RateLimiter, *buckets: str, takes: float = 0.0, clock: FakeClock | None = None) -> float:
    """One paced call whose answer comes `takes` seconds after it left; returns the seconds waited."""
    with pacing.slot(*buckets) as waited:
        if clock is not None:
            clock.now += takes
    return waited


def test_requests_are_spaced_by_the_interval(fake_clock: FakeClock) -> None:
    pacing = limiter(fake_clock)
    for _ in range(4):
        call(pacing, REQUEST)
    assert fake_clock.sleeps == pytest.approx([1.0] * 3)


def test_the_next_call_counts_from_the_previous_answer(fake_clock: FakeClock) -> None:
    pacing = limiter(fake_clock)
    call(pacing, REQUEST, takes=0.04, clock=fake_clock)  # left at 0, answered at 0.04
    assert call(pacing, REQUEST) == pytest.approx(1.0)  # leaves at 1.04, not 1.0


def test_a_slow_answer_counts_from_the_latest_arrival_not_from_the_answer(fake_clock: FakeClock) -> None:
    pacing = limiter(fake_clock)
    call(pacing, REQUEST, takes=3.0, clock=fake_clock)  # a launch the server took 3 s to answer
    fake_clock.sleeps.clear()
    call(pacing, REQUEST)
    # It reached the server by 0 + ARRIVAL_LATENESS: the next may leave at 1.1, which is already past.
    assert fake_clock.sleeps == []


def test_launches_wait_for_both_buckets(fake_clock: FakeClock) -> None:
    pacing = limiter(fake_clock)
    call(pacing, REQUEST, LAUNCH)
    call(pacing, REQUEST)  # a general request only waits for the general bucket
    call(pacing, REQUEST, LAUNCH)
    # The second launch waits for the launch bucket, counted from the first launch's answer.
    assert fake_clock.sleeps == pytest.approx([1.0, 12.0 - 1.0])


def test_time_already_passed_counts(fake_clock: FakeClock) -> None:
    pacing = limiter(fake_clock)
    call(pacing, REQUEST, LAUNCH)
    fake_clock.now += 20
    assert call(pacing, REQUEST, LAUNCH) == 0
    assert fake_clock.sleeps == []


def test_concurrent_callers_get_distinct_slots() -> None:
    clock = FakeClock()
    slept: list[float] = []
    lock = threading.Lock()

    def sleep(seconds: float) -> None:
        with lock:
            slept.append(seconds)

    pacing = RateLimiter({REQUEST: 1.0}, clock=clock, sleep=sleep)
    threads = [threading.Thread(target=call, args=(pacing, REQUEST)) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(slept) == pytest.approx([1.0, 2.0, 3.0, 4.0])


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
    call(pacing, REQUEST)
    call(pacing, REQUEST)  # leaves at 1.5 instead of 1.0
    assert call(pacing, REQUEST) == pytest.approx(1.0)  # not 0.5: the gap stays a full interval


def test_calls_reach_the_server_an_interval_apart_however_late_they_leave() -> None:
    """The first call's thread runs late between its slot and the server (a loaded machine): the second
    still arrives a full interval after it, because its slot counts from the first call's answer."""
    interval, late = 0.05, 0.03
    pacing = RateLimiter({REQUEST: interval})
    assert arrival_gap(lambda: pacing.slot(REQUEST), late) >= interval


def test_an_answer_that_never_comes_holds_the_next_call_for_its_latest_arrival_only() -> None:
    interval = 0.05
    pacing = RateLimiter({REQUEST: interval})
    hung = pacing.slot(REQUEST)
    hung.__enter__()  # a call that never answers
    left = time.monotonic()
    with pacing.slot(REQUEST):
        waited = time.monotonic() - left
    assert (ARRIVAL_LATENESS + interval) * 0.9 <= waited < 2.0
    hung.__exit__(None, None, None)
