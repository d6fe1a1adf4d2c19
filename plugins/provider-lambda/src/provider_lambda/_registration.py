"""What provider-lambda publishes under the `provider_core.providers` entry point `lambda`."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any

from provider_core import Capabilities, Tier
from provider_core.author import ComplianceProfile, ProviderRegistration
from provider_lambda._settings import LambdaSettings

# No spot market, snapshots, volumes or networking in the v1 API; idempotency is tag-and-list.
CAPABILITIES = Capabilities(gpu=True, multi_region=True, idempotent_spawn=True)


def _test_double() -> AbstractContextManager[Mapping[str, Any]]:
    # Imported on use: discovery never loads the emulator.
    from provider_lambda.testing import test_double

    return test_double()


registration = ProviderRegistration(
    name="lambda",
    tier=Tier.ADDITIONAL,
    capabilities=CAPABILITIES,
    # A path: discovery reads the registration without importing the provider.
    provider="provider_lambda._provider:LambdaProvider",
    settings=LambdaSettings,
    compliance=ComplianceProfile(
        instance_type="gpu_1x_a10",
        region="us-west-1",
        alt_region="us-east-1",
        test_double=_test_double,
        forgets_terminated=True,
    ),
    description="Lambda Cloud API v1 (GPU instances) over httpx",
)
