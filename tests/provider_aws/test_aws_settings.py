"""Settings and the environment variables they declare: `check --set` passes settings through those."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from provider_aws import AWSProvider
from provider_aws._registration import registration
from provider_aws.testing import ALT_REGION, DUMMY_CREDENTIALS, Ec2Control
from provider_core import ErrorCode, ProviderError, ProviderRegistry, SpawnOptions

# Everything in the environment that could otherwise pick a region, endpoint or credentials.
_AMBIENT = (
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_EC2",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
)


@pytest.fixture
def bare_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for variable in _AMBIENT:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    return monkeypatch


def _env_of(name: str) -> str:
    env = next(s.env for s in registration.settings if s.name == name)
    assert env is not None, f"setting {name} declares no environment variable"
    return env


def test_the_declared_environment_variables_configure_a_provider_built_without_settings(
    bare_env: pytest.MonkeyPatch, control: Ec2Control, test_tag: dict[str, str]
) -> None:
    # What `providers check aws --set region=... --set endpoint_url=...` does before running the suite.
    given = {"region": ALT_REGION, "endpoint_url": control.endpoint_url, **DUMMY_CREDENTIALS}
    for name, value in given.items():
        bare_env.setenv(_env_of(name), value)
    registry = ProviderRegistry()
    registry.add(registration)
    try:
        handle = registry.get("aws")
        provider = handle.provider
        assert isinstance(provider, AWSProvider)
        assert provider.region == ALT_REGION
        instance = handle.spawn(SpawnOptions(name="env", instance_type="t3.micro", tags=test_tag))
        try:
            assert instance.region == ALT_REGION
            found = provider.access.ec2(ALT_REGION).describe_instances(InstanceIds=[instance.id])
            assert found["Reservations"][0]["Instances"][0]["InstanceId"] == instance.id
        finally:
            handle.terminate(instance.id)
    finally:
        registry.close()


@pytest.mark.parametrize(
    ("setting", "environment", "expected"),
    [
        (None, {"AWS_REGION": "eu-west-1"}, "eu-west-1"),
        (None, {"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "ap-south-1"}, "eu-west-1"),
        (None, {"AWS_DEFAULT_REGION": "ap-south-1"}, "ap-south-1"),
        ("us-west-2", {"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "ap-south-1"}, "us-west-2"),
        (None, {"AWS_REGION": " "}, "us-east-1"),
        (None, {}, "us-east-1"),
    ],
    ids=["aws-region", "aws-region-wins", "aws-default-region", "setting-wins", "blank", "nothing"],
)
def test_region_precedence(
    bare_env: pytest.MonkeyPatch,
    settings: dict[str, Any],
    setting: str | None,
    environment: dict[str, str],
    expected: str,
) -> None:
    for variable, value in environment.items():
        bare_env.setenv(variable, value)
    built = AWSProvider(**{**settings, "region": setting, "regions": None})
    try:
        assert built.region == expected
        assert built.regions == (expected,)
    finally:
        built.close()


def test_an_unknown_region_in_the_environment_is_invalid(bare_env: pytest.MonkeyPatch) -> None:
    bare_env.setenv("AWS_REGION", "mars-north-1")
    with pytest.raises(ProviderError) as caught:
        AWSProvider(**DUMMY_CREDENTIALS)
    assert caught.value.code is ErrorCode.INVALID_SPEC
    assert "mars-north-1" in caught.value.message
