"""Time that moves only when someone sleeps: pacing and backoff become exact and instantaneous."""

from __future__ import annotations


class FakeClock:
    """Call it for the time (a monotonic clock); pass `.sleep` where code would sleep."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
