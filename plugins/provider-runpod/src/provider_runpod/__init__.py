"""provider-runpod: RunPod pods (REST v2) and spot pods (GraphQL) for provider-core."""

from __future__ import annotations

from typing import TYPE_CHECKING

from provider_core.author import lazy_exports
from provider_runpod._registration import CAPABILITIES, registration
from provider_runpod._settings import RunPodSettings
from provider_runpod._types import STATUS_MAP, RunPodInstance

if TYPE_CHECKING:
    from provider_runpod._provider import RunPodProvider

__all__ = ["CAPABILITIES", "STATUS_MAP", "RunPodInstance", "RunPodProvider", "RunPodSettings", "registration"]


# Discovery imports this package for the registration: the provider module loads on first use.
__getattr__ = lazy_exports(__name__, {"RunPodProvider": "provider_runpod._provider:RunPodProvider"})
