"""Two paced calls where the first runs late between taking its slot and reaching the server, as a thread
does on a loaded machine: how far apart they reached it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager


def arrival_gap(slot: Callable[[], AbstractContextManager[object]], late: float) -> float:
    """slot() paces one call (its with block is the call, until the answer is in)."""
    arrivals: list[float] = []
    first_has_slot = threading.Event()

    def first() -> None:
        with slot():
            first_has_slot.set()
            time.sleep(late)
            arrivals.append(time.monotonic())

    def second() -> None:
        first_has_slot.wait()
        with slot():
            arrivals.append(time.monotonic())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return arrivals[1] - arrivals[0]
