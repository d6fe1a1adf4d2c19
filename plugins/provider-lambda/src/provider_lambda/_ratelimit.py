"""Client-side pacing, so a burst of calls waits its turn instead of collecting 429s."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

REQUEST = "request"
LAUNCH = "launch"


class RateLimiter:
    """Keeps calls in each bucket at least that bucket's interval apart, across threads.

    A caller reserves the earliest free slot under the lock and sleeps outside it, so concurrent
    callers queue up in order without holding the lock while they wait.
    """

    def __init__(
        self,
        intervals: Mapping[str, float],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.intervals = dict(intervals)
        self._clock = clock
        self._sleep = sleep
        self._next_free = dict.fromkeys(self.intervals, float("-inf"))
        self._lock = threading.Lock()

    def acquire(self, *buckets: str) -> float:
        """Wait until every named bucket allows a call, take the slot, and return the seconds waited."""
        with self._lock:
            now = self._clock()
            start = max([now, *(self._next_free[b] for b in buckets)])
            for bucket in buckets:
                self._next_free[bucket] = start + self.intervals[bucket]
        wait = start - now
        if wait > 0:
            self._sleep(wait)
        return wait
