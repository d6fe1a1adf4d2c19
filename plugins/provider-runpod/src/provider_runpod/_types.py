"""RunPodInstance: the generic instance plus what a pod adds (the core projects it back)."""

from __future__ import annotations

from attrs import frozen

from provider_core import ProviderInstance


@frozen
class RunPodInstance(ProviderInstance):
    gpu_count: int | None = None
    cost_per_hour: float | None = None
    image: str | None = None
    network_volume_id: str | None = None
