"""The retry helper: taxonomy-driven, full jitter, retry_after honoured, bounded by attempts and time."""

from __future__ import annotations

import pickle
import threading
from collections.abc import Callable

import pytest

from provider_core import (
    TAXONOMY,
    ErrorCategory,
    ErrorCode,
    ProviderError,
    RetryPolicy,
    call_with_timeout,
    retry,
)
from tests.fake_clock import FakeClock


def failing(codes: list[ErrorCode], retry_after: float | None = None) -> Callable[[], str]:
    remaining = list(codes)

    def call() -> str:
        if remaining:
            raise ProviderError(remaining.pop(0), "boom", provider="p", retry_after=retry_after)
        return "ok"

    return call


def test_retryable_errors_are_retried_with_exponential_full_jitter() -> None:
    time = FakeClock()
    codes = [ErrorCode.UNAVAILABLE, ErrorCode.CAPACITY_ERROR, ErrorCode.RATE_LIMIT_ERROR]
    policy = RetryPolicy(max_attempts=5, base_delay=1.0, max_delay=30.0)
    assert retry(failing(codes), policy, sleep=time.sleep, clock=time, rng=lambda: 1.0) == "ok"
    assert time.sleeps == [1.0, 2.0, 4.0]
    time = FakeClock()
    retry(failing(codes), policy, sleep=time.sleep, clock=time, rng=lambda: 0.5)
    assert time.sleeps == [0.5, 1.0, 2.0], "the delay is uniform below the exponential ceiling"


def test_delay_is_capped_by_max_delay() -> None:
    time = FakeClock()
    policy = RetryPolicy(max_attempts=6, base_delay=1.0, max_delay=3.0, max_total=1000)
    retry(failing([ErrorCode.UNAVAILABLE] * 5), policy, sleep=time.sleep, clock=time, rng=lambda: 1.0)
    assert time.sleeps == [1.0, 2.0, 3.0, 3.0, 3.0]


def test_retry_after_is_a_floor_on_the_delay() -> None:
    time = FakeClock()
    retry(
        failing([ErrorCode.RATE_LIMIT_ERROR], retry_after=7.5),
        sleep=time.sleep,
        clock=time,
        rng=lambda: 0.0,
    )
    assert time.sleeps == [7.5]


@pytest.mark.parametrize("code", [c for c, entry in TAXONOMY.items() if not entry.retryable])
def test_non_retryable_errors_are_raised_at_once(code: ErrorCode) -> None:
    time = FakeClock()
    with pytest.raises(ProviderError) as raised:
        retry(failing([code]), sleep=time.sleep, clock=time)
    assert raised.value.code is code
    assert time.sleeps == []


def test_attempts_are_bounded_and_the_last_error_is_raised() -> None:
    time = FakeClock()
    with pytest.raises(ProviderError, match="UNAVAILABLE"):
        retry(
            failing([ErrorCode.UNAVAILABLE] * 10),
            RetryPolicy(max_attempts=3),
            sleep=time.sleep,
            clock=time,
        )
    assert len(time.sleeps) == 2


def test_total_time_is_bounded() -> None:
    time = FakeClock()
    policy = RetryPolicy(max_attempts=100, base_delay=10.0, max_delay=10.0, max_total=25.0)
    with pytest.raises(ProviderError):
        retry(
            failing([ErrorCode.UNAVAILABLE] * 100),
            policy,
            sleep=time.sleep,
            clock=time,
            rng=lambda: 1.0,
        )
    assert time.sleeps == [10.0, 10.0], "a third wait would end past max_total"


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match=r"RetryPolicy\.max_attempts must be a positive whole number"):
        RetryPolicy(max_attempts=0)


def test_call_with_timeout_cuts_a_hang() -> None:
    release = threading.Event()
    with pytest.raises(ProviderError, match=r"timed out after 0\.05s") as raised:
        call_with_timeout(lambda: release.wait(30), 0.05, provider="p")
    release.set()
    assert raised.value.code is ErrorCode.UNAVAILABLE
    assert call_with_timeout(lambda: 42, 5, provider="p") == 42
    empty: dict[str, int] = {}
    with pytest.raises(KeyError):
        call_with_timeout(lambda: empty["missing"], 5, provider="p")


def test_the_taxonomy_table_matches_the_seed() -> None:
    expected = {
        "CAPACITY_ERROR": ("capacity", True),
        "AUTH_ERROR": ("auth", False),
        "RATE_LIMIT_ERROR": ("rate_limit", True),
        "SPOT_INTERRUPTED": ("capacity", True),
        "QUOTA_EXCEEDED": ("capacity", False),
        "INVALID_SPEC": ("validation", False),
        "NOT_FOUND": ("not_found", False),
        "UNAVAILABLE": ("transient", True),
        "INTERNAL": ("internal", False),
    }
    for code, (category, retryable) in expected.items():
        error = ProviderError(code, "m", provider="p")
        assert (error.category, error.retryable) == (ErrorCategory(category), retryable)


def test_errors_survive_pickling_for_process_pools() -> None:
    error = ProviderError(ErrorCode.RATE_LIMIT_ERROR, "slow down", provider="p", retry_after=2.0)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.code, copy.message, copy.provider, copy.retry_after) == (
        "RATE_LIMIT_ERROR",
        "slow down",
        "p",
        2.0,
    )
    assert str(copy) == "RATE_LIMIT_ERROR [p]: slow down (retry after 2s)"
