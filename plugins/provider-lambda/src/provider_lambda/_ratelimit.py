"""Client-side pacing, so a burst of calls waits its turn instead of collecting 429s."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from provider_core.author import PacedRequest

REQUEST = "request"
LAUNCH = "launch"


class RateLimiter:
    """Lets one call per bucket's interval reach the server, across threads, however late threads run.

    The next call in a bucket leaves one interval after the moment the previous call counts from
    (`PacedRequest.counts_from`): its answer, when that came back quickly, since the server saw the
    request before answering, so the two reach it an interval apart even when the first left late (a
    thread scheduled late, a slow socket); for a slow answer (a launch can take seconds), ARRIVAL_LATENESS
    after it left. A margin on departures alone can be exceeded on a loaded machine. The cost is at most
    one round trip, and never more than ARRIVAL_LATENESS, per interval.

    Callers queue for the lock, so they go one at a time, in order.
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
        self._last: dict[str, PacedRequest] = {}
        self._lock = threading.Lock()

    @contextmanager
    def slot(self, *buckets: str) -> Iterator[float]:
        """Wait for a slot in every named bucket, then run the call in the with block (which ends
        when its answer is in); yields the seconds waited."""
        call, waited = self._take(buckets)
        try:
            yield waited
        finally:
            call.answer(self._clock())

    def _take(self, buckets: tuple[str, ...]) -> tuple[PacedRequest, float]:
        with self._lock:
            now = self._clock()
            start = now
            for bucket in buckets:
                start = max(start, self._earliest(bucket))
            wait = max(0.0, start - self._clock())
            if wait > 0:
                self._sleep(wait)
            call = PacedRequest(max(start, self._clock()))
            for bucket in buckets:
                self._last[bucket] = call
        return call, max(0.0, start - now)

    def _earliest(self, bucket: str) -> float:
        last = self._last.get(bucket)
        if last is None:
            return float("-inf")
        last.await_answer(self._clock)
        return last.counts_from + self.intervals[bucket]
