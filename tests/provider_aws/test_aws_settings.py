"""Settings and the environment variables they declare: `check --set` passes settings through those."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from provider_aws import AWSProvider, AWSSettings
from provider_aws._registration import registration
from provider_aws.testing import ALT_REGION, DUMMY_CREDENTIALS, Ec2Control
from provider_core import ErrorCode, ProviderError, ProviderRegistry, SpawnOptions
from provider_core.author import resolve_settings

MakeProvider = Callable[..., AWSProvider]

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
    env = next(s.env for s in registration.declared_settings() if s.name == name)
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
    make_provider: MakeProvider,
    settings: dict[str, Any],
    setting: str | None,
    environment: dict[str, str],
    expected: str,
) -> None:
    for variable, value in environment.items():
        bare_env.setenv(variable, value)
    built = make_provider(**{**settings, "region": setting, "regions": None})
    assert built.region == expected
    assert built.regions == (expected,)


def test_an_unknown_region_in_the_environment_is_invalid(bare_env: pytest.MonkeyPatch) -> None:
    bare_env.setenv("AWS_REGION", "mars-north-1")
    with pytest.raises(ProviderError) as caught:
        AWSProvider(AWSSettings(aws_access_key_id="testing", aws_secret_access_key="testing"))
    assert caught.value.code is ErrorCode.INVALID_SPEC
    assert "mars-north-1" in caught.value.message


SDK_SETTINGS = {
    "region",
    "endpoint_url",
    "profile",
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
}


def test_boto3_settings_are_sdk_env_and_default_to_none() -> None:
    declared = {s.name: s for s in registration.declared_settings()}
    assert {name for name, s in declared.items() if s.sdk_env} == SDK_SETTINGS
    assert all(declared[name].default is None and declared[name].env for name in SDK_SETTINGS)
    assert {name for name, s in declared.items() if s.secret} == {
        "aws_secret_access_key",
        "aws_session_token",
    }


def test_the_core_never_reads_the_sdk_variables() -> None:
    environ = {
        "AWS_REGION": "eu-west-1",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
        "AWS_PROFILE": "someone",
        "AWS_ACCESS_KEY_ID": "AKIAENV",
        "AWS_SECRET_ACCESS_KEY": "env-secret-value",
        "AWS_SESSION_TOKEN": "env-session-token",
    }
    assert resolve_settings(AWSSettings, {}, provider="aws", environ=environ) == AWSSettings()


def test_credentials_come_from_boto3s_chain_unless_given(
    bare_env: pytest.MonkeyPatch, make_provider: MakeProvider
) -> None:
    bare_env.setenv("AWS_ACCESS_KEY_ID", "AKIAFROMENV")
    bare_env.setenv("AWS_SECRET_ACCESS_KEY", "secret-from-env")
    from_chain = make_provider().access.session.get_credentials()
    assert from_chain is not None
    assert from_chain.access_key == "AKIAFROMENV"
    explicit = make_provider(**DUMMY_CREDENTIALS).access.session.get_credentials()
    assert explicit is not None
    assert explicit.access_key == DUMMY_CREDENTIALS["aws_access_key_id"]


def test_settings_are_typed() -> None:
    given = {
        "regions": "us-west-2, us-east-1,,us-west-2",
        "security_group_ids": ["sg-1", "sg-2"],
        "hibernation": "yes",
        "connect_timeout": "2.5",
        "read_timeout": 9,
    }
    resolved = resolve_settings(AWSSettings, given, provider="aws")
    assert resolved.regions == ("us-west-2", "us-east-1")
    assert resolved.security_group_ids == ("sg-1", "sg-2")
    assert resolved.hibernation is True
    assert (resolved.connect_timeout, resolved.read_timeout) == (2.5, 9.0)
    assert AWSSettings().hibernation is False


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("hibernation", "maybe"),
        ("read_timeout", "0"),
        ("connect_timeout", "-1"),
        ("endpoint_url", "not a url"),
    ],
)
def test_a_bad_value_names_the_setting_and_the_provider(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=rf"setting '{name}' of provider 'aws'"):
        resolve_settings(AWSSettings, {name: value}, provider="aws")


def test_secret_settings_stay_out_of_reprs() -> None:
    secret = "s3cr3t-value-that-must-not-leak"
    resolved = resolve_settings(AWSSettings, {"aws_secret_access_key": secret}, provider="aws")
    assert resolved.aws_secret_access_key == secret
    assert secret not in repr(resolved)
