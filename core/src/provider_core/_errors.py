"""The error taxonomy: every failure a caller sees is a ProviderError with one of these codes."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, NamedTuple


class ErrorCode(StrEnum):
    CAPACITY_ERROR = "CAPACITY_ERROR"
    AUTH_ERROR = "AUTH_ERROR"
    RATE_LIMIT_ERROR = "RATE_LIMIT_ERROR"
    SPOT_INTERRUPTED = "SPOT_INTERRUPTED"
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
    INVALID_SPEC = "INVALID_SPEC"
    NOT_FOUND = "NOT_FOUND"
    UNAVAILABLE = "UNAVAILABLE"
    INTERNAL = "INTERNAL"


class ErrorCategory(StrEnum):
    CAPACITY = "capacity"
    AUTH = "auth"
    RATE_LIMIT = "rate_limit"
    VALIDATION = "validation"
    NOT_FOUND = "not_found"
    TRANSIENT = "transient"
    INTERNAL = "internal"


class TaxonomyEntry(NamedTuple):
    category: ErrorCategory
    retryable: bool
    meaning: str


# The one place the taxonomy lives; category, retryability and CLI hints all derive from it.
TAXONOMY: dict[ErrorCode, TaxonomyEntry] = {
    ErrorCode.CAPACITY_ERROR: TaxonomyEntry(ErrorCategory.CAPACITY, True, "no capacity at the provider"),
    ErrorCode.AUTH_ERROR: TaxonomyEntry(ErrorCategory.AUTH, False, "invalid or expired credentials"),
    ErrorCode.RATE_LIMIT_ERROR: TaxonomyEntry(ErrorCategory.RATE_LIMIT, True, "API throttling"),
    ErrorCode.SPOT_INTERRUPTED: TaxonomyEntry(ErrorCategory.CAPACITY, True, "spot instance reclaimed"),
    ErrorCode.QUOTA_EXCEEDED: TaxonomyEntry(ErrorCategory.CAPACITY, False, "account quota reached"),
    ErrorCode.INVALID_SPEC: TaxonomyEntry(ErrorCategory.VALIDATION, False, "spec not valid for provider"),
    ErrorCode.NOT_FOUND: TaxonomyEntry(ErrorCategory.NOT_FOUND, False, "resource does not exist"),
    ErrorCode.UNAVAILABLE: TaxonomyEntry(ErrorCategory.TRANSIENT, True, "5xx, timeout or connection failure"),
    ErrorCode.INTERNAL: TaxonomyEntry(ErrorCategory.INTERNAL, False, "an error the provider did not map"),
}


class ProviderError(Exception):
    """A failure at a provider, classified by the taxonomy; the only exception callers need to catch."""

    def __init__(
        self, code: ErrorCode | str, message: str, *, provider: str, retry_after: float | None = None
    ) -> None:
        self.code = ErrorCode(code)
        self.message = message
        self.provider = provider
        self.retry_after = retry_after
        super().__init__(str(self))

    @property
    def category(self) -> ErrorCategory:
        return TAXONOMY[self.code].category

    @property
    def retryable(self) -> bool:
        return TAXONOMY[self.code].retryable

    def __str__(self) -> str:
        after = f" (retry after {self.retry_after:g}s)" if self.retry_after is not None else ""
        return f"{self.code} [{self.provider}]: {self.message}{after}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code.value!r}, {self.message!r}, provider={self.provider!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only arguments defeat Exception's default pickling; errors cross process pools.
        return (_rebuild, (type(self), self.code, self.message, self.provider, self.retry_after))


def _rebuild(
    cls: type[ProviderError], code: ErrorCode, message: str, provider: str, retry_after: float | None
) -> ProviderError:
    return cls(code, message, provider=provider, retry_after=retry_after)


class CapabilityNotSupported(ProviderError):
    """A call or input needs a capability flag the provider does not declare."""

    def __init__(self, provider: str, flag: str, detail: str = "") -> None:
        self.flag = flag
        self.detail = detail
        what = f": {detail}" if detail else ""
        super().__init__(
            ErrorCode.INVALID_SPEC, f"capability '{flag}' is not supported{what}", provider=provider
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (CapabilityNotSupported, (self.provider, self.flag, self.detail))


def as_provider_error(exc: BaseException, provider: str) -> ProviderError:
    """Return exc unchanged when it is a ProviderError, else an INTERNAL one chained to it."""
    if isinstance(exc, ProviderError):
        return exc
    wrapped = ProviderError(ErrorCode.INTERNAL, f"{type(exc).__name__}: {exc}", provider=provider)
    wrapped.__cause__ = exc
    return wrapped


# The longest wait a server may impose. A longer one (`Retry-After: 1e400`, a year-9999 date, a huge
# RateLimit window) is junk or hostile: honouring it would stall every later call until the process ends.
MAX_SERVER_WAIT = 300.0


def cap_wait(seconds: float) -> float | None:
    """A server-supplied wait as seconds in [0, MAX_SERVER_WAIT]; None when it is not a number (NaN)."""
    if math.isnan(seconds):
        return None
    return min(max(0.0, seconds), MAX_SERVER_WAIT)


def parse_retry_after(value: object, *, now: datetime | None = None) -> float | None:
    """An HTTP Retry-After header as seconds (delta-seconds or an HTTP date), capped at MAX_SERVER_WAIT;
    None when absent or junk. Never raises: the value comes from a server."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return cap_wait(float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime  # only HTTP dates need it; keeps discovery light

    try:
        when = parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return cap_wait((when - (now or datetime.now(UTC))).total_seconds())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
