"""Settings of the Lambda provider, resolved and validated by the core (explicit > environment > default)."""

from __future__ import annotations

from typing import Any

from attrs import frozen

from provider_core.author import parsers, setting

DEFAULT_BASE_URL = "https://cloud.lambda.ai/api/v1"
# The API documents about one request per second, and one launch per 12 seconds.
DEFAULT_REQUEST_INTERVAL = 1.0
DEFAULT_LAUNCH_INTERVAL = 12.0
DEFAULT_TIMEOUT = 30.0
# Instance types carry live regional capacity: reused only briefly, so bulk spawns read them once.
DEFAULT_CATALOG_TTL = 5.0


def api_key(value: Any) -> str:
    """The key as httpx can send it in a header; the core rejects spaces and control characters itself."""
    key = parsers.text(value)
    if not key.isascii():
        # httpx would fail every request with an encoding error instead.
        raise ValueError("must be printable ASCII without spaces (value not shown)")
    return key


@frozen
class LambdaSettings:
    api_key: str | None = setting(
        None,
        description="Lambda Cloud API key, sent as a Bearer token",
        env="LAMBDA_API_KEY",
        secret=True,
        parse=api_key,
    )
    base_url: str = setting(
        DEFAULT_BASE_URL, description="API base URL", env="LAMBDA_API_URL", parse=parsers.url
    )
    ssh_key_name: str | None = setting(
        None,
        description="SSH key to launch with when SpawnOptions.ssh_key_names is empty",
        env="LAMBDA_SSH_KEY_NAME",
        parse=parsers.text,
    )
    region: str | None = setting(
        None,
        description="default region; unset picks the first region with capacity",
        env="LAMBDA_REGION",
        parse=parsers.text,
    )
    request_interval: float = setting(
        DEFAULT_REQUEST_INTERVAL, description="minimum seconds between API requests", parse=parsers.seconds
    )
    launch_interval: float = setting(
        DEFAULT_LAUNCH_INTERVAL, description="minimum seconds between launches", parse=parsers.seconds
    )
    timeout: float = setting(
        DEFAULT_TIMEOUT, description="seconds allowed per HTTP request", parse=parsers.positive_seconds
    )
    catalog_ttl: float = setting(
        DEFAULT_CATALOG_TTL,
        description="seconds the instance-types catalog (live regional capacity) is reused; 0: every launch",
        parse=parsers.seconds,
    )
