"""What the provider talks to: one of two backends, chosen from the settings.

`sim` keeps machines in SQLite (_sim.py); `orbctl` drives real OrbStack through its CLI (_orbctl.py).
Both store what OrbStack itself cannot (tags, idempotency keys) through _db.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Protocol

from provider_core import ListFilter, ProviderInstance, SpawnOptions
from provider_orbstack._db import default_state_dir
from provider_orbstack._orbctl import OrbCli, OrbctlBackend, find_orb
from provider_orbstack._settings import OrbStackSettings
from provider_orbstack._sim import SimBackend, SimConfig
from provider_orbstack._types import OrbStackInstance


class Backend(Protocol):
    """The machine calls both backends answer; snapshots and spot exist on the sim only."""

    name: str

    def spawn(self, options: SpawnOptions) -> OrbStackInstance: ...

    def terminate(self, provider_id: str) -> None: ...

    def list_instances(self, filter: ListFilter | None = None) -> Sequence[ProviderInstance]:
        """Machines: at least the managed ones filter matches (a backend may narrow by it, or not)."""
        ...

    def get_instance(self, provider_id: str) -> OrbStackInstance | None: ...

    def health(self) -> str:
        """One line on the backend's health; raises when it is not usable."""
        ...


def open_backend(settings: OrbStackSettings, clock: Callable[[], float] = time.time) -> Backend:
    """The backend the settings ask for; `auto` is orbctl when orbctl/orb is on PATH, else the sim."""
    orb = settings.orb_path or find_orb()
    backend = "orbctl" if settings.backend == "auto" and orb else settings.backend
    state_dir = default_state_dir()
    if backend in ("sim", "auto"):
        config = SimConfig(
            boot_delay=settings.boot_delay,
            terminate_delay=settings.terminate_delay,
            snapshot_delay=settings.snapshot_delay,
            max_instances=settings.max_instances,
            max_vcpus=settings.max_vcpus,
            capacity=settings.capacity,
        )
        return SimBackend(settings.state_path or state_dir / "orbstack-sim.db", config, clock)
    if backend == "orbctl":
        meta = settings.metadata_path or state_dir / "orbstack-metadata.db"
        return OrbctlBackend(OrbCli(orb, settings.orb_timeout), meta, settings.arch, clock)
    # Only an OrbStackSettings built in code without the core's parsing gets here.
    raise ValueError(f"backend must be sim, orbctl or auto, not {backend!r}")
