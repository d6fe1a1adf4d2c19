"""Enhanced types: an OrbStack machine knows its size and image; the core projects them away."""

from __future__ import annotations

from attrs import frozen

from provider_core import ProviderInstance


@frozen
class OrbStackInstance(ProviderInstance):
    image: str | None = None
    vcpus: int | None = None
    memory_mib: int | None = None
    gpus: int = 0
    backend: str = "sim"
