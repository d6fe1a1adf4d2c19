"""Settings of the Lambda provider: declared once for the core, resolved with environment fallbacks."""

from __future__ import annotations

import math
import os
from typing import Any

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
        """Explicit values win, then the environment, then the documented defaults."""
        url = base_url or os.environ.get("LAMBDA_API_URL") or DEFAULT_BASE_URL
        if not url.startswith(("https://", "http://")):
            raise ProviderError(
                ErrorCode.INVALID_SPEC, f"base_url must be an http(s) URL, got {url!r}", provider="lambda"
            )
        return cls(
            base_url=url,
            api_key=api_key or os.environ.get("LAMBDA_API_KEY") or None,
            ssh_key_name=ssh_key_name or os.environ.get("LAMBDA_SSH_KEY_NAME") or None,
            region=region or os.environ.get("LAMBDA_REGION") or None,
            request_interval=_seconds("request_interval", request_interval, DEFAULT_REQUEST_INTERVAL),
            launch_interval=_seconds("launch_interval", launch_interval, DEFAULT_LAUNCH_INTERVAL),
            timeout=_seconds("timeout", timeout, DEFAULT_TIMEOUT, positive=True),
        )


def _seconds(name: str, value: Any, default: float, *, positive: bool = False) -> float:
    if value is None:
        return default
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if not math.isfinite(seconds) or seconds < 0 or (positive and seconds == 0):
        raise ProviderError(
            ErrorCode.INVALID_SPEC,
            f"setting '{name}' must be a {'positive' if positive else 'non-negative'} number of seconds, "
            f"got {value!r}",
            provider="lambda",
        )
    return seconds
