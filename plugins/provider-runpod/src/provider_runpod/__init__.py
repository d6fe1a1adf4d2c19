"""provider-runpod: RunPod pods (REST v2) and spot pods (GraphQL) for provider-core."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from provider_runpod._registration import CAPABILITIES, registration
from provider_runpod._settings import RunPodSettings
from provider_runpod._types import STATUS_MAP, RunPodInstance

if TYPE_CHECKING:
    from provider_runpod._provider import RunPodProvider

__all__ = ["CAPABILITIES", "STATUS_MAP", "RunPodInstance", "RunPodProvider", "RunPodSettings", "registration"]


def __getattr__(name: str) -> Any:
    # Discovery imports this package for the registration; the provider class loads only when asked for.
    if name == "RunPodProvider":
        from provider_runpod._provider import RunPodProvider

        return RunPodProvider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
