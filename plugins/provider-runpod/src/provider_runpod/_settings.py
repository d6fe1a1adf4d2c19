"""Settings of the RunPod provider: declared once, resolved and validated by the core."""

from __future__ import annotations

from typing import Any

from attrs import frozen

from provider_core.author import parsers, setting

DEFAULT_BASE_URL = "https://api.runpod.io/v2"
DEFAULT_GRAPHQL_URL = "https://api.runpod.io/graphql"
DEFAULT_TIMEOUT = 30.0


def http_url(value: Any) -> str:
    """parsers.url, then httpx's own parse, so a host httpx cannot decode (IDNA) fails here, not per call.

    The reason never quotes the value: a URL may carry credentials in its userinfo.
    """
    import httpx  # only when a URL setting is given: discovery never loads httpx

    try:
        address = parsers.url(value)
        url = httpx.URL(address)
        url.host  # noqa: B018 - decoding the host (IDNA) is the check
    except (httpx.InvalidURL, ValueError):  # IDNA errors are ValueErrors
        raise ValueError("is not a valid http(s) URL with a host (value not shown)") from None
    if url.port == 0:
        raise ValueError("has port 0 (value not shown)")
    return address


@frozen
class RunPodSettings:
    api_key: str | None = setting(
        None,
        description="RunPod API key (sent as a Bearer token only)",
        env="RUNPOD_API_KEY",
        secret=True,
        parse=parsers.text,
    )
    base_url: str = setting(
        DEFAULT_BASE_URL, description="REST v2 base URL", env="RUNPOD_API_URL", parse=http_url
    )
    graphql_url: str = setting(
        DEFAULT_GRAPHQL_URL,
        description="GraphQL endpoint, used for spot pods only",
        env="RUNPOD_GRAPHQL_URL",
        parse=http_url,
    )
    timeout: float = setting(
        DEFAULT_TIMEOUT, description="seconds per HTTP request", parse=parsers.positive_seconds
    )
