"""Settings of the Lambda provider: declared once for the core, resolved with environment fallbacks."""

from __future__ import annotations

import math
import os
from typing import Any
from urllib.parse import urlsplit

from attrs import field, frozen

from provider_core import ErrorCode, ProviderError, Setting

DEFAULT_BASE_URL = "https://cloud.lambda.ai/api/v1"
# The API documents about one request per second, and one launch per 12 seconds.
DEFAULT_REQUEST_INTERVAL = 1.0
DEFAULT_LAUNCH_INTERVAL = 12.0
DEFAULT_TIMEOUT = 30.0

SETTINGS = (
    Setting("api_key", "Lambda Cloud API key, sent as a Bearer token", env="LAMBDA_API_KEY", secret=True),
    Setting("base_url", f"API base URL (default {DEFAULT_BASE_URL})", env="LAMBDA_API_URL"),
    Setting(
        "ssh_key_name",
        "SSH key to launch with when SpawnOptions.ssh_key_names is empty",
        env="LAMBDA_SSH_KEY_NAME",
    ),
    Setting("region", "default region; unset picks the first region with capacity", env="LAMBDA_REGION"),
    Setting(
        "request_interval", f"minimum seconds between API requests (default {DEFAULT_REQUEST_INTERVAL:g})"
    ),
    Setting("launch_interval", f"minimum seconds between launches (default {DEFAULT_LAUNCH_INTERVAL:g})"),
    Setting("timeout", f"seconds allowed per HTTP request (default {DEFAULT_TIMEOUT:g})"),
)


@frozen
class LambdaSettings:
    base_url: str
    api_key: str | None = field(repr=False)
    ssh_key_name: str | None
    region: str | None
    request_interval: float
    launch_interval: float
    timeout: float

    @classmethod
    def resolve(
        cls,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        ssh_key_name: str | None = None,
        region: str | None = None,
        request_interval: Any = None,
        launch_interval: Any = None,
        timeout: Any = None,
    ) -> LambdaSettings:
        """Explicit values win, then the environment, then the defaults; a bad value is INVALID_SPEC."""
        url = _text("base_url", base_url) or os.environ.get("LAMBDA_API_URL") or DEFAULT_BASE_URL
        _check_url(url)
        key = _text("api_key", api_key) or os.environ.get("LAMBDA_API_KEY") or None
        # A key httpx cannot put in a header would otherwise fail as a transport error, or leak a character.
        if key is not None and not all("!" <= c <= "~" for c in key):
            raise _invalid("setting 'api_key' must be printable ASCII without spaces (value not shown)")
        return cls(
            base_url=url,
            api_key=key,
            ssh_key_name=_text("ssh_key_name", ssh_key_name) or os.environ.get("LAMBDA_SSH_KEY_NAME") or None,
            region=_text("region", region) or os.environ.get("LAMBDA_REGION") or None,
            request_interval=_seconds("request_interval", request_interval, DEFAULT_REQUEST_INTERVAL),
            launch_interval=_seconds("launch_interval", launch_interval, DEFAULT_LAUNCH_INTERVAL),
            timeout=_seconds("timeout", timeout, DEFAULT_TIMEOUT, positive=True),
        )


def _invalid(message: str) -> ProviderError:
    return ProviderError(ErrorCode.INVALID_SPEC, message, provider="lambda")


def _text(name: str, value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    # The type only: the value may be a secret.
    raise _invalid(f"setting '{name}' must be a string, got {type(value).__name__}")


def _check_url(url: str) -> None:
    problem = None
    if any(c.isspace() or not c.isprintable() for c in url):
        problem = "contains whitespace or control characters"
    else:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - parsing the port is the check
        except ValueError as exc:
            problem = str(exc)
        else:
            if parts.scheme not in ("http", "https") or not parts.hostname:
                problem = "must be an http(s) URL with a host"
    if problem:
        raise _invalid(f"setting 'base_url' {url!r} is not a valid URL: {problem}")


def _seconds(name: str, value: Any, default: float, *, positive: bool = False) -> float:
    if value is None:
        return default
    try:
        # True is an int to Python, but never a number of seconds anyone meant.
        seconds = -1.0 if isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if not math.isfinite(seconds) or seconds < 0 or (positive and seconds == 0):
        raise _invalid(
            f"setting '{name}' must be a {'positive' if positive else 'non-negative'} number of seconds, "
            f"got {value!r}"
        )
    return seconds
