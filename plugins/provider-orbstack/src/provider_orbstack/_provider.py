"""OrbStackProvider: the contract over one of two backends, `sim` (SQLite) or `orbctl` (real OrbStack)."""

from __future__ import annotations

import json
import math
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
    except Exception as exc:  # any converter failure is the caller's bad value, never a crash
        raise error(ErrorCode.INVALID_SPEC, f"setting {name}={value!r} is not valid: {exc}") from None


def _text(value: Any) -> str:
    if not isinstance(value, str | os.PathLike):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return os.fspath(value) if isinstance(value, os.PathLike) else value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _count(value: Any) -> int:
    """A whole number >= 0, from an int or its decimal text; 1.5, True and inf are refused, not rounded."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"expected a whole number, got {type(value).__name__}")
    number = float(value)
    if not number.is_integer() or number < 0:
        raise ValueError("expected a whole number >= 0")
    return int(number)


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"expected a number of seconds, got {type(value).__name__}")
    seconds = float(value)
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError("expected a finite number of seconds >= 0")
    return seconds


def _timeout(value: Any) -> float:
    seconds = _seconds(value)
    if seconds == 0:
        raise ValueError("a timeout of 0 s would abandon every command")
    return seconds


def _capacity(value: Any) -> dict[tuple[str, str], int]:
    raw = json.loads(value) if isinstance(value, str) else value
    if not isinstance(raw, Mapping):
        raise TypeError(f'expected a JSON object {{"type@region": n}}, got {type(raw).__name__}')
    parsed = {}
    for key, count in raw.items():
        instance_type, _, region = str(key).partition("@")
        if not instance_type or not region:
            raise ValueError(f"capacity key {key!r} must be 'type@region'")
        parsed[(instance_type, region)] = _count(count)
    return parsed


class OrbStackProvider(Provider[OrbStackInstance, ProviderSnapshot]):
    name: ClassVar[str] = PROVIDER
    capabilities: ClassVar[Capabilities] = CAPABILITIES

    def __init__(self, *, clock: Callable[[], float] = time.time, **settings: Any) -> None:
        backend = _setting(settings, "backend", "auto", _text)
        orb = _setting(settings, "orb_path", None, _optional_text) or find_orb()
        if backend == "auto":
            backend = "orbctl" if orb else "sim"
        state_dir = default_state_dir()
        self.backend: SimBackend | OrbctlBackend
        if backend == "sim":
            config = SimConfig(
                boot_delay=_setting(settings, "boot_delay", 2.0, _seconds),
                terminate_delay=_setting(settings, "terminate_delay", 1.0, _seconds),
                snapshot_delay=_setting(settings, "snapshot_delay", 2.0, _seconds),
                max_instances=_setting(settings, "max_instances", SimConfig().max_instances, _count),
                max_vcpus=_setting(settings, "max_vcpus", SimConfig().max_vcpus, _count),
                capacity=_setting(settings, "capacity", {}, _capacity),
            )
            path = _setting(settings, "state_path", state_dir / "orbstack-sim.db", _text)
            self.backend = SimBackend(path, config, clock)
        elif backend == "orbctl":
            cli = OrbCli(orb, _setting(settings, "orb_timeout", 600.0, _timeout))
            meta = _setting(settings, "metadata_path", state_dir / "orbstack-metadata.db", _text)
            self.backend = OrbctlBackend(cli, meta, _setting(settings, "arch", None, _optional_text), clock)
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
