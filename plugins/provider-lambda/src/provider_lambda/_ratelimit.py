"""Client-side pacing, so a burst of calls waits its turn instead of collecting 429s."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from provider_core.author import ARRIVAL_LATENESS, counted_at

REQUEST = "request"
LAUNCH = "launch"


class _Call:
    """One paced call: when it left, and when its answer came back."""

    def __init__(self, sent: float) -> None:
        self.sent = sent
        self.answered_at: float | None = None
        self.done = threading.Event()


class RateLimiter:
    """Lets one call per bucket's interval reach the server, across threads, however late threads run.

    The next call in a bucket leaves one interval after the moment the previous call counts from
    (`counted_at`): its answer, when that came back quickly, since the server saw the request before
    answering, so the two reach it an interval apart even when the first left late (a thread scheduled
    late, a slow socket); for a slow answer (a launch can take seconds), ARRIVAL_LATENESS after it left.
    A margin on departures alone can be exceeded on a loaded machine. The cost is at most one round
    trip, and never more than ARRIVAL_LATENESS, per interval.

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
        self._last: dict[str, _Call] = {}
        self._lock = threading.Lock()

    @contextmanager
    def slot(self, *buckets: str) -> Iterator[float]:
        """Wait for a slot in every named bucket, then run the call in the with block (which ends
        when its answer is in); yields the seconds waited."""
        call, waited = self._take(buckets)
        try:
            yield waited
        finally:
            call.answered_at = max(self._clock(), call.sent)
            call.done.set()

    def _take(self, buckets: tuple[str, ...]) -> tuple[_Call, float]:
        with self._lock:
            now = self._clock()
            start = now
            for bucket in buckets:
                start = max(start, self._earliest(bucket))
            wait = max(0.0, start - self._clock())
            if wait > 0:
                self._sleep(wait)
            call = _Call(sent=max(start, self._clock()))
            for bucket in buckets:
                self._last[bucket] = call
        return call, max(0.0, start - now)

    def _earliest(self, bucket: str) -> float:
        last = self._last.get(bucket)
        if last is None:
            return float("-inf")
        # A real wait, outside the caller's clock: the answer comes from another thread. An answer later
        # than ARRIVAL_LATENESS would not change when the next call may leave.
        last.done.wait(timeout=max(0.0, last.sent + ARRIVAL_LATENESS - self._clock()))
        return counted_at(last.sent, last.answered_at) + self.intervals[bucket]
