"""RunPod failures to the provider-core taxonomy: one table, one function.

REST v2 answers errors as RFC 9457 problem+json; GraphQL answers HTTP 200 with an `errors` array.
GraphQL errors are first given the HTTP status they stand for, then go through the same table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from provider_core import ErrorCode, ProviderError

PROVIDER = "runpod"

# Capacity exhaustion has no machine-readable code of its own (v2 spec, createPod): only the text says
# so, and it comes with several statuses. This is the one place a message decides the code. Wordings
# seen from RunPod and reported by public clients (runpod-python users, SkyPilot, dstack and others):
# - "There are no longer any instances available with the requested specifications. ..." (REST v2 400
#   problem detail; GraphQL errors[].message in an HTTP 200)
# - "There are no longer any instances available with enough disk space." (GraphQL)
# - "create pod: There are no instances currently available" (REST, HTTP 500, body {"error": ...})
# - "create pod: This machine does not have the resources to deploy your pod. ..." (REST, HTTP 500)
# - "There are no resources to deploy for this request." (GraphQL)
NO_CAPACITY = re.compile(
    r"no (longer )?(any )?instances? (are )?(currently )?available"
    r"|does not have the resources to deploy"
    r"|no resources to deploy",
    re.IGNORECASE,
)
# GraphQL podTerminate on a missing pod: "pod not found to terminate".
_POD_NOT_FOUND = re.compile(r"^pod not found", re.IGNORECASE)
# createPod 403 is "your account cannot access the requested pool" (v2 spec): another GPU type, cloud
# or data center may work, so it is a capacity failure, not bad credentials.
CREATE_POD = "createPod"


class Rule(NamedTuple):
    statuses: range
    code: ErrorCode
    # The detail must match this for the row to apply.
    detail: re.Pattern[str] | None = None
    # The row needs a parsed error body: a bare 400 from a proxy is not the API rejecting the spec.
    needs_problem: bool = False
    # The row applies to this operation only (the `what` of the call, up to its first space).
    operation: str | None = None


_4XX = range(400, 500)

# First matching row wins.
ERROR_TABLE: tuple[Rule, ...] = (
    Rule(range(400, 600), ErrorCode.CAPACITY_ERROR, detail=NO_CAPACITY, needs_problem=True),
    Rule(range(401, 402), ErrorCode.AUTH_ERROR),
    Rule(range(402, 403), ErrorCode.QUOTA_EXCEEDED),  # insufficient balance
    Rule(range(403, 404), ErrorCode.CAPACITY_ERROR, operation=CREATE_POD),
    Rule(range(403, 404), ErrorCode.AUTH_ERROR),
    Rule(range(404, 405), ErrorCode.NOT_FOUND),
    Rule(range(429, 430), ErrorCode.RATE_LIMIT_ERROR),
    Rule(_4XX, ErrorCode.INVALID_SPEC, needs_problem=True),
)
# 5xx, anything unlisted, and error statuses without a problem body.
FALLBACK = ErrorCode.UNAVAILABLE

# GraphQL `extensions.code` to the HTTP status it stands for; errors without a known code are a
# rejection of the request (400).
GRAPHQL_STATUS: Mapping[str, int] = {
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "POD_NOT_FOUND": 404,
    "BAD_USER_INPUT": 400,
    "GRAPHQL_VALIDATION_FAILED": 400,
    "GRAPHQL_PARSE_FAILED": 400,
    "TOO_MANY_REQUESTS": 429,
    "RATE_LIMITED": 429,
    "INTERNAL_SERVER_ERROR": 500,
}


def classify(status: int, detail: str, *, problem: bool, operation: str = "") -> ErrorCode:
    for rule in ERROR_TABLE:
        if status not in rule.statuses or (rule.needs_problem and not problem):
            continue
        if rule.operation is not None and rule.operation != operation:
            continue
        if rule.detail is not None and not rule.detail.search(detail):
            continue
        return rule.code
    return FALLBACK


def http_error(
    status: int,
    body: Any,
    *,
    what: str,
    retry_after: float | None = None,
    secret: str | None = None,
) -> ProviderError:
    """The ProviderError for an HTTP error answer; body is the parsed JSON, or None when it was not JSON."""
    detail = _error_text(body)
    problem = detail is not None
    operation = what.partition(" ")[0]
    code = classify(status, detail or "", problem=problem, operation=operation)
    message = f"{what}: HTTP {status}" + (f": {detail}" if detail else "")
    if code is ErrorCode.CAPACITY_ERROR and status == 403:
        message += " (the account cannot use this pool; another GPU type, cloud or data center may)"
    return ProviderError(
        code,
        scrub(message, secret),
        provider=PROVIDER,
        retry_after=retry_after if code is ErrorCode.RATE_LIMIT_ERROR else None,
    )


def _error_text(body: Any) -> str | None:
    """The error's text: RFC 9457 `detail` (REST v2), or `error` (the shape RunPod's 5xx answers use)."""
    if not isinstance(body, Mapping):
        return None
    text = next((body[k] for k in ("detail", "error") if isinstance(body.get(k), str)), None)
    return str(text) if text is not None else None


def graphql_status(error: Mapping[str, Any]) -> int:
    message = str(error.get("message", ""))
    if _POD_NOT_FOUND.search(message):
        return 404
    extensions = error.get("extensions")
    code = extensions.get("code") if isinstance(extensions, Mapping) else None
    return GRAPHQL_STATUS.get(str(code), 400)


def graphql_error(errors: list[Any], *, what: str, secret: str | None = None) -> ProviderError:
    """The ProviderError for an HTTP-200 GraphQL answer carrying `errors` (the first one decides)."""
    first = errors[0] if errors and isinstance(errors[0], Mapping) else {}
    message = str(first.get("message", "unknown GraphQL error"))
    status = graphql_status(first)
    code = classify(status, message, problem=True)
    return ProviderError(code, scrub(f"{what}: {message}", secret), provider=PROVIDER)


def transport_error(exc: BaseException, *, what: str, secret: str | None = None) -> ProviderError:
    """Timeouts, refused connections and broken bodies: transient by nature."""
    error = ProviderError(
        ErrorCode.UNAVAILABLE, scrub(f"{what}: {type(exc).__name__}: {exc}", secret), provider=PROVIDER
    )
    error.__cause__ = exc
    return error


def scrub(text: str, secret: str | None) -> str:
    """Remove the API key from text, should a server or library ever echo it."""
    return text.replace(secret, "***") if secret else text
