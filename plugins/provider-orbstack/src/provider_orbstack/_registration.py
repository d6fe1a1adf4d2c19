"""What the `orbstack` entry point publishes; importing it touches neither SQLite files nor `orb`."""

from __future__ import annotations

from provider_core import ComplianceProfile, ProviderRegistration, Tier
from provider_orbstack import _catalog as cat
from provider_orbstack._hooks import hooks
from provider_orbstack._provider import CAPABILITIES, SETTINGS, OrbStackProvider
from provider_orbstack.testing import test_double

registration = ProviderRegistration(
    name="orbstack",
    tier=Tier.TESTING,
    capabilities=CAPABILITIES,
    provider=OrbStackProvider,
    hooks=(hooks,),
    compliance=ComplianceProfile(
        instance_type="small",
        region=cat.REGIONS[0],
        alt_region=cat.REGIONS[1],
        image=cat.DEFAULT_IMAGE,
        test_double=test_double,
    ),
    settings=SETTINGS,
    description="OrbStack machines on macOS, or a SQLite simulation of them anywhere; chaos injection",
)
