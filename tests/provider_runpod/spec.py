"""Checks recorded emulator exchanges against RunPod's published REST v2 OpenAPI document."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from provider_runpod.testing import Exchange

SPEC_NAME = "runpod-rest-v2-openapi.json"
# <repo>/../shared/apispecs: the specs live beside the repository, not in it.
SPEC_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "apispecs" / SPEC_NAME
SKIP_REASON = f"the RunPod REST v2 spec is not at {SPEC_PATH}"
# The document's only server; recorded paths already start with /v2.
SERVER = "https://api.runpod.io"


def available() -> bool:
    return SPEC_PATH.is_file()


@cache
def api() -> OpenAPI:
    from openapi_core import Config

    # Errors are application/problem+json, which openapi-core does not decode by itself.
    config = Config(extra_media_type_deserializers={"application/problem+json": json.loads})
    return OpenAPI.from_file_path(str(SPEC_PATH), config=config)


def _request(exchange: Exchange) -> MockRequest:
    args = dict(pair.split("=", 1) for pair in exchange.query.split("&") if "=" in pair)
    return MockRequest(
        SERVER,
        exchange.method.lower(),
        exchange.path,
        args=args,
        headers=exchange.headers,
        data=exchange.body or None,
        content_type=exchange.headers.get("Content-Type", "application/json"),
    )


def check_request(exchange: Exchange) -> None:
    api().validate_request(_request(exchange))


def check_response(exchange: Exchange) -> None:
    response = MockResponse(
        exchange.response_body,
        status_code=exchange.status,
        headers=exchange.response_headers,
        content_type=exchange.response_content_type or "",
    )
    api().validate_response(_request(exchange), response)


def rest(exchanges: Iterable[Exchange]) -> list[Exchange]:
    """The REST v2 exchanges (GraphQL has no published schema to check against)."""
    return [e for e in exchanges if e.path.startswith("/v2/") or e.path == "/v2"]


def check_all(exchanges: Iterable[Exchange], *, requests: bool = True, responses: bool = True) -> None:
    for exchange in rest(exchanges):
        if requests:
            check_request(exchange)
        # A deliberately non-JSON fault answer (a proxy's HTML page) is outside the spec by design.
        if responses and exchange.response_content_type != "text/html":
            check_response(exchange)
