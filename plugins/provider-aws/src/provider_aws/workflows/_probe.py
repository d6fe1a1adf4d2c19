"""multi_az_probe: find an AZ with capacity and spawn there, leaving nothing behind in the others."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from attrs import evolve, frozen

from provider_aws._errors import aws_code
from provider_aws._launch import run_params
from provider_aws.workflows._common import available_zones
from provider_core import ErrorCode, ProviderError, ProviderInstance, SpawnOptions

if TYPE_CHECKING:
    from provider_aws._provider import AWSProvider
    from provider_core.author import WorkflowContext

log = logging.getLogger("provider_aws")


@frozen
class ProbeResult:
    instance: ProviderInstance
    zone: str
    # Every zone that was not chosen, with why: not offered, DryRun refused, or no capacity.
    losers: dict[str, str]
    probed: tuple[str, ...]


def multi_az_probe(
    ctx: WorkflowContext[AWSProvider], options: SpawnOptions, *, zones: Sequence[str] | None = None
) -> ProbeResult:
    """Spawn in the first AZ with capacity, after probing every AZ concurrently; reports why others lost.

    A probe checks the instance-type offerings, then makes a DryRun launch. Launches go through the handle
    (ctx.spawn) in zone order and fall through to the next zone on CAPACITY_ERROR; CAPACITY_ERROR when no
    zone has room.
    """
    provider = ctx.provider
    region = provider.access.check_region(options.region or provider.region)
    provider.catalog.instance_type(region, options.instance_type)
    candidates = list(zones) if zones else available_zones(provider, region)
    offered = provider.catalog.offered_zones(region, options.instance_type)

    def probe(zone: str) -> str | None:
        if zone not in offered:
            return f"Unsupported: {options.instance_type} is not offered in {zone}"
        # A DryRun launches nothing, so it goes to EC2 directly (no wrapper or tag has anything to see).
        params = run_params(provider.catalog, provider.settings, evolve(options, zone=zone), region)
        params.pop("ClientToken", None)
        try:
            provider.access.call(region, lambda c: c.run_instances(DryRun=True, **params))
        except ProviderError as exc:
            if aws_code(exc) == "DryRunOperation":
                return None
            if exc.code in (ErrorCode.AUTH_ERROR, ErrorCode.INVALID_SPEC, ErrorCode.QUOTA_EXCEEDED):
                raise  # the same in every zone: no point trying the others
            return f"{exc.code}: {exc.message}"
        return "DryRun was not refused as expected"

    with ThreadPoolExecutor(max_workers=min(8, len(candidates) or 1)) as pool:
        verdicts = dict(zip(candidates, pool.map(probe, candidates), strict=True))
    losers = {zone: why for zone, why in verdicts.items() if why is not None}
    for zone in (z for z in candidates if verdicts[z] is None):
        try:
            instance = ctx.spawn(evolve(options, zone=zone))
        except ProviderError as exc:
            if exc.code is not ErrorCode.CAPACITY_ERROR:
                raise
            losers[zone] = f"{exc.code}: {exc.message}"
            continue
        log.info("multi_az_probe: %s won in %s; %d zone(s) lost", instance.id, zone, len(losers))
        return ProbeResult(instance, zone, losers, tuple(candidates))
    summary = "; ".join(f"{z}: {why}" for z, why in losers.items()) or "no zones"
    raise ProviderError(
        ErrorCode.CAPACITY_ERROR,
        f"no zone in {region} could take {options.instance_type}: {summary}",
        provider=provider.name,
    )
