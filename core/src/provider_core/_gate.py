"""CallGate: which threads have calls in progress, so a handle's close() can wait for the others' calls.

Every call through a handle passes it twice, so entering and leaving take no lock: each thread writes
only its own key, and a dict item assignment is atomic under the GIL. close() polls with a short wait
instead of relying on a notification that a leaving thread could miss.
"""

from __future__ import annotations

import threading

_POLL_S = 0.01


class CallGate:
    def __init__(self) -> None:
        self._active: dict[int, int] = {}
        self._idle = threading.Condition(threading.Lock())
        self._waiting = 0

    def enter(self, thread: int) -> None:
        active = self._active
        active[thread] = active.get(thread, 0) + 1

    def leave(self, thread: int) -> None:
        active = self._active
        left = active[thread] - 1
        if left:
            active[thread] = left
        else:
            del active[thread]
        if self._waiting:
            with self._idle:
                self._idle.notify_all()

    def wait_for_others(self, thread: int) -> None:
        """Block until no thread but `thread` has a call in progress (its own calls may be on the stack)."""
        with self._idle:
            self._waiting += 1
            try:
                while len(self._active) - (thread in self._active) > 0:
                    self._idle.wait(_POLL_S)
            finally:
                self._waiting -= 1
