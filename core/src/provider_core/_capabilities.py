"""Capability flags, tiers and the methods each optional flag requires."""

from __future__ import annotations

from enum import StrEnum

from attrs import field, fields, frozen

from provider_core._validate import of_type


class Tier(StrEnum):
    TESTING = "testing"
    ADDITIONAL = "additional"
    REFERENCE = "reference"


@frozen
class Capabilities:
    """The 11 seed flags; a false flag means the provider rejects the matching input with INVALID_SPEC."""

    snapshots: bool = field(default=False, validator=of_type(bool))
    spot: bool = field(default=False, validator=of_type(bool))
    gpu: bool = field(default=False, validator=of_type(bool))
    multi_region: bool = field(default=False, validator=of_type(bool))
    persistent_volumes: bool = field(default=False, validator=of_type(bool))
    warm_volumes: bool = field(default=False, validator=of_type(bool))
    hibernation: bool = field(default=False, validator=of_type(bool))
    cost_explorer: bool = field(default=False, validator=of_type(bool))
    tailscale_native: bool = field(default=False, validator=of_type(bool))
    idempotent_spawn: bool = field(default=False, validator=of_type(bool))
    custom_networking: bool = field(default=False, validator=of_type(bool))

    @classmethod
    def flag_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def enabled(self) -> tuple[str, ...]:
        return tuple(name for name in self.flag_names() if getattr(self, name))


# Flags that add methods to the provider; declaring one without all its methods breaks the provider.
OPTIONAL_METHODS: dict[str, tuple[str, ...]] = {
    "snapshots": ("create_snapshot", "get_snapshot_status", "delete_snapshot"),
    "spot": ("request_spot_instance", "cancel_spot_request", "get_spot_prices"),
}


def capability_mismatches(capabilities: Capabilities, provider_class: type) -> list[str]:
    """Why the declared flags and the implemented methods disagree (empty when they agree)."""
    problems = []
    for flag, methods in OPTIONAL_METHODS.items():
        present = [m for m in methods if callable(getattr(provider_class, m, None))]
        declared = getattr(capabilities, flag)
        if declared and len(present) < len(methods):
            missing = ", ".join(m for m in methods if m not in present)
            problems.append(f"declares '{flag}' but does not implement {missing}")
        elif not declared and present:
            problems.append(f"implements {', '.join(present)} but does not declare '{flag}'")
    return problems
