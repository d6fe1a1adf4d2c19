"""When a paced request counts: rate limits count requests as they reach the server, a client only knows
when they left and when their answers came back."""

from __future__ import annotations

import threading
from collections.abc import Callable

# How late a request that took its pacing slot may reach the server: a thread scheduled late or a slow
# socket on a loaded machine takes milliseconds, far less than this.
ARRIVAL_LATENESS = 0.1


class PacedRequest:
    """One paced request: when it left, when its answer came back, and so when it counts from.

    It counts from the latest moment it can have reached the server. That is its answer, when that came
    back within ARRIVAL_LATENESS of leaving: the server saw the request before answering, so a request
    spaced from this reaches it a full interval later however late either thread ran. A slower answer is a
    slow server, not a late arrival (real launches take seconds): then, and while no answer is in, the
    request counts from ARRIVAL_LATENESS after it left.
    """

    __slots__ = ("_done", "answered_at", "sent")

    def __init__(self, sent: float) -> None:
        self.sent = sent
        self.answered_at: float | None = None
        self._done = threading.Event()

    def answer(self, at: float) -> None:
        """The answer (or the request's failure) came back at `at`."""
        self.answered_at = max(at, self.sent)
        self._done.set()

    @property
    def counts_from(self) -> float:
        latest = self.sent + ARRIVAL_LATENESS
        return latest if self.answered_at is None else min(self.answered_at, latest)

    def await_answer(self, clock: Callable[[], float]) -> None:
        """Wait (really: the answer comes from another thread) as long as an answer could still move
        counts_from earlier, that is until ARRIVAL_LATENESS after the request left."""
        self._done.wait(timeout=max(0.0, self.sent + ARRIVAL_LATENESS - clock()))
