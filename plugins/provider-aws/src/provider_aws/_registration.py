"""The `aws` entry point: what discovery reads without importing boto3."""

from __future__ import annotations

from provider_aws._hooks import AWSLifecycle
from provider_aws._provider import CAPABILITIES, AWSProvider
from provider_aws.testing import ALT_REGION, REGION, test_double
from provider_aws.workflows import WORKFLOWS
from provider_core import ComplianceProfile, ProviderRegistration, Setting, Tier

SETTINGS = (
    Setting(
        "region",
        "default region for spawn and lookups (else AWS_DEFAULT_REGION, the profile, us-east-1)",
        env="AWS_REGION",
    ),
    Setting("regions", "extra regions listed (concurrently) when a ListFilter names none; comma-separated"),
    Setting("endpoint_url", "EC2 endpoint override, e.g. a local moto server", env="AWS_ENDPOINT_URL"),
    Setting("profile", "shared config/credentials profile", env="AWS_PROFILE"),
    Setting("aws_access_key_id", "explicit access key (else boto3's chain)", env="AWS_ACCESS_KEY_ID"),
    Setting("aws_secret_access_key", "explicit secret key", env="AWS_SECRET_ACCESS_KEY", secret=True),
    Setting("aws_session_token", "explicit session token", env="AWS_SESSION_TOKEN", secret=True),
    Setting("image", "default AMI (else the latest Amazon Linux 2023 for the type's architecture)"),
    Setting("subnet_id", "default subnet (else the default VPC)"),
    Setting("security_group_ids", "default security groups; comma-separated"),
    Setting("ssh_key_name", "default EC2 key pair name"),
    Setting("hibernation", "launch with hibernation configured (encrypted root) so hibernate works"),
    Setting("connect_timeout", "seconds to connect to EC2 (default 5)"),
    Setting("read_timeout", "seconds to wait for an EC2 response (default 30)"),
    Setting("spot_fulfilment_timeout", "seconds request_spot_instance waits for an instance (default 30)"),
)

registration = ProviderRegistration(
    name="aws",
    tier=Tier.REFERENCE,
    capabilities=CAPABILITIES,
    provider=AWSProvider,
    hooks=(AWSLifecycle(),),
    workflows=WORKFLOWS,
    # Paths, so discovery never imports pytest or the contracts.
    contracts=(
        "provider_aws.testing.contracts:MultiAzProbeContract",
        "provider_aws.testing.contracts:SpotFleetContract",
        "provider_aws.testing.contracts:WarmVolumesContract",
    ),
    compliance=ComplianceProfile(
        instance_type="t3.micro", region=REGION, alt_region=ALT_REGION, test_double=test_double
    ),
    settings=SETTINGS,
    description="AWS EC2 via boto3: enhanced types, snapshots, spot, hibernation, AZ/fleet/volume workflows",
)
