"""What provider-lambda publishes under the `provider_core.providers` entry point `lambda`."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any

from provider_core import ComplianceProfile, ProviderRegistration, Tier
from provider_lambda._provider import LambdaProvider
from provider_lambda._settings import SETTINGS


def _test_double() -> AbstractContextManager[Mapping[str, Any]]:
    # Imported on use: discovery never loads the emulator.
    from provider_lambda.testing import test_double

    return test_double()


registration = ProviderRegistration(
    name="lambda",
    tier=Tier.ADDITIONAL,
    capabilities=LambdaProvider.capabilities,
    provider=LambdaProvider,
    compliance=ComplianceProfile(
        instance_type="gpu_1x_a10", region="us-west-1", alt_region="us-east-1", test_double=_test_double
    ),
    settings=SETTINGS,
    description="Lambda Cloud API v1 (GPU instances) over httpx",
)
