"""Lambda's published OpenAPI document and the kit's checker configured for it."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from provider_core.testing.kit import OpenAPIChecker

SPEC_NAME = "lambda-cloud-openapi-1.8.3.json"
# <repo>/../shared/apispecs: the specs live beside the project, not in it.
SPEC_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "apispecs" / SPEC_NAME

# The error envelope the document's introduction describes, for statuses no operation documents
# (429 and 5xx): {"error": {"code", "message", "suggestion"?}}.
ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string"},
        "message": {"type": "string"},
        "suggestion": {"type": "string"},
    },
}


def _envelope(error: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["error"],
        "properties": {"error": error},
    }


def spec_available() -> bool:
    return SPEC_PATH.is_file()


@cache
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    return loaded


@cache
def checker() -> OpenAPIChecker:
    internal = {"allOf": [ERROR, {"$ref": "#/components/schemas/ApiErrorInternal"}]}
    return OpenAPIChecker(
        document(),
        # The only server the document declares; recorded paths already carry /api/v1.
        server="https://cloud.lambda.ai",
        undocumented={"429": _envelope(ERROR), "5XX": _envelope(ERROR), "500": _envelope(internal)},
    )
