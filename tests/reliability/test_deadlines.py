"""A total deadline per call: a server trickling its answer cannot hold a call past its timeout."""

from __future__ import annotations

import pytest

from provider_core import ErrorCode, ProviderError
from provider_core.author import resolve_settings
from provider_lambda import LambdaProvider, LambdaSettings
from provider_runpod import RunPodProvider, RunPodSettings
from tests.reliability.trickle import trickling_server

# A valid answer, padded so it takes ~4 s to arrive at a byte every 0.1 s: each read is quick, the whole
# answer is far beyond the 0.5 s timeout. Without a total deadline the call succeeds after ~4 s.
LAMBDA_BODY = b'{"data": []}' + b" " * 30
RUNPOD_BODY = b'{"pods": []}' + b" " * 30


def test_lambda_call_ends_at_its_deadline() -> None:
    with trickling_server(LAMBDA_BODY, interval=0.1) as url:
        settings = {
            "base_url": url + "/api/v1",
            "api_key": "key-123456",
            "timeout": 0.5,
            "request_interval": 0,
        }
        provider = LambdaProvider(resolve_settings(LambdaSettings, settings, provider="lambda"))
        try:
            with pytest.raises(ProviderError) as caught:
                provider.list_instances()
        finally:
            provider.close()
    assert caught.value.code is ErrorCode.UNAVAILABLE
    assert "timed out after 0.5s" in caught.value.message


def test_runpod_call_ends_at_its_deadline() -> None:
    with trickling_server(RUNPOD_BODY, interval=0.1) as url:
        settings = {"base_url": url, "graphql_url": url + "/graphql", "api_key": "key-123456", "timeout": 0.5}
        provider = RunPodProvider(resolve_settings(RunPodSettings, settings, provider="runpod"))
        try:
            with pytest.raises(ProviderError) as caught:
                provider.list_instances()
        finally:
            provider.close()
    assert caught.value.code is ErrorCode.UNAVAILABLE
    assert "DeadlineExceeded" in caught.value.message


EC2_BODY = (
    b'<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
    b"<reservationSet/></DescribeInstancesResponse>" + b" " * 30
)


def test_aws_call_ends_at_its_deadline() -> None:
    from provider_aws import AWSProvider, AWSSettings

    with trickling_server(EC2_BODY, interval=0.1) as url:
        settings = {
            "endpoint_url": url,
            "region": "us-east-1",
            "aws_access_key_id": "testing-id",
            "aws_secret_access_key": "testing-secret",
            "connect_timeout": 0.2,
            "read_timeout": 0.3,
        }
        provider = AWSProvider(resolve_settings(AWSSettings, settings, provider="aws"))
        try:
            with pytest.raises(ProviderError) as caught:
                provider.list_instances()
        finally:
            provider.close()
    assert caught.value.code is ErrorCode.UNAVAILABLE
    assert "within 0.5s" in caught.value.message
