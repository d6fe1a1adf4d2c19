"""Slurm failures to the taxonomy: the controller's messages (the commands' stderr) to ErrorCode."""

from __future__ import annotations

from provider_core import ErrorCode, ProviderError

PROVIDER = "slurm"

# The one mapping table, matched case-insensitively in order against what the command printed. Slurm
# reports errors as text only (no codes on the command line), and these texts are stable since 20.x.
ERROR_MESSAGES: tuple[tuple[str, ErrorCode], ...] = (
    ("invalid partition", ErrorCode.INVALID_SPEC),
    ("requested node configuration is not available", ErrorCode.INVALID_SPEC),
    ("memory specification can not be satisfied", ErrorCode.INVALID_SPEC),
    ("invalid generic resource", ErrorCode.INVALID_SPEC),
    ("invalid qos specification", ErrorCode.INVALID_SPEC),
    ("invalid time limit", ErrorCode.INVALID_SPEC),
    ("requested time limit is invalid", ErrorCode.INVALID_SPEC),
    ("job violates accounting/qos policy", ErrorCode.QUOTA_EXCEEDED),
    ("job submit limit", ErrorCode.QUOTA_EXCEEDED),
    ("qosmax", ErrorCode.QUOTA_EXCEEDED),
    ("qosgrp", ErrorCode.QUOTA_EXCEEDED),
    ("assocmax", ErrorCode.QUOTA_EXCEEDED),
    ("assocgrp", ErrorCode.QUOTA_EXCEEDED),
    ("invalid account", ErrorCode.AUTH_ERROR),
    ("access/permission denied", ErrorCode.AUTH_ERROR),
    ("permission denied", ErrorCode.AUTH_ERROR),
    ("invalid user id", ErrorCode.AUTH_ERROR),
    ("not permitted to use this partition", ErrorCode.AUTH_ERROR),
    ("authentication error", ErrorCode.AUTH_ERROR),
    ("invalid job id", ErrorCode.NOT_FOUND),
    ("unable to contact slurm controller", ErrorCode.UNAVAILABLE),
    ("socket timed out", ErrorCode.UNAVAILABLE),
    ("temporarily unable to accept job", ErrorCode.UNAVAILABLE),
    ("connection refused", ErrorCode.UNAVAILABLE),
    ("zero bytes were transmitted", ErrorCode.UNAVAILABLE),
    ("communication connection failure", ErrorCode.UNAVAILABLE),
)


def error_from_output(context: str, output: str) -> ProviderError:
    """The ProviderError for a failed command; a message the table does not know is INTERNAL."""
    lowered = output.lower()
    code = next((code for text, code in ERROR_MESSAGES if text in lowered), ErrorCode.INTERNAL)
    detail = " ".join(output.split())[:500] or "no message"
    return ProviderError(code, f"{context}: {detail}", provider=PROVIDER)


def invalid_spec(message: str) -> ProviderError:
    return ProviderError(ErrorCode.INVALID_SPEC, message, provider=PROVIDER)


def unavailable(message: str) -> ProviderError:
    return ProviderError(ErrorCode.UNAVAILABLE, message, provider=PROVIDER)
