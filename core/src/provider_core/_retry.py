"""Retries driven by the taxonomy: exponential backoff with full jitter, honouring retry_after."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import TypeVar

from attrs import field, frozen

from provider_core import _validate as v
from provider_core._errors import ErrorCode, ProviderError

T = TypeVar("T")

# The attempt number of the call in progress (1 for a first attempt), for wrappers that trace retries.
_ATTEMPT: ContextVar[int] = ContextVar("provider_core_attempt", default=1)


def current_attempt() -> int:
    """Which attempt of a retried call is running (1 outside retry())."""
    return _ATTEMPT.get()


@frozen
class RetryPolicy:
    max_attempts: int = field(default=5, validator=v.positive(whole=True))
    base_delay: float = field(default=0.5, validator=v.positive())
    max_delay: float = field(default=30.0, validator=v.positive())
    # Seconds from the first attempt after which no further retry starts.
    max_total: float = field(default=120.0, validator=v.positive())

    def backoff(self, retry_number: int, rng: Callable[[], float]) -> float:
        """Full jitter: uniform in [0, min(max_delay, base_delay * 2**retry_number)]."""
        ceiling: float = min(self.max_delay, self.base_delay * 2**retry_number)
        return rng() * ceiling


def retry(
    call: Callable[[], T],
    policy: RetryPolicy = RetryPolicy(),
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rng: Callable[[], float] = random.random,
    on_retry: Callable[[ProviderError, float], None] | None = None,
) -> T:
    """Call until it succeeds, a non-retryable ProviderError occurs, or the policy's bounds are reached.

    The last error is re-raised unchanged. A retry_after from the provider is a floor on the delay.
    """
    started = clock()
    for attempt in range(policy.max_attempts):
        token = _ATTEMPT.set(attempt + 1)
        try:
            return call()
        except ProviderError as exc:
            if not exc.retryable or attempt + 1 >= policy.max_attempts:
                raise
            delay = policy.backoff(attempt, rng)
            if exc.retry_after is not None:
                delay = max(delay, exc.retry_after)
            if clock() - started + delay > policy.max_total:
                raise
            if on_retry is not None:
                on_retry(exc, delay)
        finally:
            _ATTEMPT.reset(token)
        sleep(delay)
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


def call_with_timeout(call: Callable[[], T], timeout: float, *, provider: str) -> T:
    """Run call in a worker thread; past timeout seconds raise UNAVAILABLE and leave the thread behind."""
    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as exc:
            failure.append(exc)

    worker = threading.Thread(target=run, name=f"provider-call-{provider}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise ProviderError(ErrorCode.UNAVAILABLE, f"call timed out after {timeout:g}s", provider=provider)
    if failure:
        raise failure[0]
    return outcome[0]
