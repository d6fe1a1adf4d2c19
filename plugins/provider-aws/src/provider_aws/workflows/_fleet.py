"""spot_fleet: count instances across instance types and AZs, spot first and on-demand for the rest.

Every instance is launched through the handle (ctx.spawn: RunInstances, with InstanceMarketOptions for
spot), so wrappers see each one and spawn_tags reach it; there is no launch template or EC2 Fleet to clean
up. A pool is one (instance type, zone) pair; a pool that answers CAPACITY_ERROR is left for the next.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from attrs import evolve, frozen

from provider_aws._errors import aws_code
from provider_aws._launch import invalid
from provider_aws.workflows._common import available_zones, member_key
from provider_core import ErrorCode, ProviderError, ProviderInstance, SpawnOptions

if TYPE_CHECKING:
    from provider_aws._provider import AWSProvider
    from provider_core.author import WorkflowContext

log = logging.getLogger("provider_aws")

Pool = tuple[str, str]  # (instance type, availability zone)


@frozen
class FleetResult:
    instances: tuple[ProviderInstance, ...]
    spot_count: int
    on_demand_count: int
    # What EC2 reported for each market that fell short, "market: code: message".
    errors: tuple[str, ...]


def spot_fleet(
    ctx: WorkflowContext[AWSProvider],
    options: SpawnOptions,
    *,
    instance_types: Sequence[str],
    count: int = 1,
    zones: Sequence[str] | None = None,
    on_demand_fallback: bool = True,
) -> FleetResult:
    """Launch count instances, one ctx.spawn each: spot across the offered type x AZ pools first, then
    on-demand for the rest when on_demand_fallback. Raises CAPACITY_ERROR when nothing could be launched.

    With an idempotency key, the i-th instance gets the key f"{key}-{i}" in either market, so a retry of the
    whole workflow replays the same ClientTokens: at most one instance per member, ever.
    """
    if count < 1 or not instance_types:
        raise invalid("spot_fleet needs count >= 1 and at least one instance type")
    provider = ctx.provider
    region = provider.access.check_region(options.region or provider.region)
    for instance_type in instance_types:
        provider.catalog.instance_type(region, instance_type)
    candidates = list(zones) if zones else available_zones(provider, region)
    pools = [
        (t, z) for t in instance_types for z in candidates if z in provider.catalog.offered_zones(region, t)
    ]
    if not pools:
        raise invalid(f"none of {', '.join(instance_types)} is offered in the zones asked for")
    fleet = _Fleet(ctx, pools, count)
    try:
        spot = fleet.fill(evolve(options, spot=True))
        demand = 0
        if fleet.short and on_demand_fallback:
            demand = fleet.fill(evolve(options, spot=False, max_price_per_hour=None))
        if fleet.short and fleet.mismatch is not None:
            raise fleet.mismatch  # the key was used before with other options: not a capacity problem
        if not fleet.launched:
            raise ProviderError(
                ErrorCode.CAPACITY_ERROR,
                "fleet launched nothing: " + "; ".join(fleet.errors),
                provider=provider.name,
            )
    except BaseException:
        # The caller gets no ids when this raises, so nothing this call launched may stay running.
        _release(ctx, [i.id for i in fleet.launched])
        raise
    return FleetResult(tuple(fleet.launched), spot, demand, tuple(fleet.errors))


class _Fleet:
    """The members launched so far, in order, and what EC2 said about the pools that could not take one."""

    def __init__(self, ctx: WorkflowContext[AWSProvider], pools: list[Pool], count: int) -> None:
        self._ctx = ctx
        self._pools = pools
        self._count = count
        self.launched: list[ProviderInstance] = []
        self.errors: list[str] = []
        # IdempotentParameterMismatch for the first member no pool would take, when that was the reason.
        self.mismatch: ProviderError | None = None

    @property
    def short(self) -> bool:
        return len(self.launched) < self._count

    def fill(self, options: SpawnOptions) -> int:
        """Launch the remaining members in options' market, walking the pools; returns how many."""
        market = "spot" if options.spot else "on-demand"
        first = len(self.launched)
        open_pools = list(self._pools)
        shortage: ProviderError | None = None
        while self.short and open_pools:
            member = _member(options, len(self.launched))
            placed, mismatch = None, None
            for pool in list(open_pools):
                instance_type, zone = pool
                try:
                    placed = self._ctx.spawn(evolve(member, instance_type=instance_type, zone=zone))
                    break
                except ProviderError as exc:
                    if exc.code is ErrorCode.CAPACITY_ERROR:
                        shortage = exc
                        open_pools.remove(pool)  # no room there now: the next members skip it too
                    elif member.idempotency_key and aws_code(exc) == "IdempotentParameterMismatch":
                        # An earlier run launched this member with this ClientToken in another pool or
                        # market, which gives it back: only this pool is skipped, for this member only.
                        mismatch = exc
                    else:
                        raise
            self.mismatch = mismatch if placed is None else None
            if placed is None:
                break  # this market cannot place the member: the rest go to the next market, if any
            self.launched.append(placed)
        if shortage is not None and self.short:
            self.errors.append(f"{market}: {aws_code(shortage) or shortage.code}: {shortage.message}")
        log.info("spot_fleet: %d %s instance(s) launched", len(self.launched) - first, market)
        return len(self.launched) - first


def _member(options: SpawnOptions, index: int) -> SpawnOptions:
    if options.idempotency_key is None:
        return options
    return evolve(options, idempotency_key=member_key(options.idempotency_key, index))


def _release(ctx: WorkflowContext[AWSProvider], ids: list[str]) -> None:
    """Terminate what a failed call launched, through the handle; if that fails, say which ids to sweep."""
    failed = []
    for instance_id in ids:
        try:
            ctx.terminate(instance_id)
        except ProviderError as exc:
            failed.append(instance_id)
            log.error("spot_fleet: failed, and launched instance %s was not terminated: %s", instance_id, exc)
    if ids and not failed:
        log.warning("spot_fleet: failed; terminated the instances it had launched: %s", ids)
