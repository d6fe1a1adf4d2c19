"""Settings of the OrbStack provider: declared once; the core resolves and validates every value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from provider_core.author import parsers, setting
from provider_orbstack import _catalog as cat

BACKENDS = ("sim", "orbctl", "auto")


def parse_backend(value: Any) -> str:
    """sim, orbctl or auto."""
    name = parsers.text(value)
    if name not in BACKENDS:
        raise ValueError(f"expected one of {', '.join(BACKENDS)}, got {name!r}")
    return name


def parse_capacity(value: Any) -> dict[tuple[str, str], int]:
    """A JSON object {"type@region": n} (or the same mapping in code) as {(type, region): n}."""
    parsed = {}
    for key, count in parsers.json_object(value).items():
        instance_type, _, region = str(key).partition("@")
        if not instance_type or not region:
            raise ValueError(f"capacity key {key!r} must be 'type@region'")
        parsed[(instance_type, region)] = parsers.count(count)
    return parsed


@frozen
class OrbStackSettings:
    backend: str = setting(
        "auto",
        description="sim, orbctl, or auto (orbctl when orbctl/orb is on PATH)",
        env="ORBSTACK_BACKEND",
        parse=parse_backend,
    )
    # None: orbstack-sim.db under $XDG_STATE_HOME/provider-core, read when the provider is built.
    state_path: str | None = setting(
        None,
        description="sim: SQLite file shared by every process",
        env="ORBSTACK_SIM_STATE",
        parse=parsers.text,
    )
    boot_delay: float = setting(
        2.0,
        description="sim: seconds from pending to running",
        env="ORBSTACK_SIM_BOOT_DELAY",
        parse=parsers.seconds,
    )
    terminate_delay: float = setting(
        1.0,
        description="sim: seconds from terminating to terminated",
        env="ORBSTACK_SIM_TERMINATE_DELAY",
        parse=parsers.seconds,
    )
    snapshot_delay: float = setting(
        2.0,
        description="sim: seconds from pending to available",
        env="ORBSTACK_SIM_SNAPSHOT_DELAY",
        parse=parsers.seconds,
    )
    max_instances: int = setting(
        cat.DEFAULT_MAX_INSTANCES,
        description="sim: live machines allowed (QUOTA_EXCEEDED beyond)",
        env="ORBSTACK_SIM_MAX_INSTANCES",
        parse=parsers.count,
    )
    max_vcpus: int = setting(
        cat.DEFAULT_MAX_VCPUS,
        description="sim: live vCPUs allowed (QUOTA_EXCEEDED beyond)",
        env="ORBSTACK_SIM_MAX_VCPUS",
        parse=parsers.count,
    )
    # None: the catalogue's capacity; given pairs override it.
    capacity: Mapping[tuple[str, str], int] | None = setting(
        None,
        description='sim: JSON {"type@region": n} overriding capacity',
        env="ORBSTACK_SIM_CAPACITY",
        parse=parse_capacity,
    )
    # None: orbctl, else orb, from PATH.
    orb_path: str | None = setting(
        None, description="orbctl: the orbctl/orb executable", env="ORBSTACK_ORB_PATH", parse=parsers.text
    )
    # None: orbstack-metadata.db under $XDG_STATE_HOME/provider-core.
    metadata_path: str | None = setting(
        None,
        description="orbctl: SQLite file with tags and idempotency keys",
        env="ORBSTACK_METADATA",
        parse=parsers.text,
    )
    arch: str | None = setting(
        None,
        description="orbctl: machine architecture passed as `orb create -a`",
        env="ORBSTACK_ARCH",
        parse=parsers.text,
    )
    orb_timeout: float = setting(
        600.0,
        description="orbctl: seconds before an orb command is abandoned",
        env="ORBSTACK_ORB_TIMEOUT",
        parse=parsers.positive_seconds,
    )
