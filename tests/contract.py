"""Contract tests of the shipped emulators with schemathesis, driven by the published OpenAPI documents.

Each implemented operation gets generated requests (valid ones, and invalid ones the API must refuse
cleanly) sent over real HTTP to a running emulator; every answer must be sent (no dropped connection),
must not be a 5xx, and must match the document: status, content type and body schema.
The example count stays small for CI; PROVIDER_CONTRACT_EXAMPLES asks for a larger run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

# <repo>/../shared/apispecs: the published documents live beside the repository, not in it.
SPECS = Path(__file__).resolve().parents[1].parent / "shared" / "apispecs"
EXAMPLES = int(os.environ.get("PROVIDER_CONTRACT_EXAMPLES", "15"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]


def load(name: str) -> Any:
    """The schemathesis schema of a published document; skips with a reason when it is absent."""
    path = SPECS / name
    if not path.is_file():
        pytest.skip(f"the published spec is not at {path}")
    return schemathesis.openapi.from_path(path)


def check_served(emulator: Any, spec_name: str, operation_id: str, mode: GenerationMode) -> None:
    """run() for one operation of a served emulator (it has url, api_key and exchanges)."""
    schema = load(spec_name)
    run(schema, operation_id, mode, emulator.url, {"Authorization": f"Bearer {emulator.api_key}"})
    # Every request got an answer: a dropped connection is recorded with no status.
    assert all(exchange.status is not None for exchange in emulator.exchanges)


def run(
    schema: Any,
    operation_id: str,
    mode: GenerationMode,
    base_url: str,
    headers: Mapping[str, str],
    *,
    keep: Callable[[Any], bool] = lambda case: True,
) -> None:
    """Send EXAMPLES generated requests for one operation and apply CHECKS to every answer.

    `keep` drops generated cases the emulator is not meant to judge (see each caller's reason).
    """
    operation = schema.find_operation_by_id(operation_id)
    with requests.Session() as session:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode).filter(keep))
        def check(case: Any) -> None:
            # A dropped connection raises here (requests.ConnectionError) and fails the test.
            case.call_and_validate(
                base_url=base_url, session=session, headers=dict(headers), checks=CHECKS, timeout=10
            )

        check()
