"""Chaos configuration: what to inject, per provider, as frozen attrs built in code or from JSON.

JSON schema (the PROVIDER_CORE_CHAOS contract; unknown keys are rejected so typos do not pass silently):
  {"seed": 7, "providers": {"<name>": {"faults": [Fault...], "drift": Drift, "spot_interruptions": n,
                                       "constraints": Constraints}}}
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
from attrs import field, frozen

from provider_core import ErrorCode, InstanceStatus
from provider_core.hooks import PROVIDER_METHODS
from provider_orbstack import _catalog as cat

ANY_METHOD = "*"
DRIFT_STATUSES = frozenset(
    {
        InstanceStatus.STOPPED,
        InstanceStatus.ERROR,
        InstanceStatus.STOPPING,
        InstanceStatus.UNKNOWN,
        InstanceStatus.PENDING,
    }
)


def _non_negative(_: object, attribute: Any, value: float | int | None) -> None:
    if value is not None and value < 0:
        raise ValueError(f"{attribute.name} must not be negative, got {value!r}")


def _method(_: object, __: Any, value: str) -> None:
    if value != ANY_METHOD and value not in PROVIDER_METHODS:
        raise ValueError(f"fault method must be '*' or one of {', '.join(PROVIDER_METHODS)}, got {value!r}")


def _probability(_: object, __: Any, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"probability must be within [0, 1], got {value!r}")


def _optional_code(value: str | ErrorCode | None) -> ErrorCode | None:
    return None if value is None else ErrorCode(value)


@frozen
class Fault:
    """One injected failure mode for a method. Without code, hang or partial it only adds latency."""

    method: str = field(validator=_method)
    probability: float = field(default=1.0, converter=float, validator=_probability)
    code: ErrorCode | None = field(default=None, converter=_optional_code)
    retry_after: float | None = field(default=None, validator=_non_negative)
    times: int | None = field(default=None, validator=_non_negative)  # None: no limit
    latency_s: float = field(default=0.0, converter=float, validator=_non_negative)
    jitter_s: float = field(default=0.0, converter=float, validator=_non_negative)
    hang_s: float = field(default=0.0, converter=float, validator=_non_negative)
    # Let the call succeed, then raise: the instance exists but the caller never learns its id.
    partial: bool = False

    def applies_to(self, method: str) -> bool:
        return self.method in (ANY_METHOD, method)


def _mapping(value: object, where: str) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{where} must be an object, got {type(value).__name__}")
    return value


def _status_counts(value: Mapping[str, int]) -> dict[InstanceStatus, int]:
    counts = {InstanceStatus(k): int(v) for k, v in _mapping(value, "drift.status").items()}
    bad = sorted(s.value for s in counts if s not in DRIFT_STATUSES)
    if bad:
        raise ValueError(f"status drift to {', '.join(bad)} is not supported")
    return counts


@frozen
class Drift:
    """How many instances to drift (each chosen once, then kept drifted while the config holds)."""

    vanish: int = field(default=0, validator=_non_negative)
    orphans: int = field(default=0, validator=_non_negative)
    status: Mapping[InstanceStatus, int] = field(factory=dict, converter=_status_counts)
    retag: int = field(default=0, validator=_non_negative)


def _sizes(value: Mapping[str, Mapping[str, int]]) -> dict[str, tuple[int, int]]:
    known = {name: (size.vcpus, size.gpus) for name, size in cat.SIZES.items()}
    for name, size in _mapping(value, "constraints.sizes").items():
        spec = _mapping(size, f"constraints.sizes.{name}")
        known[name] = (int(spec.get("vcpus", 1)), int(spec.get("gpus", 0)))
    return known


def _regions(value: Iterable[str]) -> frozenset[str]:
    # A bare string is iterable too: "local" would silently become the regions l, o, c, a.
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        kind = type(value).__name__
        raise ValueError(
            f"constraints.exhausted_regions must be a list of region names, not {kind} {value!r}"
        )
    regions = list(value)
    if not all(isinstance(r, str) and r for r in regions):
        raise ValueError(f"constraints.exhausted_regions must hold region names, got {regions!r}")
    return frozenset(regions)


@frozen
class Constraints:
    """Resource limits enforced before spawn, counting what was spawned through this chaos config."""

    max_instances: int | None = field(default=None, validator=_non_negative)
    max_vcpus: int | None = field(default=None, validator=_non_negative)
    max_gpus: int | None = field(default=None, validator=_non_negative)
    # Regions with no capacity left; "*" means every region (and spawns that name none).
    exhausted_regions: frozenset[str] = field(factory=frozenset, converter=_regions)
    # instance type -> (vcpus, gpus); the sim's sizes are known, anything else counts 1 vCPU.
    sizes: Mapping[str, tuple[int, int]] = field(factory=dict, converter=_sizes)


def _faults(value: Iterable[Fault]) -> tuple[Fault, ...]:
    return tuple(value)


@frozen
class ProviderChaos:
    faults: tuple[Fault, ...] = field(default=(), converter=_faults)
    drift: Drift = field(factory=Drift)
    spot_interruptions: int = field(default=0, validator=_non_negative)
    constraints: Constraints = field(factory=Constraints)


@frozen
class ChaosConfig:
    seed: int = 0
    providers: Mapping[str, ProviderChaos] = field(factory=dict)

    @classmethod
    def from_env_value(cls, value: str) -> ChaosConfig:
        """Parse a PROVIDER_CORE_CHAOS value: inline JSON, or `@/path/to/file.json`."""
        if value.startswith("@"):
            return cls.from_json(Path(value[1:]).expanduser().read_text(encoding="utf-8"))
        return cls.from_json(value)

    @classmethod
    def from_json(cls, text: str) -> ChaosConfig:
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChaosConfig:
        _only(data, "chaos config", {"seed", "providers"})
        providers = {}
        for name, spec in dict(data.get("providers") or {}).items():
            _only(spec, f"providers.{name}", {"faults", "drift", "spot_interruptions", "constraints"})
            for i, fault in enumerate(spec.get("faults") or ()):
                _only(fault, f"providers.{name}.faults[{i}]", _names(Fault))
            _only(spec.get("drift") or {}, f"providers.{name}.drift", _names(Drift))
            _only(spec.get("constraints") or {}, f"providers.{name}.constraints", _names(Constraints))
            providers[str(name)] = ProviderChaos(
                faults=tuple(Fault(**fault) for fault in spec.get("faults") or ()),
                drift=Drift(**(spec.get("drift") or {})),
                spot_interruptions=int(spec.get("spot_interruptions") or 0),
                constraints=Constraints(**(spec.get("constraints") or {})),
            )
        return cls(seed=int(data.get("seed") or 0), providers=providers)


def _names(cls: type) -> set[str]:
    return {a.name for a in attrs.fields(cls)}


def _only(data: object, where: str, allowed: set[str]) -> None:
    if not isinstance(data, Mapping):
        raise ValueError(f"{where} must be an object, got {type(data).__name__}")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValueError(
            f"{where} has unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )
