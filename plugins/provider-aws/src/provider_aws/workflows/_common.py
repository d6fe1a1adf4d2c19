"""Helpers shared by the workflows."""

from __future__ import annotations

from attrs import evolve

from provider_aws._provider import AWSProvider
from provider_aws._types import AWSInstance
from provider_core import ProviderInstance, SpawnOptions, managed_tags, project


def managed(options: SpawnOptions) -> SpawnOptions:
    """Workflows launch outside the handle's spawn, so they add the core's management tags themselves."""
    return evolve(options, tags={**options.tags, **managed_tags(options)})


def generic(instance: AWSInstance) -> ProviderInstance:
    return project(instance, ProviderInstance)


def available_zones(provider: AWSProvider, region: str) -> list[str]:
    found = provider.access.call(
        region,
        lambda c: c.describe_availability_zones(
            Filters=[
                {"Name": "state", "Values": ["available"]},
                {"Name": "zone-type", "Values": ["availability-zone"]},
            ]
        ),
    )
    return sorted(str(z["ZoneName"]) for z in found["AvailabilityZones"])
