"""Provider workflows: callables taking the built AWSProvider first; the handle binds it
(`handle.workflows["multi_az_probe"](options)`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from provider_aws._provider import AWSProvider
from provider_aws.workflows._common import generic
from provider_aws.workflows._fleet import FleetResult, spot_fleet
from provider_aws.workflows._probe import ProbeResult, multi_az_probe
from provider_aws.workflows._warm import WarmSpawn, WarmVolumePool, warm_volumes
from provider_core import ProviderInstance


def hibernate(provider: AWSProvider, provider_id: str) -> ProviderInstance:
    """Stop with Hibernate=True (capability `hibernation`)."""
    return generic(provider.hibernate(provider_id))


def resume(provider: AWSProvider, provider_id: str) -> ProviderInstance:
    """Start a hibernated (or stopped) instance."""
    return generic(provider.resume(provider_id))


WORKFLOWS: dict[str, Callable[..., Any]] = {
    "multi_az_probe": multi_az_probe,
    "spot_fleet": spot_fleet,
    "warm_volumes": warm_volumes,
    "hibernate": hibernate,
    "resume": resume,
}

__all__ = [
    "WORKFLOWS",
    "FleetResult",
    "ProbeResult",
    "WarmSpawn",
    "WarmVolumePool",
    "hibernate",
    "multi_az_probe",
    "resume",
    "spot_fleet",
    "warm_volumes",
]
