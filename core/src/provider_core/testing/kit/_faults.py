"""Injected failures: what to answer instead (or whether to answer at all), for which requests."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from provider_core.testing.kit._app import Request


@dataclass(frozen=True)
class Fault:
    """An answer that replaces the emulator's for the next `times` matching requests.

    A request matches when its method equals `method`, its raw path fully matches the regular
    expression `path` and `when(request)` holds; an unset criterion matches anything.
    """

    status: int = 500
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    method: str | None = None
    path: str | None = None
    when: Callable[[Request], bool] | None = None
    times: int = 1
    # Matching requests let through before the fault starts answering.
    after: int = 0
    # Seconds to wait before answering (or before dropping the connection).
    delay: float = 0.0
    # Close the connection without answering: the client cannot tell whether the request happened.
    drop: bool = False
    # The body is deliberately off the API's contract (an HTML error page, a truncated document);
    # the exchange is recorded as off_spec so contract checks leave it alone.
    malformed: bool = False
    # The request reaches the emulator first and the fault replaces its answer only if the request
    # took effect: a created resource whose confirmation never arrived. A refused request leaves the
    # fault queued.
    after_effect: bool = False

    def __post_init__(self) -> None:
        if self.times < 1 or self.after < 0 or self.delay < 0:
            raise ValueError(f"a fault needs times >= 1, after >= 0 and delay >= 0: {self!r}")

    def matches(self, request: Request) -> bool:
        return (
            (self.method is None or self.method == request.method)
            and (self.path is None or re.fullmatch(self.path, request.path) is not None)
            and (self.when is None or self.when(request))
        )


@dataclass
class _Queued:
    fault: Fault
    uses_left: int
    passes_left: int


class FaultQueue:
    """Faults in the order they were added; each request takes the first one that matches. Thread-safe."""

    def __init__(self) -> None:
        self._queued: list[_Queued] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._queued.append(_Queued(fault, fault.times, fault.after))

    def take(self, request: Request, *, after_effect: bool) -> Fault | None:
        """The fault answering this request, or None. Only faults whose `after_effect` equals the
        argument are considered: the emulator asks once before handling and once after a success."""
        with self._lock:
            for queued in self._queued:
                if queued.fault.after_effect != after_effect or not queued.fault.matches(request):
                    continue
                if queued.passes_left > 0:
                    queued.passes_left -= 1
                    return None
                queued.uses_left -= 1
                if queued.uses_left == 0:
                    self._queued.remove(queued)
                return queued.fault
        return None

    def pending(self) -> list[Fault]:
        """The faults still queued, in order."""
        with self._lock:
            return [queued.fault for queued in self._queued]

    def clear(self) -> None:
        with self._lock:
            self._queued.clear()
