"""Provider workflows, `fn(ctx: WorkflowContext[AWSProvider], ...)`: the handle binds ctx
(`handle.workflows["multi_az_probe"](options)`). Every instance they create, read or destroy goes through
ctx (the handle's hook path), so wrappers, spawn_tags and the core's rules see it.

The entry points here import their implementation on first call: the registration, which discovery
imports, references them without importing the implementation or the provider module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from provider_core import ErrorCode, ProviderError, ProviderInstance, SpawnOptions

if TYPE_CHECKING:
    from provider_aws._provider import AWSProvider
    from provider_aws.workflows._fleet import FleetResult
    from provider_aws.workflows._probe import ProbeResult
    from provider_aws.workflows._warm import WarmVolumePool
    from provider_core.author import WorkflowContext


def multi_az_probe(
    ctx: WorkflowContext[AWSProvider], options: SpawnOptions, *, zones: Sequence[str] | None = None
) -> ProbeResult:
    """Spawn in the first AZ with capacity after a concurrent DryRun probe of every AZ; says why others lost."""
    from provider_aws.workflows._probe import multi_az_probe as run

    return run(ctx, options, zones=zones)


def spot_fleet(
    ctx: WorkflowContext[AWSProvider],
    options: SpawnOptions,
    *,
    instance_types: Sequence[str],
    count: int = 1,
    zones: Sequence[str] | None = None,
    on_demand_fallback: bool = True,
) -> FleetResult:
    """Launch count instances one by one: spot across type x AZ pools first, then on-demand for the rest."""
    from provider_aws.workflows._fleet import spot_fleet as run

    return run(
        ctx,
        options,
        instance_types=instance_types,
        count=count,
        zones=zones,
        on_demand_fallback=on_demand_fallback,
    )


def warm_volumes(
    ctx: WorkflowContext[AWSProvider],
    snapshot_id: str,
    *,
    zone: str,
    size: int = 2,
    region: str | None = None,
    volume_type: str = "gp3",
    attach_timeout: float = 300.0,
) -> WarmVolumePool:
    """Keep size EBS volumes from snapshot_id ready in zone; pool.spawn attaches one at launch."""
    from provider_aws.workflows._warm import warm_volumes as run

    return run(
        ctx,
        snapshot_id,
        zone=zone,
        size=size,
        region=region,
        volume_type=volume_type,
        attach_timeout=attach_timeout,
    )


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


WORKFLOWS: dict[str, Callable[..., Any]] = {
    "multi_az_probe": multi_az_probe,
    "spot_fleet": spot_fleet,
    "warm_volumes": warm_volumes,
    "hibernate": hibernate,
    "resume": resume,
}

__all__ = ["WORKFLOWS", "hibernate", "multi_az_probe", "resume", "spot_fleet", "warm_volumes"]
