"""The `runpod` entry point: read by discovery without importing httpx or contacting RunPod."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any

from provider_core import ComplianceProfile, ProviderRegistration, Setting, Tier
from provider_runpod._provider import CAPABILITIES, RunPodProvider


def _test_double() -> AbstractContextManager[Mapping[str, Any]]:
    # Imported on use: the emulator is only needed by the compliance suite.
    from provider_runpod.testing import test_double

    return test_double()


registration = ProviderRegistration(
    name="runpod",
    tier=Tier.ADDITIONAL,
    capabilities=CAPABILITIES,
    provider=RunPodProvider,
    settings=(
        Setting("api_key", "RunPod API key (sent as a Bearer token only)", env="RUNPOD_API_KEY", secret=True),
        Setting("base_url", "REST v2 base URL (default https://api.runpod.io/v2)", env="RUNPOD_API_URL"),
        Setting(
            "graphql_url",
            "GraphQL endpoint, used for spot pods only (default https://api.runpod.io/graphql)",
            env="RUNPOD_GRAPHQL_URL",
        ),
        Setting("timeout", "seconds per HTTP request (default 30)"),
    ),
    compliance=ComplianceProfile(
        instance_type="NVIDIA RTX A4000",
        region="US-TX-3",
        alt_region="EU-RO-1",
        image="runpod/base:0.6.2-cpu",
        test_double=_test_double,
    ),
    description="RunPod GPU pods over REST v2; spot pods over GraphQL podRentInterruptable",
)
