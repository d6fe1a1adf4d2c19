"""Secret hygiene: redaction that reveals nothing, and a logging filter that keeps registered secrets (and
credential headers) out of every log record of the core, the providers and the HTTP/AWS libraries.

Secret settings are registered when the core resolves them (`_settings.resolve_settings`); the filter is
installed the first time one is, through the log record factory, so it also covers loggers (botocore's,
httpcore's) created after that moment and records that propagate to handlers the core does not own.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from typing import Any

from provider_core._errors import ProviderError

MASK = "***"
# Shorter secrets are only hidden where they stand as a whole token: replacing every occurrence of a
# two-letter key inside other words would mangle the text and reveal the key by what it hides.
SUBSTRING_MIN = 6
# Loggers whose records the filter redacts (each with its children).
WATCHED_LOGGERS = (
    "provider_core",
    "provider_aws",
    "provider_lambda",
    "provider_runpod",
    "provider_orbstack",
    "botocore",
    "boto3",
    "urllib3",
    "httpx",
    "httpcore",
)
# Credential headers as botocore and httpcore print them at DEBUG, whatever their value: a session
# token or a bearer key the core never saw (boto3's own credential chain) is hidden too.
_CREDENTIAL_HEADER = re.compile(
    r"""(?P<name>x-amz-security-token|authorization|x-api-key)(?P<sep>['"]?\s*[:=,]\s*\(?\s*(?-i:b)?['"]?)"""
    r"""(?P<value>[^'"\s,)}\]]+(?:\s+[^'"\s,)}\]]+)?)""",
    re.IGNORECASE,
)

_lock = threading.Lock()
_registered: set[str] = set()
_installed = False


def redact(text: str, secrets: Iterable[object]) -> str:
    """text with every secret value replaced by ***; values shorter than SUBSTRING_MIN only where they
    stand alone (not inside a longer run of letters and digits)."""
    for secret in sorted((s for s in secrets if isinstance(s, str) and s), key=len, reverse=True):
        if len(secret) >= SUBSTRING_MIN:
            text = text.replace(secret, MASK)
        else:
            text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])", MASK, text)
    return text


def scrubbed(error: ProviderError, secrets: Iterable[object]) -> ProviderError:
    """error itself when its message shows no secret, else a copy with them redacted."""
    message = redact(error.message, secrets)
    if message == error.message:
        return error
    copy = ProviderError(error.code, message, provider=error.provider, retry_after=error.retry_after)
    copy.__cause__ = error.__cause__
    return copy


def register(*secrets: object) -> None:
    """Have the log filter redact these values from now on (for the life of the process)."""
    values = {s for s in secrets if isinstance(s, str) and s}
    if not values:
        return
    with _lock:
        _registered.update(values)
    install()


def redact_registered(text: str) -> str:
    with _lock:
        secrets = tuple(_registered)
    return _CREDENTIAL_HEADER.sub(rf"\g<name>\g<sep>{MASK}", redact(text, secrets))


class SecretFilter(logging.Filter):
    """Rewrites a record's message with registered secrets and credential headers redacted.

    Attach it to a handler to cover records from any logger; the core applies it to WATCHED_LOGGERS.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not format is the logging module's to report
            return True
        clean = redact_registered(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def _watched(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in WATCHED_LOGGERS)


def install() -> None:
    """Wrap the log record factory once so every record of a watched logger passes the filter.

    A filter on a logger sees only records logged on that very logger, never its children's; the record
    factory sees them all, whenever those loggers were created.
    """
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    previous = logging.getLogRecordFactory()
    secret_filter = SecretFilter()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if _watched(record.name):
            secret_filter.filter(record)
        return record

    logging.setLogRecordFactory(factory)
