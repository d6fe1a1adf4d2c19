"""Provider-specific contracts, as a provider distribution ships them in ProviderRegistration.contracts."""

from __future__ import annotations

from collections.abc import Callable

from provider_core import ProviderHandle, ProviderInstance, SpawnOptions
from provider_core.author import ComplianceProfile, ProviderRegistration
from provider_core.testing import requires


class MemoryContract:
    def test_default_region_is_the_profile_region(
        self, handle: ProviderHandle, profile: ComplianceProfile, registration: ProviderRegistration
    ) -> None:
        assert handle.name == registration.name
        assert handle.provider.region == profile.region  # type: ignore[attr-defined]

    def test_tracked_spawn_is_cleaned_up(
        self,
        handle: ProviderHandle,
        profile: ComplianceProfile,
        unique_name: str,
        track: Callable[[ProviderInstance | str], None],
    ) -> None:
        instance = handle.spawn(SpawnOptions(name=f"{unique_name}-own", instance_type=profile.instance_type))
        track(instance)
        assert handle.get_instance(instance.id) is not None


class FailingContract:
    def test_broken_rule(self, handle: ProviderHandle) -> None:
        raise AssertionError(f"contract rule broken by {handle.name}")


class LeakyContract:
    """Spawns without tracking: the leak check must still find the instance by its run-prefixed name."""

    def test_spawn_untracked(
        self, handle: ProviderHandle, profile: ComplianceProfile, unique_name: str
    ) -> None:
        handle.spawn(SpawnOptions(name=f"{unique_name}-untracked", instance_type=profile.instance_type))


@requires("snapshots")
class SnapshotContract:
    def test_snapshots_group_present(self, handle: ProviderHandle) -> None:
        assert handle.snapshots is not None
