"""The error table, row by row: directly, and end to end through the emulator over HTTP."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable

import pytest

from provider_core import ErrorCode, ProviderError, SpawnOptions
from provider_lambda import ERROR_CODES, LambdaProvider
from provider_lambda._client import LambdaClient
from provider_lambda._errors import error_for_response
from provider_lambda.testing import DEFAULT_SSH_KEY, INSTANCE_TYPES, LambdaEmulator
from tests.provider_lambda.conftest import build_provider

# (HTTP status, error code, expected taxonomy code, an operation whose spec documents that answer)
ROWS = [
    (400, "instance-operations/launch/insufficient-capacity", ErrorCode.CAPACITY_ERROR, "launch"),
    (401, "global/invalid-api-key", ErrorCode.AUTH_ERROR, "list"),
    (403, "global/account-inactive", ErrorCode.AUTH_ERROR, "list"),
    (403, "global/invalid-address", ErrorCode.AUTH_ERROR, "launch"),
    (400, "global/quota-exceeded", ErrorCode.QUOTA_EXCEEDED, "launch"),
    (400, "global/invalid-parameters", ErrorCode.INVALID_SPEC, "launch"),
    (400, "instance-operations/launch/file-system-in-wrong-region", ErrorCode.INVALID_SPEC, "launch"),
    (404, "global/object-does-not-exist", ErrorCode.NOT_FOUND, "get"),
    (500, "global/internal-error", ErrorCode.UNAVAILABLE, "list"),
    (503, "provider/internal-unavailable", ErrorCode.UNAVAILABLE, "list"),
    (502, "provider/network-unreachable", ErrorCode.UNAVAILABLE, "launch"),
    # The spec's prose puts upstream quota limits and resource exhaustion under provider/* without
    # naming codes: these two names are made up to pin the decision (README, "Error mapping").
    (503, "provider/quota-exceeded", ErrorCode.UNAVAILABLE, "launch"),
    (503, "provider/resources-exhausted", ErrorCode.UNAVAILABLE, "launch"),
]
OPERATIONS = {"launch": "launchInstance", "list": "listInstances", "get": "getInstance"}
LAUNCH_BODY = {
    "region_name": "us-west-1",
    "instance_type_name": "gpu_1x_a10",
    "ssh_key_names": [DEFAULT_SSH_KEY],
}


def body(code: str, message: str = "whatever") -> dict[str, object]:
    return {"error": {"code": code, "message": message}}


def test_every_table_entry_has_a_row_here() -> None:
    assert set(ERROR_CODES) <= {row[1] for row in ROWS}


@pytest.mark.parametrize("status", [400, 403, 409, 422])
def test_provider_codes_are_unavailable_whatever_the_status(status: int) -> None:
    # An upstream's quota or exhaustion is Lambda's, not the account's: retry, never QUOTA_EXCEEDED
    # (which tells the user to raise a quota they do not own) nor the status fallback.
    error = error_for_response(status, body("provider/quota-exceeded"), None, context="POST /launch")
    assert error.code is ErrorCode.UNAVAILABLE
    assert error.retryable


@pytest.mark.parametrize(("status", "code", "expected", "operation"), ROWS)
def test_row_direct(status: int, code: str, expected: ErrorCode, operation: str) -> None:
    error = error_for_response(status, body(code), None, context="GET /x")
    assert error.code is expected
    assert error.provider == "lambda"
    assert code in error.message


@pytest.mark.parametrize(("status", "code", "expected", "operation"), ROWS)
def test_row_over_http(
    provider: LambdaProvider,
    emulator: LambdaEmulator,
    status: int,
    code: str,
    expected: ErrorCode,
    operation: str,
) -> None:
    """The client layer maps each answer (spawn and get_instance reinterpret some; tested elsewhere)."""
    emulator.fail(status, code, operation=OPERATIONS[operation])
    client = LambdaClient(provider.settings, provider.limiter)
    calls = {
        "launch": lambda: client.post("/instance-operations/launch", LAUNCH_BODY, launch=True),
        "list": lambda: client.get("/instances"),
        "get": lambda: client.get("/instances/abc"),
    }
    try:
        with pytest.raises(ProviderError) as caught:
            calls[operation]()
    finally:
        client.close()
    assert caught.value.code is expected
    assert emulator.faults == []


def test_mapping_uses_the_code_never_the_message() -> None:
    misleading = body("global/invalid-parameters", "insufficient capacity, quota exceeded, try again")
    assert error_for_response(400, misleading, None, context="c").code is ErrorCode.INVALID_SPEC
    plain = body("instance-operations/launch/insufficient-capacity", "invalid parameters")
    assert error_for_response(400, plain, None, context="c").code is ErrorCode.CAPACITY_ERROR


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, ErrorCode.INVALID_SPEC),
        (401, ErrorCode.AUTH_ERROR),
        (404, ErrorCode.NOT_FOUND),
        (502, ErrorCode.UNAVAILABLE),
        (418, ErrorCode.INTERNAL),
    ],
)
def test_unknown_codes_fall_back_to_the_status(status: int, expected: ErrorCode) -> None:
    assert error_for_response(status, body("global/something-new"), None, context="c").code is expected


def test_429_is_rate_limit_with_retry_after(provider: LambdaProvider, emulator: LambdaEmulator) -> None:
    emulator.throttle("7")
    with pytest.raises(ProviderError) as caught:
        provider.list_instances()
    assert caught.value.code is ErrorCode.RATE_LIMIT_ERROR
    assert caught.value.retry_after == 7.0
    assert caught.value.retryable


def test_429_without_retry_after_or_json(provider: LambdaProvider, emulator: LambdaEmulator) -> None:
    emulator.fail(429, raw_body=b"slow down")
    with pytest.raises(ProviderError) as caught:
        provider.list_instances()
    assert caught.value.code is ErrorCode.RATE_LIMIT_ERROR
    assert caught.value.retry_after is None


def test_429_with_an_http_date_retry_after(provider: LambdaProvider, emulator: LambdaEmulator) -> None:
    """The header's date form reaches the error too (the parser itself is the core's, tested there)."""
    emulator.throttle("Thu, 01 Jan 2026 11:00:00 GMT")
    with pytest.raises(ProviderError) as caught:
        provider.list_instances()
    assert caught.value.code is ErrorCode.RATE_LIMIT_ERROR
    assert caught.value.retry_after == 0.0


@pytest.mark.parametrize("status", [200, 404, 502])
def test_non_json_bodies_are_unavailable(
    provider: LambdaProvider, emulator: LambdaEmulator, status: int
) -> None:
    emulator.fail(status, raw_body=b"<html>Bad Gateway</html>", operation="listInstances")
    with pytest.raises(ProviderError) as caught:
        provider.list_instances()
    assert caught.value.code is ErrorCode.UNAVAILABLE


def test_timeout_is_unavailable(
    make_provider: Callable[..., LambdaProvider], emulator: LambdaEmulator
) -> None:
    provider = make_provider(timeout=0.2)
    emulator.latency = 2.0
    with pytest.raises(ProviderError) as caught:
        provider.list_instances()
    assert caught.value.code is ErrorCode.UNAVAILABLE
    assert "timed out" in caught.value.message


def test_connection_refused_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    provider = build_provider(
        {"api_key": "k", "base_url": f"http://127.0.0.1:{port}/api/v1", "request_interval": 0}
    )
    try:
        with pytest.raises(ProviderError) as caught:
            provider.list_instances()
    finally:
        provider.close()
    assert caught.value.code is ErrorCode.UNAVAILABLE


def test_invalid_key_is_auth_error(make_provider: Callable[..., LambdaProvider]) -> None:
    provider = make_provider(api_key="wrong-key-value")
    with pytest.raises(ProviderError) as caught:
        provider.spawn(SpawnOptions(name="x", instance_type="gpu_1x_a10"))
    assert caught.value.code is ErrorCode.AUTH_ERROR
    assert not caught.value.retryable


def test_inactive_account_is_auth_error(provider: LambdaProvider, emulator: LambdaEmulator) -> None:
    emulator.account_inactive = True
    with pytest.raises(ProviderError) as caught:
        provider.get_instance("abc")
    assert caught.value.code is ErrorCode.AUTH_ERROR


def test_malformed_success_bodies_are_unavailable(provider: LambdaProvider, emulator: LambdaEmulator) -> None:
    emulator.fail(200, raw_body=b'{"data": [{"id": "x"}]}', operation="listInstances")
    with pytest.raises(ProviderError) as caught:
        provider.list_instances()
    assert caught.value.code is ErrorCode.UNAVAILABLE
    emulator.fail(200, raw_body=b'{"nodata": 1}', operation="listInstances")
    with pytest.raises(ProviderError) as caught:
        provider.list_instances()
    assert caught.value.code is ErrorCode.UNAVAILABLE


A10 = INSTANCE_TYPES["gpu_1x_a10"]


def offer(**entry: object) -> dict[str, object]:
    return {"gpu_1x_a10": {"instance_type": A10, "regions_with_capacity_available": [], **entry}}


@pytest.mark.parametrize(
    "types",
    [
        offer(regions_with_capacity_available=[{"description": "California, USA"}]),
        offer(regions_with_capacity_available=["us-west-1"]),
        offer(regions_with_capacity_available=7),
        offer(instance_type="gpu_1x_a10"),
        offer(instance_type={**A10, "specs": {"gpus": "1"}}),
        {"gpu_1x_a10": "available"},
        # One bad entry beside a good one.
        offer() | {"gpu_2x_new": {}},
        ["gpu_1x_a10"],
    ],
)
def test_malformed_instance_types_are_unavailable(
    provider: LambdaProvider, emulator: LambdaEmulator, types: object
) -> None:
    emulator.fail(200, raw_body=json.dumps({"data": types}).encode(), operation="listInstanceTypes")
    with pytest.raises(ProviderError) as caught:
        provider.spawn(SpawnOptions(name="x", instance_type="gpu_1x_a10", region="us-west-1"))
    assert caught.value.code is ErrorCode.UNAVAILABLE
    assert "instance types" in caught.value.message
    assert emulator.launches == 0


@pytest.mark.parametrize(
    "base_url",
    [
        # urllib reads it, httpx refuses to build a client on it.
        "http://[::1]x/api/v1",
        # httpx builds the client, then fails the host name's IDNA encoding per request.
        "http://xn--/api/v1",
    ],
)
def test_a_base_url_httpx_rejects_is_invalid_spec_naming_the_setting(base_url: str) -> None:
    provider = build_provider({"api_key": "k", "base_url": base_url})
    try:
        with pytest.raises(ProviderError) as caught:
            provider.list_instances()
    finally:
        provider.close()
    assert caught.value.code is ErrorCode.INVALID_SPEC
    assert "base_url" in caught.value.message
