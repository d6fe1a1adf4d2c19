"""A total deadline per call: a server trickling its answer cannot hold a call past its timeout."""

from __future__ import annotations

from typing import Any

import pytest

import provider_core
from provider_core import ErrorCode, ProviderError
from tests.reliability.trickle import trickling_server

# Valid answers, padded so each takes ~4 s to arrive at a byte every 0.1 s: every read is quick, the whole
# answer is far beyond the 0.5 s deadline. Without a total deadline the call succeeds after ~4 s.
PAD = b" " * 30
EC2 = b'<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><reservationSet/>'
CASES: dict[str, tuple[bytes, dict[str, Any], str]] = {
    "lambda": (
        b'{"data": []}' + PAD,
        {"base_url": "{url}/api/v1", "api_key": "key-123456", "timeout": 0.5, "request_interval": 0},
        "timed out after 0.5s",
    ),
    "runpod": (
        b'{"pods": []}' + PAD,
        {"base_url": "{url}", "graphql_url": "{url}/graphql", "api_key": "key-123456", "timeout": 0.5},
        "DeadlineExceeded",
    ),
    "aws": (
        EC2 + b"</DescribeInstancesResponse>" + PAD,
        {
            "endpoint_url": "{url}",
            "region": "us-east-1",
            "aws_access_key_id": "testing-id",
            "aws_secret_access_key": "testing-secret",
            "connect_timeout": 0.2,
            "read_timeout": 0.3,
        },
        "within 0.5s",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_call_ends_at_its_deadline(name: str) -> None:
    body, settings, message = CASES[name]
    registry = provider_core.discover()
    with trickling_server(body, interval=0.1) as url:
        given = {k: v.format(url=url) if isinstance(v, str) else v for k, v in settings.items()}
        handle = registry.get(name, **given)
        try:
            with pytest.raises(ProviderError) as caught:
                handle.list_instances()
        finally:
            registry.close()
    assert caught.value.code is ErrorCode.UNAVAILABLE
    assert message in caught.value.message
