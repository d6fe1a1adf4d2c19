"""The `runpod` entry point: read by discovery without importing the provider, httpx or contacting RunPod."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any

from provider_core import Capabilities, Tier
from provider_core.author import ComplianceProfile, ProviderRegistration
from provider_runpod._settings import RunPodSettings

CAPABILITIES = Capabilities(
    gpu=True, spot=True, multi_region=True, persistent_volumes=True, idempotent_spawn=True
)


def _test_double() -> AbstractContextManager[Mapping[str, Any]]:
    # Imported on use: the emulator is only needed by the compliance suite.
    from provider_runpod.testing import test_double

    return test_double()


registration = ProviderRegistration(
    name="runpod",
    tier=Tier.ADDITIONAL,
    capabilities=CAPABILITIES,
    provider="provider_runpod._provider:RunPodProvider",
    settings=RunPodSettings,
    compliance=ComplianceProfile(
        instance_type="NVIDIA RTX A4000",
        region="US-TX-3",
        alt_region="EU-RO-1",
        image="runpod/base:0.6.2-cpu",
        test_double=_test_double,
        forgets_terminated=True,
    ),
    description="RunPod GPU pods over REST v2; spot pods over GraphQL podRentInterruptable",
)
