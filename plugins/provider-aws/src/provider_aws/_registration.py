"""The `aws` entry point: what discovery reads. It imports neither boto3 nor the provider module (named by
path) nor the workflows' implementation (the entry points in `workflows` import it on first call)."""

from __future__ import annotations

from provider_aws._hooks import AWSLifecycle
from provider_aws._settings import AWSSettings
from provider_aws.testing import ALT_REGION, REGION, test_double
from provider_aws.workflows import WORKFLOWS
from provider_core import Capabilities, Tier
from provider_core.author import ComplianceProfile, ProviderRegistration

CAPABILITIES = Capabilities(
    snapshots=True,
    spot=True,
    gpu=True,
    multi_region=True,
    warm_volumes=True,
    hibernation=True,
    idempotent_spawn=True,
    custom_networking=True,
)

registration = ProviderRegistration(
    name="aws",
    tier=Tier.REFERENCE,
    capabilities=CAPABILITIES,
    provider="provider_aws._provider:AWSProvider",
    settings=AWSSettings,
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
    description="AWS EC2 via boto3: enhanced types, snapshots, spot, hibernation, AZ/fleet/volume workflows",
)
