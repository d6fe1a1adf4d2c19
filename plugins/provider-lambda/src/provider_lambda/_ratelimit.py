"""Client-side pacing, so a burst of calls waits its turn instead of collecting 429s."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

REQUEST = "request"
LAUNCH = "launch"
# Calls are spaced a little wider than the limit: a request that leaves a few milliseconds late (a thread
# scheduled late, a slow socket) must not arrive too close to the next one and be answered 429.
MARGIN = 0.05


class RateLimiter:
    """Keeps calls in each bucket at least that bucket's interval (plus MARGIN) apart, across threads.

    A caller waits for its slot holding the lock, so concurrent callers go one at a time, in order, and
    the next slot counts from when a call actually left, not from when it was reserved.
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
            wait = start - now
            if wait > 0:
                self._sleep(wait)
                start = max(start, self._clock())
            for bucket in buckets:
                self._next_free[bucket] = start + self.intervals[bucket] * (1 + MARGIN)
        return wait
