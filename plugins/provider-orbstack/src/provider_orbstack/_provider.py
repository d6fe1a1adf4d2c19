"""OrbStackProvider: the contract over one of two backends, `sim` (SQLite) or `orbctl` (real OrbStack)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

from provider_core import (
    Capabilities,
    ErrorCode,
    ListFilter,
    Provider,
    ProviderError,
    ProviderSnapshot,
    Setting,
    SnapshotStatus,
    SpawnOptions,
    SpotPrice,
    SpotRequest,
)
from provider_orbstack._db import default_state_dir
from provider_orbstack._errors import PROVIDER, error, map_error
from provider_orbstack._orbctl import OrbCli, OrbctlBackend, find_orb
from provider_orbstack._sim import SimBackend, SimConfig
from provider_orbstack._types import OrbStackInstance

T = TypeVar("T")

CAPABILITIES = Capabilities(snapshots=True, spot=True, multi_region=True, idempotent_spawn=True)

SETTINGS = (
    Setting("backend", "sim, orbctl, or auto (orbctl when orbctl/orb is on PATH)", env="ORBSTACK_BACKEND"),
    Setting("state_path", "sim: SQLite file shared by every process", env="ORBSTACK_SIM_STATE"),
    Setting("boot_delay", "sim: seconds from pending to running", env="ORBSTACK_SIM_BOOT_DELAY"),
    Setting(
        "terminate_delay", "sim: seconds from terminating to terminated", env="ORBSTACK_SIM_TERMINATE_DELAY"
    ),
    Setting("snapshot_delay", "sim: seconds from pending to available", env="ORBSTACK_SIM_SNAPSHOT_DELAY"),
    Setting(
        "max_instances",
        "sim: live machines allowed (QUOTA_EXCEEDED beyond)",
        env="ORBSTACK_SIM_MAX_INSTANCES",
    ),
    Setting("max_vcpus", "sim: live vCPUs allowed (QUOTA_EXCEEDED beyond)", env="ORBSTACK_SIM_MAX_VCPUS"),
    Setting("capacity", 'sim: JSON {"type@region": n} overriding capacity', env="ORBSTACK_SIM_CAPACITY"),
    Setting("orb_path", "orbctl: the orbctl/orb executable", env="ORBSTACK_ORB_PATH"),
    Setting("metadata_path", "orbctl: SQLite file with tags and idempotency keys", env="ORBSTACK_METADATA"),
    Setting("arch", "orbctl: machine architecture passed as `orb create -a`", env="ORBSTACK_ARCH"),
    Setting("orb_timeout", "orbctl: seconds before an orb command is abandoned", env="ORBSTACK_ORB_TIMEOUT"),
)
_ENV = {s.name: s.env for s in SETTINGS if s.env}


def _setting(given: Mapping[str, Any], name: str, default: Any, convert: Callable[[Any], T]) -> T:
    env = _ENV.get(name)
    value = given.get(name)
    if value is None and env is not None:
        value = os.environ.get(env) or None
    if value is None:
        value = default
    try:
        return convert(value)
    except (TypeError, ValueError) as exc:
        raise error(ErrorCode.INVALID_SPEC, f"setting {name}={value!r} is not valid: {exc}") from None


def _capacity(value: Any) -> dict[tuple[str, str], int]:
    raw = json.loads(value) if isinstance(value, str) else dict(value)
    parsed = {}
    for key, count in raw.items():
        instance_type, _, region = str(key).partition("@")
        if not region:
            raise ValueError(f"capacity key {key!r} must be 'type@region'")
        parsed[(instance_type, region)] = int(count)
    return parsed


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


class OrbStackProvider(Provider[OrbStackInstance, ProviderSnapshot]):
    name: ClassVar[str] = PROVIDER
    capabilities: ClassVar[Capabilities] = CAPABILITIES

    def __init__(self, *, clock: Callable[[], float] = time.time, **settings: Any) -> None:
        backend = _setting(settings, "backend", "auto", str)
        orb = _setting(settings, "orb_path", None, _optional_str) or find_orb()
        if backend == "auto":
            backend = "orbctl" if orb else "sim"
        state_dir = default_state_dir()
        self.backend: SimBackend | OrbctlBackend
        if backend == "sim":
            config = SimConfig(
                boot_delay=_setting(settings, "boot_delay", 2.0, float),
                terminate_delay=_setting(settings, "terminate_delay", 1.0, float),
                snapshot_delay=_setting(settings, "snapshot_delay", 2.0, float),
                max_instances=_setting(settings, "max_instances", SimConfig().max_instances, int),
                max_vcpus=_setting(settings, "max_vcpus", SimConfig().max_vcpus, int),
                capacity=_setting(settings, "capacity", {}, _capacity),
            )
            path = _setting(settings, "state_path", state_dir / "orbstack-sim.db", str)
            self.backend = SimBackend(path, config, clock)
        elif backend == "orbctl":
            cli = OrbCli(orb, _setting(settings, "orb_timeout", 600.0, float))
            meta = _setting(settings, "metadata_path", state_dir / "orbstack-metadata.db", str)
            self.backend = OrbctlBackend(cli, meta, _setting(settings, "arch", None, _optional_str), clock)
        else:
            raise error(ErrorCode.INVALID_SPEC, f"backend must be sim, orbctl or auto, not {backend!r}")

    def __repr__(self) -> str:
        return f"<OrbStackProvider backend={self.backend.name}>"

    def _call(self, fn: Callable[..., T], *args: Any) -> T:
        try:
            return fn(*args)
        except ProviderError:
            raise
        except Exception as exc:
            raise map_error(exc) from exc

    def _sim(self, what: str) -> SimBackend:
        if not isinstance(self.backend, SimBackend):
            raise error(ErrorCode.INVALID_SPEC, f"{what} exist only on the sim backend")
        return self.backend

    def spawn(self, options: SpawnOptions) -> OrbStackInstance:
        return self._call(self.backend.spawn, options)

    def terminate(self, provider_id: str) -> None:
        self._call(self.backend.terminate, provider_id)

    def list_instances(self, filter: ListFilter | None = None) -> Sequence[OrbStackInstance]:
        return self._call(self.backend.list_instances, filter)

    def get_instance(self, provider_id: str) -> OrbStackInstance | None:
        return self._call(self.backend.get_instance, provider_id)

    def backend_health(self) -> str:
        """One line on the backend's health; raises ProviderError when it is not usable."""
        return self._call(self.backend.health)

    def create_snapshot(self, provider_id: str, name: str) -> ProviderSnapshot:
        return self._call(self._sim("snapshots").create_snapshot, provider_id, name)

    def get_snapshot_status(self, snapshot_id: str) -> SnapshotStatus:
        return self._call(self._sim("snapshots").get_snapshot_status, snapshot_id)

    def delete_snapshot(self, snapshot_id: str) -> None:
        self._call(self._sim("snapshots").delete_snapshot, snapshot_id)

    def request_spot_instance(self, options: SpawnOptions, max_price_per_hour: float) -> SpotRequest:
        return self._call(self._sim("spot requests").request_spot_instance, options, max_price_per_hour)

    def cancel_spot_request(self, request_id: str) -> None:
        self._call(self._sim("spot requests").cancel_spot_request, request_id)

    def get_spot_prices(self, instance_type: str, region: str | None = None) -> Sequence[SpotPrice]:
        return self._call(self._sim("spot prices").get_spot_prices, instance_type, region)
