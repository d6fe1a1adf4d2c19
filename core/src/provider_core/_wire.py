"""Reading what a server sends, defensively: a total deadline per call, a bounded body, JSON that cannot
crash the reader, and every shape error in an answer turned into UNAVAILABLE (garbage from a server is a
transient failure of that server, never an INTERNAL bug of the provider)."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from provider_core._errors import ErrorCode, ProviderError

# More than any list of instances a cloud API pages back; a bigger answer is a server gone wrong.
MAX_BODY_BYTES = 32 * 1024 * 1024
# Longer than any provider's ids; httpx refuses URLs with far longer components (InvalidURL).
MAX_ID_LENGTH = 1024
# Integers a cloud API sends are counts, sizes and cents: beyond 64 bits they are junk, and turning
# them into floats later would raise OverflowError.
_MAX_INT = 2**63

# What code that picks a server's answer apart raises on an unexpected shape.
SHAPE_ERRORS = (
    TypeError,
    ValueError,
    KeyError,
    IndexError,
    AttributeError,
    OverflowError,
    RecursionError,
    UnicodeError,
)


class DeadlineExceeded(TimeoutError):
    """The whole call took longer than its deadline (a server trickling its answer)."""


class Deadline:
    """A point in time a call must finish by; checked between reads, so no read resets it."""

    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._end = clock() + seconds

    def remaining(self) -> float:
        """Seconds left (never below a millisecond, so it can be a socket timeout); raises when none."""
        left = self._end - self._clock()
        if left <= 0:
            raise DeadlineExceeded(f"no complete answer within {self.seconds:g}s")
        return max(left, 0.001)


def read_body(chunks: Iterable[bytes], deadline: Deadline, *, limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole body from a stream of chunks, within the deadline and the size limit.

    Raises DeadlineExceeded, or ValueError when the body is larger than limit.
    """
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        deadline.remaining()
        size += len(chunk)
        if size > limit:
            raise ValueError(f"the answer is larger than {limit} bytes")
        parts.append(chunk)
    deadline.remaining()
    return b"".join(parts)


def _bounded_int(text: str) -> int:
    number = int(text)
    if not -_MAX_INT <= number <= _MAX_INT:
        raise ValueError("an integer beyond 64 bits")
    return number


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e400: a float literal beyond range reads as inf
        raise ValueError("a number beyond the range of a float")
    return number


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def decode_json(raw: bytes | str) -> Any:
    """JSON from a server; ValueError for anything that is not plain, sane JSON (NaN, Infinity, integers
    beyond 64 bits, floats beyond range, invalid UTF-8, nesting deep enough to exhaust the stack)."""
    try:
        return json.loads(raw, parse_int=_bounded_int, parse_float=_finite_float, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None
    except UnicodeError:
        raise ValueError("the JSON is not valid UTF-8") from None


@contextmanager
def server_answer(provider: str, what: str) -> Iterator[None]:
    """Turn any shape error raised while reading a server's answer into UNAVAILABLE naming `what`."""
    try:
        yield
    except SHAPE_ERRORS as exc:
        raise ProviderError(
            ErrorCode.UNAVAILABLE,
            f"{what}: the answer had an unexpected shape ({type(exc).__name__})",
            provider=provider,
        ) from exc


def server_id(value: object, provider: str, what: str) -> str:
    """An id a server answered with, checked as an id; garbage from a server is UNAVAILABLE, not the
    INVALID_SPEC that path_segment gives a caller's bad id."""
    try:
        if not isinstance(value, str):
            raise ValueError
        path_segment(value, provider)
    except (ValueError, ProviderError):
        raise ProviderError(
            ErrorCode.UNAVAILABLE, f"{what} answered without a usable id", provider=provider
        ) from None
    return value


def path_segment(value: str, provider: str) -> str:
    """value as one URL path segment that cannot escape its place; INVALID_SPEC for an id no API has
    (too long, NUL, or text that is not Unicode, such as a lone surrogate)."""
    try:
        if not isinstance(value, str) or not value or "\x00" in value or len(value) > MAX_ID_LENGTH:
            raise ValueError
        return quote(value, safe="")
    except (ValueError, UnicodeError):
        shown = value[:40] + "..." if isinstance(value, str) and len(value) > 40 else value
        raise ProviderError(
            ErrorCode.INVALID_SPEC,
            f"{shown!r} is not an id: ids are 1 to {MAX_ID_LENGTH} characters of text",
            provider=provider,
        ) from None
