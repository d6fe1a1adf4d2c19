"""The EC2 error table, row by row, through injected EC2 XML error responses; and botocore failures."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import (
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from provider_aws import EC2_ERRORS, AWSProvider, map_error
from provider_aws.testing import Ec2Control
from provider_core import (
    ErrorCode,
    ListFilter,
    ProviderError,
    ProviderHandle,
    RetryPolicy,
    SpawnOptions,
    retry,
)

MakeProvider = Callable[..., AWSProvider]

TABLE = [
    ("InsufficientInstanceCapacity", ErrorCode.CAPACITY_ERROR),
    ("InsufficientHostCapacity", ErrorCode.CAPACITY_ERROR),
    ("Unsupported", ErrorCode.CAPACITY_ERROR),
    ("RequestLimitExceeded", ErrorCode.RATE_LIMIT_ERROR),
    ("Throttling", ErrorCode.RATE_LIMIT_ERROR),
    ("AuthFailure", ErrorCode.AUTH_ERROR),
    ("UnauthorizedOperation", ErrorCode.AUTH_ERROR),
    ("ExpiredToken", ErrorCode.AUTH_ERROR),
    ("InvalidClientTokenId", ErrorCode.AUTH_ERROR),
    ("InstanceLimitExceeded", ErrorCode.QUOTA_EXCEEDED),
    ("VcpuLimitExceeded", ErrorCode.QUOTA_EXCEEDED),
    ("MaxSpotInstanceCountExceeded", ErrorCode.QUOTA_EXCEEDED),
    ("InvalidParameterValue", ErrorCode.INVALID_SPEC),
    ("InvalidAMIID.Malformed", ErrorCode.INVALID_SPEC),
    ("InvalidAMIID.NotFound", ErrorCode.INVALID_SPEC),
    ("InvalidAMIID.Unavailable", ErrorCode.INVALID_SPEC),
    ("InvalidInstanceType", ErrorCode.INVALID_SPEC),
    ("InvalidInstanceID.NotFound", ErrorCode.NOT_FOUND),
    ("InvalidSnapshot.NotFound", ErrorCode.NOT_FOUND),
]


def spawn_options(tags: dict[str, str] | None = None) -> SpawnOptions:
    return SpawnOptions(name="err", instance_type="t3.micro", tags=tags or {})


@pytest.mark.parametrize(("aws_code", "expected"), TABLE, ids=[row[0] for row in TABLE])
def test_each_ec2_error_code_maps_to_its_taxonomy_code(
    handle: ProviderHandle, control: Ec2Control, test_tag: dict[str, str], aws_code: str, expected: ErrorCode
) -> None:
    control.inject("RunInstances", aws_code, message=f"injected {aws_code}")
    with pytest.raises(ProviderError) as caught:
        handle.spawn(spawn_options(test_tag))
    assert caught.value.code is expected
    assert aws_code in caught.value.message
    assert handle.list_instances(ListFilter(tags=test_tag)) == []


def test_the_table_covers_every_code_the_issue_names() -> None:
    for aws_code, expected in TABLE:
        if not aws_code.startswith("InvalidAMIID."):
            assert EC2_ERRORS[aws_code] is expected


@pytest.mark.parametrize(("status", "aws_code"), [(500, "InternalError"), (503, "Unavailable"), (502, "Odd")])
def test_server_errors_are_unavailable_and_retryable(
    handle: ProviderHandle, control: Ec2Control, status: int, aws_code: str
) -> None:
    control.inject("DescribeInstances", aws_code, status=status)
    with pytest.raises(ProviderError) as caught:
        handle.list_instances()
    assert caught.value.code is ErrorCode.UNAVAILABLE
    assert caught.value.retryable


@pytest.mark.parametrize(
    ("aws_code", "status", "expected"),
    [
        # A refusal the table does not name is the request's fault; an unnamed limit is a quota.
        ("SomethingNew", 400, ErrorCode.INVALID_SPEC),
        ("TagLimitExceeded", 400, ErrorCode.QUOTA_EXCEEDED),
        ("SomethingNew", 503, ErrorCode.UNAVAILABLE),
    ],
)
def test_an_unknown_client_error_is_classified_never_internal(
    provider: AWSProvider, control: Ec2Control, aws_code: str, status: int, expected: ErrorCode
) -> None:
    control.inject("DescribeInstances", aws_code, status=status)
    with pytest.raises(ProviderError) as caught:
        provider.list_instances()
    assert caught.value.code is expected
    assert type(caught.value.__cause__).__name__ == "ClientError"


def test_a_throttled_call_surfaces_once_for_the_core_policy_to_retry(
    make_provider: MakeProvider, settings: dict[str, Any], control: Ec2Control
) -> None:
    single = make_provider(**{**settings, "regions": ()})
    control.inject("DescribeInstances", "RequestLimitExceeded", times=1)
    with pytest.raises(ProviderError) as caught:
        single.list_instances()
    assert caught.value.code is ErrorCode.RATE_LIMIT_ERROR
    assert caught.value.retryable
    assert control.calls().count("DescribeInstances") == 1  # botocore did not retry on its own
    control.inject("DescribeInstances", "Throttling", times=1)
    retry(single.list_instances, RetryPolicy(max_attempts=2), sleep=lambda _: None)
    assert control.calls().count("DescribeInstances") == 3  # the core's retry: refused, then served


@pytest.mark.parametrize(
    "exc",
    [
        EndpointConnectionError(endpoint_url="https://ec2.us-east-1.amazonaws.com"),
        ConnectTimeoutError(endpoint_url="https://ec2.us-east-1.amazonaws.com"),
        ReadTimeoutError(endpoint_url="https://ec2.us-east-1.amazonaws.com"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_connection_failures_and_timeouts_are_unavailable(exc: Exception) -> None:
    mapped = map_error(exc)
    assert mapped.code is ErrorCode.UNAVAILABLE
    assert mapped.__cause__ is exc


def test_missing_credentials_are_an_auth_error() -> None:
    assert map_error(NoCredentialsError()).code is ErrorCode.AUTH_ERROR


def test_a_dead_endpoint_is_unavailable(make_provider: MakeProvider, settings: dict[str, Any]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port once the socket is closed.
    dead = make_provider(**{**settings, "endpoint_url": f"http://127.0.0.1:{port}", "connect_timeout": 1})
    with pytest.raises(ProviderError) as caught:
        dead.list_instances()
    assert caught.value.code is ErrorCode.UNAVAILABLE


def test_a_slow_endpoint_times_out_as_unavailable(
    make_provider: MakeProvider, settings: dict[str, Any], control: Ec2Control
) -> None:
    control.inject("DescribeInstances", "Throttling", delay=2.0)
    slow = make_provider(**{**settings, "regions": (), "read_timeout": 0.2})
    with pytest.raises(ProviderError) as caught:
        slow.list_instances()
    assert caught.value.code is ErrorCode.UNAVAILABLE


def test_secrets_never_reach_errors_or_reprs(
    registry: Any, settings: dict[str, Any], control: Ec2Control
) -> None:
    secret = "s3cr3t-value-that-must-not-leak"
    handle = registry.get("aws", **{**settings, "aws_secret_access_key": secret})
    control.inject("RunInstances", "AuthFailure")
    with pytest.raises(ProviderError) as caught:
        handle.spawn(spawn_options())
    assert secret not in str(caught.value) + repr(caught.value)
    assert secret not in repr(handle) + repr(handle.provider)
