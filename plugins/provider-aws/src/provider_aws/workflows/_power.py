"""hibernate and resume: stop with RAM kept, and start again (capability `hibernation`)."""

from __future__ import annotations

from provider_aws._provider import AWSProvider
from provider_core import ErrorCode, ProviderError, ProviderInstance
from provider_core.author import WorkflowContext


def hibernate(ctx: WorkflowContext[AWSProvider], provider_id: str) -> ProviderInstance:
    """Stop with Hibernate=True (capability `hibernation`)."""
    _managed(ctx, provider_id)
    ctx.provider.hibernate(provider_id)
    return _managed(ctx, provider_id)


def resume(ctx: WorkflowContext[AWSProvider], provider_id: str) -> ProviderInstance:
    """Start a hibernated (or stopped) instance."""
    _managed(ctx, provider_id)
    ctx.provider.resume(provider_id)
    return _managed(ctx, provider_id)


def _managed(ctx: WorkflowContext[AWSProvider], provider_id: str) -> ProviderInstance:
    """The instance through the handle; an unknown or unmanaged id is NOT_FOUND (the core says which)."""
    instance = ctx.get_instance(provider_id)
    if instance is None:
        raise ProviderError(ErrorCode.NOT_FOUND, f"no managed instance {provider_id}", provider="aws")
    return instance
