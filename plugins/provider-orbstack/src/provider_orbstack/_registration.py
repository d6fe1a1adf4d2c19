"""What the `orbstack` entry point publishes; importing it touches neither SQLite files nor `orb`, and
does not import the provider module (the core imports it by path when the provider is first built)."""

from __future__ import annotations

from provider_core import Capabilities, Tier
from provider_core.author import ComplianceProfile, ProviderRegistration
from provider_orbstack import _catalog as cat
from provider_orbstack._hooks import hooks
from provider_orbstack._settings import OrbStackSettings
from provider_orbstack.testing import test_double

CAPABILITIES = Capabilities(snapshots=True, spot=True, multi_region=True, idempotent_spawn=True)

registration = ProviderRegistration(
    name="orbstack",
    tier=Tier.TESTING,
    capabilities=CAPABILITIES,
    provider="provider_orbstack._provider:OrbStackProvider",
    hooks=(hooks,),
    compliance=ComplianceProfile(
        instance_type="small",
        region=cat.REGIONS[0],
        alt_region=cat.REGIONS[1],
        image=cat.DEFAULT_IMAGE,
        test_double=test_double,
    ),
    settings=OrbStackSettings,
    description="OrbStack machines on macOS, or a SQLite simulation of them anywhere; chaos injection",
)
