"""Validation of emulator exchanges against Lambda's published OpenAPI document (openapi-core)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from provider_lambda.testing import Exchange

SPEC_NAME = "lambda-cloud-openapi-1.8.3.json"
# <repo>/../shared/apispecs: the specs live beside the project, not in it.
SPEC_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "apispecs" / SPEC_NAME
# The only server the document declares; recorded paths already carry /api/v1.
SERVER = "https://cloud.lambda.ai"

# The error envelope the document's introduction describes, for statuses no operation documents
# (429 and 5xx): {"error": {"code", "message", "suggestion"?}}.
ERROR_ENVELOPE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "suggestion": {"type": "string"},
            },
        }
    },
}


def spec_available() -> bool:
    return SPEC_PATH.is_file()


@cache
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    return loaded


@cache
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(document())


class _Request:
    def __init__(self, exchange: Exchange) -> None:
        url = urlsplit(exchange.target)
        self.host_url = SERVER
        self.path = url.path
        self.method = exchange.method.lower()
        self.body = exchange.body or None
        headers = Headers(list(exchange.headers.items()))
        self.content_type = headers.get("Content-Type", "application/json").lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict([(k, v) for k, vs in parse_qs(url.query).items() for v in vs]),
            header=headers,
            cookie=ImmutableMultiDict(),
        )


class _Response:
    def __init__(self, exchange: Exchange) -> None:
        assert exchange.status is not None
        self.status_code = exchange.status
        self.headers = Headers(list(exchange.response_headers.items()))
        self.content_type = self.headers.get("Content-Type", "").lower()
        self.data = exchange.response_body


def documented_statuses(exchange: Exchange) -> set[int]:
    path = urlsplit(exchange.target).path
    for template, operations in document()["paths"].items():
        pattern = template.replace("{id}", "[^/]+")
        if re.fullmatch(pattern, path) and exchange.method.lower() in operations:
            return {int(code) for code in operations[exchange.method.lower()]["responses"]}
    return set()


def validate_request(exchange: Exchange) -> None:
    """Raises when the request is not what the document allows (path, method, auth, body)."""
    openapi().validate_request(_Request(exchange))


def validate_response(exchange: Exchange) -> None:
    """Documented statuses against the operation's schema; others against the error envelope."""
    if exchange.status is None or exchange.off_spec:
        return  # nothing was sent, or a test asked for a malformed answer on purpose
    if exchange.status in documented_statuses(exchange):
        openapi().validate_response(_Request(exchange), _Response(exchange))
        return
    assert exchange.status == 429 or exchange.status >= 500, f"undocumented status {exchange.status}"
    body = exchange.response_body
    if exchange.response_headers.get("Content-Type", "").startswith("application/json"):
        jsonschema.validate(json.loads(body), ERROR_ENVELOPE)
        if exchange.status == 500:
            internal = document()["components"]["schemas"]["ApiErrorInternal"]
            jsonschema.validate(json.loads(body)["error"], internal)


def validate_all(exchanges: Iterable[Exchange], *, requests: bool = True) -> int:
    count = 0
    for exchange in exchanges:
        if requests:
            validate_request(exchange)
        validate_response(exchange)
        count += 1
    return count
