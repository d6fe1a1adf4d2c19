"""Client-side rate limiting learned from RateLimit-Policy, RateLimit and Retry-After."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from provider_core import ErrorCode, ProviderError
from provider_core.author import ARRIVAL_LATENESS, MAX_SERVER_WAIT
from provider_runpod import RunPodProvider
from provider_runpod._ratelimit import RateLimiter, parse_structured_list
from provider_runpod.testing import Emulator
from tests.fake_clock import FakeClock
from tests.late_arrival import arrival_gap


def test_structured_lists_parse() -> None:
    parsed = parse_structured_list('"minute";q=60;w=60, "hour";q=3000;w=3600, "day";q=50000;w=86400')
    assert parsed == {
        "minute": {"q": 60, "w": 60},
        "hour": {"q": 3000, "w": 3600},
        "day": {"q": 50000, "w": 86400},
    }
    assert parse_structured_list('"minute";r=0;t=12, garbage;;x') == {
        "minute": {"r": 0, "t": 12},
        "garbage": {},
    }


def test_limiter_paces_to_the_learned_quota(clock: FakeClock) -> None:
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    limiter.observe({"ratelimit-policy": '"minute";q=2;w=10'}, 200)
    assert limiter.policies == {"minute": (2, 10.0)}
    limiter.answered(limiter.acquire())
    limiter.answered(limiter.acquire())
    assert clock.sleeps == []
    limiter.acquire()  # the third in the window waits for the first to age out
    assert clock.sleeps == [10.0]


@pytest.mark.parametrize(
    ("answer_after", "counted_from"),
    [(0.05, 0.05), (3.0, ARRIVAL_LATENESS)],
    ids=["a quick answer: from the answer", "a slow answer: from the latest arrival"],
)
def test_a_request_counts_from_when_it_reached_the_server_at_the_latest(
    clock: FakeClock, answer_after: float, counted_from: float
) -> None:
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    limiter.observe({"ratelimit-policy": '"minute";q=2;w=10'}, 200)
    start = clock.now
    first = limiter.acquire()
    clock.now += answer_after
    limiter.answered(first)
    limiter.answered(limiter.acquire())
    limiter.acquire()  # the third waits for the first to age out
    assert clock.now - start == pytest.approx(counted_from + 10.0)


def test_requests_reach_the_server_a_window_apart_however_late_they_leave() -> None:
    """The first request's thread runs late between its slot and the server (a loaded machine): the
    request that waits for it to leave the window still arrives a full window after it."""
    window, late = 0.1, 0.03
    limiter = RateLimiter()
    limiter.observe({"ratelimit-policy": f'"w";q=1;w={window}'}, 200)

    @contextmanager
    def slot() -> Iterator[None]:
        sent = limiter.acquire()
        try:
            yield
        finally:
            limiter.answered(sent)

    assert arrival_gap(slot, late) >= window


def test_remaining_zero_and_retry_after_pause_every_request(clock: FakeClock) -> None:
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    limiter.observe({"ratelimit": '"minute";r=0;t=7'}, 200)
    limiter.acquire()
    assert clock.sleeps == [7.0]
    assert limiter.observe({"retry-after": "4"}, 429) == 4
    limiter.acquire()
    assert clock.sleeps == [7.0, 4.0]


def test_retry_after_as_an_http_date_pauses_too(clock: FakeClock) -> None:
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    waited = limiter.observe({"retry-after": later}, 429)
    assert waited is not None
    assert 10 < waited <= 20  # the date has whole seconds, and a slow machine may be a few behind
    limiter.acquire()
    assert clock.sleeps == [pytest.approx(waited)]
    assert limiter.observe({"retry-after": "soon"}, 429) is None


def test_a_wait_longer_than_max_wait_fails_fast(clock: FakeClock) -> None:
    limiter = RateLimiter(clock=clock, sleep=clock.sleep, max_wait=5)
    limiter.observe({"retry-after": "120"}, 429)
    with pytest.raises(ProviderError) as caught:
        limiter.acquire()
    assert caught.value.code is ErrorCode.RATE_LIMIT_ERROR
    assert caught.value.retry_after == 120
    assert clock.sleeps == []


def test_provider_adapts_to_the_servers_policy(
    provider: RunPodProvider, emulator: Emulator, clock: FakeClock
) -> None:
    emulator.set_rate_limit(3, window=20)
    for _ in range(7):
        provider.list_instances()
    # Learned from the first answer: never a 429, and it waited out each full window.
    assert [e.status for e in emulator.exchanges] == [200] * 7
    assert provider.limiter.policies == {"minute": (3, 20.0)}
    assert sum(clock.sleeps) >= 40


def test_provider_honours_retry_after_before_its_next_request(
    make_provider: Callable[..., RunPodProvider], emulator: Emulator, clock: FakeClock
) -> None:
    emulator.set_rate_limit(1, window=15)
    make_provider().list_instances()
    provider = make_provider()
    with pytest.raises(ProviderError):
        provider.list_instances()
    provider.list_instances()  # waits the 15 s it was told, then succeeds
    assert clock.sleeps[-1] == pytest.approx(15)
    assert [e.status for e in emulator.exchanges] == [200, 429, 200]


@pytest.mark.parametrize(
    "headers",
    [
        {"retry-after": "1e400"},
        {"retry-after": "Fri, 31 Dec 9999 23:59:59 GMT"},
        {"ratelimit": '"minute";r=0;t=1e400'},
        {"ratelimit": '"minute";r=0;t=' + "9" * 400},
        {"ratelimit-policy": '"forever";q=1;w=' + "9" * 400},
        {"ratelimit-policy": '"many";q=' + "9" * 400 + ";w=60"},
    ],
)
def test_a_hostile_wait_cannot_poison_the_limiter(clock: FakeClock, headers: dict[str, str]) -> None:
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    limiter.observe(headers, 429)
    waits: list[float | None] = []
    try:
        limiter.acquire()
    except ProviderError as exc:
        waits.append(exc.retry_after)
    # The wait the server asked for is honoured only up to the core's cap: never "retry after inf s".
    assert all(w is not None and 0 < w <= MAX_SERVER_WAIT for w in waits)
    clock.sleep(MAX_SERVER_WAIT)
    limiter.acquire()
    limiter.acquire()  # a learned policy of q=1 over an endless window would block this one for ever
