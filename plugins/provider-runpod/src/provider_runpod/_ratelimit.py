"""Client-side rate limiting that learns its limits from the server's RateLimit headers.

RunPod v2 sends `RateLimit-Policy: "minute";q=60;w=60, ...` (quota per window), `RateLimit:
"minute";r=0;t=12, ...` (remaining and seconds to reset) and, on 429, `Retry-After` (seconds, or
an HTTP date, which the core's parser also reads). The limiter keeps a sliding log per learned
window and holds requests back so the quota is not exceeded; a remaining count of zero or a
Retry-After pauses every request until the reset.

A request counts in the log from the latest moment it can have reached the server
(`PacedRequest.counts_from`): its answer when that came back quickly (the server counted it before
answering), else ARRIVAL_LATENESS after it left. A request that waits for an older one to leave the
window then reaches the server a full window after it, however late either thread ran (counting from
departures, a request that left a few milliseconds late could land in the same server window as the one
a window after it).
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping

from provider_core import ErrorCode, ProviderError
from provider_core.author import PacedRequest, SharedBudget, cap_wait, parse_retry_after
from provider_runpod._errors import PROVIDER

_MAX_QUOTA = 1_000_000
_MAX_WINDOW = 86_400.0
_PARAM = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(-?\d+(?:\.\d+)?)\s*$")


def parse_structured_list(value: str) -> dict[str, dict[str, float]]:
    """`"minute";q=60;w=60, "hour";q=3000;w=3600` -> {"minute": {"q": 60, "w": 60}, ...}.

    Members that do not parse are skipped: a malformed header must never break a request.
    """
    members: dict[str, dict[str, float]] = {}
    for member in value.split(","):
        name, *params = member.split(";")
        name = name.strip().strip('"')
        if not name:
            continue
        parsed: dict[str, float] = {}
        for param in params:
            match = _PARAM.match(param)
            if match:
                parsed[match.group(1)] = float(match.group(2))
        members[name] = parsed
    return members


class RateLimiter:
    """Thread-safe; `clock` and `sleep` are injectable so tests need no real waiting."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float = 30.0,
        shared: SharedBudget | None = None,
    ) -> None:
        self._clock = clock
        # With a spawn journal: the account's budget, shared with every process using the journal.
        self._shared = shared
        self._sleep = sleep
        self._max_wait = max_wait
        self._lock = threading.Lock()
        # window name -> (quota, window seconds, the requests within the window, oldest first)
        self._windows: dict[str, tuple[int, float, deque[PacedRequest]]] = {}
        self._not_before = 0.0

    @property
    def policies(self) -> dict[str, tuple[int, float]]:
        with self._lock:
            return {name: (quota, width) for name, (quota, width, _) in self._windows.items()}

    def acquire(self) -> PacedRequest:
        """Wait until a request may be sent, then count it; past max_wait raise RATE_LIMIT_ERROR. Hand the
        result to answered() when the request's answer (or its failure) is in."""
        while True:
            with self._lock:
                now = self._clock()
                wait = self._wait_needed(now)
                if wait <= 0:
                    request = PacedRequest(now)
                    for *_, sent in self._windows.values():
                        sent.append(request)
                    break
            if wait > self._max_wait:
                raise ProviderError(
                    ErrorCode.RATE_LIMIT_ERROR,
                    f"client-side rate limit: next request allowed in {wait:.1f}s",
                    provider=PROVIDER,
                    retry_after=wait,
                )
            self._sleep(wait)
        policies = self.policies
        if self._shared is not None and policies:
            # The strictest learned window as a steady pace, shared across processes.
            self._shared.intervals["request"] = max(width / quota for quota, width in policies.values())
            self._shared.acquire("request")
        return request

    def answered(self, request: PacedRequest) -> None:
        """The request's answer (or its failure) came back."""
        with self._lock:
            request.answer(self._clock())

    def _wait_needed(self, now: float) -> float:
        wait = self._not_before - now
        for quota, width, sent in self._windows.values():
            while sent and sent[0].counts_from <= now - width:
                sent.popleft()
            if len(sent) >= quota:
                wait = max(wait, sent[0].counts_from + width - now)
        return wait

    def observe(self, headers: Mapping[str, str], status: int) -> float | None:
        """Learn from a response's headers; returns the Retry-After seconds of a 429, if any."""
        policy = headers.get("ratelimit-policy")
        state = headers.get("ratelimit")
        retry_after = parse_retry_after(headers.get("retry-after")) if status == 429 else None
        with self._lock:
            now = self._clock()
            if policy:
                self._learn_policy(parse_structured_list(policy))
            if state:
                for params in parse_structured_list(state).values():
                    reset = cap_wait(params["t"]) if "t" in params else None
                    if params.get("r", 1) <= 0 and reset is not None:
                        self._not_before = max(self._not_before, now + reset)
            if retry_after is not None:
                self._not_before = max(self._not_before, now + retry_after)
        return retry_after

    def _learn_policy(self, members: Mapping[str, Mapping[str, float]]) -> None:
        for name, params in members.items():
            quota, width = params.get("q"), params.get("w")
            # A window longer than a day (the longest RunPod documents) or a quota too large to count would
            # turn one hostile header into a limit no request passes (or an OverflowError): ignored.
            if quota is None or width is None or not (1 <= quota <= _MAX_QUOTA and 0 < width <= _MAX_WINDOW):
                continue
            current = self._windows.get(name)
            if current is not None and current[:2] == (int(quota), width):
                continue
            sent = current[2] if current is not None else deque()
            self._windows[name] = (int(quota), width, deque(sent, maxlen=int(quota)))
