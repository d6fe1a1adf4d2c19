"""RunPod's published REST v2 OpenAPI document and the kit's checker configured for it."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from provider_core.testing.kit import OpenAPIChecker

SPEC_NAME = "runpod-rest-v2-openapi.json"
# <repo>/../shared/apispecs: the specs live beside the repository, not in it.
SPEC_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "apispecs" / SPEC_NAME
SKIP_REASON = f"the RunPod REST v2 spec is not at {SPEC_PATH}"


def available() -> bool:
    return SPEC_PATH.is_file()


@cache
def checker() -> OpenAPIChecker:
    # The document's only server; recorded paths already start with /v2. GraphQL, at /graphql, has no
    # published document to check against.
    return OpenAPIChecker.from_path(SPEC_PATH, server="https://api.runpod.io", covers="/v2")
