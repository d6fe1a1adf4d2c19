"""Lambda API failures to the taxonomy: by error code (never by message), then by HTTP status."""

from __future__ import annotations

from collections.abc import Mapping

from provider_core import ErrorCode, ProviderError
from provider_core.author import parse_retry_after

PROVIDER = "lambda"

# The one mapping table. Codes are the documented `error.code` values of the Lambda Cloud API.
ERROR_CODES: Mapping[str, ErrorCode] = {
    "instance-operations/launch/insufficient-capacity": ErrorCode.CAPACITY_ERROR,
    "global/invalid-api-key": ErrorCode.AUTH_ERROR,
    "global/account-inactive": ErrorCode.AUTH_ERROR,
    "global/invalid-address": ErrorCode.AUTH_ERROR,
    "global/quota-exceeded": ErrorCode.QUOTA_EXCEEDED,
    "global/invalid-parameters": ErrorCode.INVALID_SPEC,
    "instance-operations/launch/file-system-in-wrong-region": ErrorCode.INVALID_SPEC,
    "global/object-does-not-exist": ErrorCode.NOT_FOUND,
    "global/internal-error": ErrorCode.UNAVAILABLE,
}
# Upstream failures: the API marks them with this code prefix.
ERROR_CODE_PREFIXES: Mapping[str, ErrorCode] = {"provider/": ErrorCode.UNAVAILABLE}
# Only for codes the table does not know.
STATUS_FALLBACK: Mapping[int, ErrorCode] = {
    400: ErrorCode.INVALID_SPEC,
    401: ErrorCode.AUTH_ERROR,
    403: ErrorCode.AUTH_ERROR,
    404: ErrorCode.NOT_FOUND,
    409: ErrorCode.INVALID_SPEC,
    422: ErrorCode.INVALID_SPEC,
}


def error_for_response(
    status: int, payload: object, retry_after: str | None, *, context: str
) -> ProviderError:
    """The ProviderError for a non-2xx answer; payload is the decoded JSON body, or None."""
    code, message = _envelope(payload)
    if status == 429:
        return ProviderError(
            ErrorCode.RATE_LIMIT_ERROR,
            f"{context}: throttled by the API ({code or 'HTTP 429'})",
            provider=PROVIDER,
            retry_after=parse_retry_after(retry_after),
        )
    if code is None:
        return ProviderError(
            ErrorCode.UNAVAILABLE,
            f"{context}: HTTP {status} without the documented error envelope",
            provider=PROVIDER,
        )
    mapped = ERROR_CODES.get(code) or next(
        (mapped for prefix, mapped in ERROR_CODE_PREFIXES.items() if code.startswith(prefix)), None
    )
    if mapped is None:
        mapped = ErrorCode.UNAVAILABLE if status >= 500 else STATUS_FALLBACK.get(status, ErrorCode.INTERNAL)
    return ProviderError(mapped, f"{context}: {code}: {message}", provider=PROVIDER)


def _envelope(payload: object) -> tuple[str | None, str]:
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict) or not isinstance(error.get("code"), str):
        return None, ""
    message = error.get("message")
    return error["code"], message if isinstance(message, str) else ""


def unavailable(message: str) -> ProviderError:
    return ProviderError(ErrorCode.UNAVAILABLE, message, provider=PROVIDER)


def invalid_spec(message: str) -> ProviderError:
    return ProviderError(ErrorCode.INVALID_SPEC, message, provider=PROVIDER)
