"""provider-runpod: RunPod pods (REST v2) and spot pods (GraphQL) for provider-core."""

from provider_runpod._provider import RunPodProvider
from provider_runpod._registration import registration
from provider_runpod._types import RunPodInstance

__all__ = ["RunPodInstance", "RunPodProvider", "registration"]
