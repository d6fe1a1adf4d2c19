"""The emulator's default world: Lambda's public region codes and a few instance types."""

from __future__ import annotations

from typing import Any

# PublicRegionCode of spec 1.8.3, with the emulator's own descriptions.
REGIONS: dict[str, str] = {
    "us-west-1": "California, USA",
    "us-west-2": "Arizona, USA",
    "us-west-3": "Utah, USA",
    "us-east-1": "Virginia, USA",
    "us-east-2": "Washington DC, USA",
    "us-east-3": "Ohio, USA",
    "us-south-1": "Texas, USA",
    "us-south-2": "North Texas, USA",
    "us-south-3": "Central Texas, USA",
    "us-midwest-1": "Illinois, USA",
    "us-midwest-2": "Iowa, USA",
    "europe-central-1": "Germany",
    "asia-south-1": "India",
    "asia-northeast-1": "Osaka, Japan",
    "asia-northeast-2": "Tokyo, Japan",
    "australia-east-1": "Sydney, Australia",
    "me-west-1": "Israel",
}


def _type(
    name: str, gpu: str, gpus: int, cents: int, vcpus: int, memory: int, storage: int
) -> dict[str, Any]:
    return {
        "name": name,
        "description": f"{gpus}x {gpu}",
        "gpu_description": gpu,
        "price_cents_per_hour": cents,
        "specs": {"vcpus": vcpus, "memory_gib": memory, "storage_gib": storage, "gpus": gpus},
    }


INSTANCE_TYPES: dict[str, dict[str, Any]] = {
    t["name"]: t
    for t in (
        _type("gpu_1x_a10", "A10 (24 GB PCIe)", 1, 75, 30, 200, 1400),
        _type("gpu_1x_a100_sxm4", "A100 (40 GB SXM4)", 1, 129, 30, 200, 512),
        _type("gpu_8x_h100_sxm5", "H100 (80 GB SXM5)", 8, 2392, 208, 1800, 24780),
    )
}

# Launch slots per instance type and region; a type absent here has no capacity anywhere.
CAPACITY: dict[str, dict[str, int]] = {
    "gpu_1x_a10": {"us-west-1": 1000, "us-east-1": 1000},
    "gpu_1x_a100_sxm4": {"us-east-1": 1000},
}

DEFAULT_SSH_KEY = "emulator-key"
DEFAULT_PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEmulatorOnlyNotARealKey emulator"
