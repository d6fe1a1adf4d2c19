"""spot_fleet: an EC2 Fleet of type instant across instance types and AZs, spot first, on-demand after."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Sequence
from typing import Any

from attrs import evolve, frozen

from provider_aws._launch import architecture, invalid, launch_specification, run_params
from provider_aws._provider import AWSProvider
from provider_aws._types import tag_list
from provider_aws.workflows._common import available_zones, generic, managed
from provider_core import MANAGED_TAG, ErrorCode, ProviderError, ProviderInstance, SpawnOptions

log = logging.getLogger("provider_aws")

# RunInstances parameters a launch template cannot carry (the fleet's overrides set type and placement).
_NOT_IN_TEMPLATE = {"InstanceType", "Placement", "SubnetId"}


@frozen
class FleetResult:
    instances: tuple[ProviderInstance, ...]
    spot_count: int
    on_demand_count: int
    # What EC2 reported for the pools it could not fill, "code: message".
    errors: tuple[str, ...]


def spot_fleet(
    provider: AWSProvider,
    options: SpawnOptions,
    *,
    instance_types: Sequence[str],
    count: int = 1,
    zones: Sequence[str] | None = None,
    on_demand_fallback: bool = True,
) -> FleetResult:
    """Launch count instances with an instant EC2 Fleet: spot first, then on-demand for the rest.

    Spot is capacity-optimized over every offered type x AZ pool; the on-demand fleet runs only when
    on_demand_fallback is true. Raises CAPACITY_ERROR when nothing could be launched.
    """
    if count < 1 or not instance_types:
        raise invalid("spot_fleet needs count >= 1 and at least one instance type")
    options = managed(evolve(options, instance_type=instance_types[0], spot=False))
    region = provider.access.check_region(options.region or provider.region)
    arches = {architecture(provider.catalog.instance_type(region, t)) for t in instance_types}
    if len(arches) > 1 and not options.image:
        raise invalid("instance types of different architectures need an explicit image")
    candidates = list(zones) if zones else available_zones(provider, region)
    overrides = [
        {"InstanceType": t, "AvailabilityZone": z}
        for t in instance_types
        for z in candidates
        if z in provider.catalog.offered_zones(region, t)
    ]
    if not overrides:
        raise invalid(f"none of {', '.join(instance_types)} is offered in the zones asked for")
    spec = launch_specification(run_params(provider.catalog, provider.launch_settings, options, region))
    data = {k: v for k, v in spec.items() if k not in _NOT_IN_TEMPLATE}
    instance_tags = tag_list({**options.tags, "Name": options.name})
    data["TagSpecifications"] = [
        {"ResourceType": "instance", "Tags": instance_tags},
        {"ResourceType": "volume", "Tags": instance_tags},
    ]
    template = provider.access.call(
        region,
        lambda c: c.create_launch_template(
            LaunchTemplateName=f"provider-core-fleet-{uuid.uuid4().hex[:12]}",
            LaunchTemplateData=data,  # type: ignore[arg-type]
            TagSpecifications=[
                {"ResourceType": "launch-template", "Tags": [{"Key": MANAGED_TAG, "Value": "true"}]}
            ],
        ),
    )["LaunchTemplate"]
    template_id = str(template["LaunchTemplateId"])
    configs = [
        {
            "LaunchTemplateSpecification": {"LaunchTemplateId": template_id, "Version": "$Latest"},
            "Overrides": overrides,
        }
    ]
    errors: list[str] = []
    spot_ids: list[str] = []
    demand_ids: list[str] = []
    try:
        spot_ids = _fleet(provider, region, configs, "spot", count, options.idempotency_key, errors)
        if len(spot_ids) < count and on_demand_fallback:
            remaining = count - len(spot_ids)
            demand_ids = _fleet(
                provider, region, configs, "on-demand", remaining, options.idempotency_key, errors
            )
        ids = spot_ids + demand_ids
        if not ids:
            raise ProviderError(
                ErrorCode.CAPACITY_ERROR,
                "fleet launched nothing: " + "; ".join(errors),
                provider=provider.name,
            )
        launched = {i.id: i for i in provider.describe(region, [{"Name": "instance-id", "Values": ids}])}
    except BaseException:
        # The caller gets no ids when this raises, so nothing this call launched may stay running.
        _release(provider, region, spot_ids + demand_ids)
        raise
    finally:
        # An instant fleet has launched (or not) by the time it returns; the template has no further use.
        try:
            provider.access.call(region, lambda c: c.delete_launch_template(LaunchTemplateId=template_id))
        except ProviderError as exc:
            log.warning("spot_fleet: launch template %s was not deleted: %s", template_id, exc)
    instances = tuple(generic(launched[i]) for i in ids if i in launched)
    return FleetResult(instances, len(spot_ids), len(demand_ids), tuple(errors))


def _release(provider: AWSProvider, region: str, ids: list[str]) -> None:
    """Terminate what a failed fleet call launched; if even that fails, say which ids to sweep."""
    if not ids:
        return
    try:
        provider.access.call(region, lambda c: c.terminate_instances(InstanceIds=ids))
    except ProviderError as exc:
        # They carry the management tags, so provider_core.sweep finds them later.
        log.error("spot_fleet: failed, and launched instances %s were not terminated: %s", ids, exc)
    else:
        log.warning("spot_fleet: failed; terminated the instances it had launched: %s", ids)


def _fleet(
    provider: AWSProvider,
    region: str,
    configs: list[dict[str, Any]],
    market: str,
    count: int,
    idempotency_key: str | None,
    errors: list[str],
) -> list[str]:
    """One instant fleet of count instances in market; EC2 reports unfillable pools in the body."""
    request: dict[str, Any] = {
        "Type": "instant",
        "LaunchTemplateConfigs": configs,
        "TargetCapacitySpecification": {
            "TotalTargetCapacity": count,
            "DefaultTargetCapacityType": market,
            "SpotTargetCapacity": count if market == "spot" else 0,
            "OnDemandTargetCapacity": count if market == "on-demand" else 0,
        },
    }
    if market == "spot":
        request["SpotOptions"] = {"AllocationStrategy": "capacity-optimized"}
    else:
        request["OnDemandOptions"] = {"AllocationStrategy": "lowest-price"}
    if idempotency_key:
        request["ClientToken"] = hashlib.sha256(f"{idempotency_key}/{market}".encode()).hexdigest()[:64]
    try:
        response = provider.access.call(region, lambda c: c.create_fleet(**request))
    except ProviderError as exc:
        if exc.code is not ErrorCode.CAPACITY_ERROR:
            raise
        errors.append(f"{market}: {exc.message}")
        return []
    for error in response.get("Errors") or ():
        errors.append(f"{market}: {error.get('ErrorCode')}: {error.get('ErrorMessage')}")
    return [str(i) for group in response.get("Instances") or () for i in group.get("InstanceIds") or ()]
