"""The simulated catalogue: machine sizes, regions, prices and per-region capacity (data only)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict

from attrs import frozen


@frozen
class Size:
    vcpus: int
    memory_mib: int
    gpus: int
    price_per_hour: float


SIZES: Mapping[str, Size] = {
    "small": Size(vcpus=1, memory_mib=1024, gpus=0, price_per_hour=0.010),
    "medium": Size(vcpus=2, memory_mib=4096, gpus=0, price_per_hour=0.040),
    "large": Size(vcpus=4, memory_mib=16384, gpus=0, price_per_hour=0.160),
    "gpu.small": Size(vcpus=4, memory_mib=32768, gpus=1, price_per_hour=0.900),
}


class SizeFields(TypedDict):
    vcpus: int | None
    memory_mib: int | None
    gpus: int


def size_fields(instance_type: str) -> SizeFields:
    """The OrbStackInstance fields a size implies (unknown sizes: vCPUs and memory unknown, no GPUs)."""
    size = SIZES.get(instance_type)
    if size is None:
        return SizeFields(vcpus=None, memory_mib=None, gpus=0)
    return SizeFields(vcpus=size.vcpus, memory_mib=size.memory_mib, gpus=size.gpus)


DEFAULT_REGION = "local"
REGIONS: tuple[str, ...] = ("local", "local-2")

# Spot price = on-demand price x this discount; the second region is a little dearer.
SPOT_DISCOUNT: Mapping[str, float] = {"local": 0.30, "local-2": 0.35}

# How many live machines of a size each region holds; overridable with the `capacity` setting.
CAPACITY: Mapping[tuple[str, str], int] = {
    ("small", "local"): 32,
    ("medium", "local"): 16,
    ("large", "local"): 8,
    ("gpu.small", "local"): 2,
    ("small", "local-2"): 16,
    ("medium", "local-2"): 8,
    ("large", "local-2"): 4,
    ("gpu.small", "local-2"): 1,
}

DEFAULT_MAX_INSTANCES = 48
DEFAULT_MAX_VCPUS = 96

# The OrbStack distro a machine runs when SpawnOptions.image is not given.
DEFAULT_IMAGE = "ubuntu"


def spot_price(size_name: str, region: str) -> float:
    return round(SIZES[size_name].price_per_hour * SPOT_DISCOUNT[region], 6)
