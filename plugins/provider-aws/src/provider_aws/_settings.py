"""The aws provider's settings, resolved by the core (explicit > environment > default).

Credentials, region, endpoint and profile stay boto3's: they are `sdk_env` settings, so the core never reads
their variables; a value reaches boto3 only when it is given explicitly, and boto3's own chain (environment,
profiles, SSO, instance roles) decides otherwise, with its precedence untouched.
"""

from __future__ import annotations

from attrs import frozen

from provider_core.author import parsers, setting


@frozen
class AWSSettings:
    region: str | None = setting(
        None,
        description="default region for spawn and lookups (else AWS_REGION, AWS_DEFAULT_REGION, the "
        "profile's, us-east-1)",
        env="AWS_REGION",
        sdk_env=True,
        parse=parsers.text,
    )
    regions: tuple[str, ...] = setting(
        (),
        description="extra regions listed (concurrently) when a ListFilter names none; comma-separated",
        parse=parsers.names,
    )
    endpoint_url: str | None = setting(
        None,
        description="EC2/SSM endpoint override, e.g. a local moto server",
        env="AWS_ENDPOINT_URL",
        sdk_env=True,
        parse=parsers.url,
    )
    profile: str | None = setting(
        None,
        description="shared config/credentials profile",
        env="AWS_PROFILE",
        sdk_env=True,
        parse=parsers.text,
    )
    aws_access_key_id: str | None = setting(
        None,
        description="explicit access key (else boto3's chain)",
        env="AWS_ACCESS_KEY_ID",
        sdk_env=True,
        parse=parsers.text,
    )
    aws_secret_access_key: str | None = setting(
        None,
        description="explicit secret key",
        env="AWS_SECRET_ACCESS_KEY",
        sdk_env=True,
        secret=True,
        parse=parsers.text,
    )
    aws_session_token: str | None = setting(
        None,
        description="explicit session token",
        env="AWS_SESSION_TOKEN",
        sdk_env=True,
        secret=True,
        parse=parsers.text,
    )
    image: str | None = setting(
        None,
        description="default AMI (else the latest Amazon Linux 2023 for the type's architecture)",
        parse=parsers.text,
    )
    subnet_id: str | None = setting(
        None, description="default subnet (else the default VPC)", parse=parsers.text
    )
    security_group_ids: tuple[str, ...] = setting(
        (), description="default security groups; comma-separated", parse=parsers.names
    )
    ssh_key_name: str | None = setting(None, description="default EC2 key pair name", parse=parsers.text)
    hibernation: bool = setting(
        False,
        description="launch with hibernation configured (encrypted root) so hibernate works",
        parse=parsers.flag,
    )
    connect_timeout: float = setting(
        5.0, description="seconds to connect to EC2", parse=parsers.positive_seconds
    )
    read_timeout: float = setting(
        30.0, description="seconds to wait for an EC2 response", parse=parsers.positive_seconds
    )
