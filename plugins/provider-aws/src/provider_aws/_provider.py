"""AWSProvider: the provider-core contract on EC2 through boto3 (imported only when the provider is built)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any, Protocol

from provider_aws import _optional
from provider_aws._client import Ec2Access
from provider_aws._errors import PROVIDER, aws_code
from provider_aws._launch import Catalog, invalid, run_params
from provider_aws._settings import AWSSettings
from provider_aws._types import STATUS_MAP, AWSInstance, AWSSnapshot, instance_from_ec2
from provider_core import (
    ErrorCode,
    InstanceStatus,
    ListFilter,
    ProviderError,
    SnapshotStatus,
    SpawnOptions,
    SpotPrice,
    SpotRequest,
)
from provider_core.author import MANAGED_TAG, ManagedResource, Provider

log = logging.getLogger("provider_aws")

# ListFilter statuses as EC2 instance-state-name values; ERROR and UNKNOWN have no EC2 counterpart.
EC2_STATE_NAMES: dict[InstanceStatus, str] = {status: name for name, status in STATUS_MAP.items()}


class Closable(Protocol):
    def close(self) -> None: ...


class AWSProvider(Provider[AWSInstance, AWSSnapshot]):
    """EC2 instances tagged provider-core:managed=true; see the README for settings and behaviour."""

    name = PROVIDER
    # spawn honours SpawnOptions.zone (Placement.AvailabilityZone): the workflows place by zone with it.
    placement_zones = True

    def __init__(self, settings: AWSSettings | None = None) -> None:
        self.settings = settings if settings is not None else AWSSettings()
        self._access = Ec2Access(self.settings)
        self.region = self._access.check_region(self._access.default_region)
        extra = [self._access.check_region(r) for r in self.settings.regions]
        self.regions: tuple[str, ...] = tuple(dict.fromkeys([self.region, *extra]))
        self._catalog = Catalog(self._access)
        self._where: dict[str, str] = {}  # resource id -> region, learned from spawns, listings and lookups
        self._where_lock = threading.Lock()
        self._closers: list[Closable] = []

    def __repr__(self) -> str:
        return f"<AWSProvider regions={list(self.regions)}>"

    # -- core contract ---------------------------------------------------------------------------

    def spawn(self, options: SpawnOptions) -> AWSInstance:
        region = self._access.check_region(options.region or self.region)
        params = run_params(self._catalog, self.settings, options, region)
        try:
            reservation = self._access.call(region, lambda c: c.run_instances(**params))
        except ProviderError as exc:
            if aws_code(exc) != "IdempotentInstanceTerminated":
                raise
            # The contract: a key is bound to the first instance made with it, for good. EC2 refuses to
            # replay the token of a terminated instance; that instance is the answer, not a new one.
            token = params["ClientToken"]
            terminated = self.describe(region, [{"Name": "client-token", "Values": [token]}])
            if not terminated:
                raise
            return terminated[0]
        instance = instance_from_ec2(reservation["Instances"][0], region)
        self._remember(instance.id, region)
        log.info("spawned %s (%s) in %s", instance.id, options.instance_type, instance.availability_zone)
        return instance

    def terminate(self, provider_id: str) -> None:
        # The core looked the instance up just before (get_instance), so its region is the remembered one.
        self._access.call(
            self.region_of(provider_id), lambda c: c.terminate_instances(InstanceIds=[provider_id])
        )
        log.info("terminated %s", provider_id)

    def list_instances(self, filter: ListFilter | None = None) -> Sequence[AWSInstance]:
        wanted = filter or ListFilter()
        if wanted.region is not None:
            regions: tuple[str, ...] = (self._access.check_region(wanted.region),)
        else:
            regions = self.regions
        # Server side, so listing stays at one DescribeInstances (page) per region; the core re-applies
        # the filter and the management rule.
        filters = _server_filters(wanted)
        if filters is None:
            return []
        found = self._access.each_region(regions, lambda r: self.describe(r, filters))
        return [i for batch in found for i in batch]

    def get_instance(self, provider_id: str) -> AWSInstance | None:
        """The instance in whichever configured region has it (the remembered one first), managed or not."""
        for region in self._search_order(provider_id):
            try:
                reservations = self._access.call(
                    region, lambda c: c.describe_instances(InstanceIds=[provider_id])
                )["Reservations"]
            except ProviderError as exc:
                if exc.code is ErrorCode.NOT_FOUND:
                    continue
                raise
            for reservation in reservations:
                for item in reservation.get("Instances") or ():
                    self._remember(provider_id, region)
                    return instance_from_ec2(item, region)
        return None

    # -- snapshots (EBS snapshot of the root volume) -------------------------------------------

    def create_snapshot(self, provider_id: str, name: str) -> AWSSnapshot:
        return _optional.create_snapshot(self, provider_id, name)

    def get_snapshot_status(self, snapshot_id: str) -> SnapshotStatus:
        return _optional.get_snapshot_status(self, snapshot_id)

    def delete_snapshot(self, snapshot_id: str) -> None:
        _optional.delete_snapshot(self, snapshot_id)

    # -- spot --------------------------------------------------------------------------------------

    def request_spot_instance(self, options: SpawnOptions, max_price_per_hour: float) -> SpotRequest:
        return _optional.request_spot_instance(self, options, max_price_per_hour)

    def cancel_spot_request(self, request_id: str) -> None:
        _optional.cancel_spot_request(self, request_id)

    def get_spot_prices(self, instance_type: str, region: str | None = None) -> Sequence[SpotPrice]:
        return _optional.get_spot_prices(self, instance_type, region)

    # -- hibernation (capability `hibernation`) -------------------------------------------------

    def hibernate(self, provider_id: str) -> None:
        """Stop with Hibernate=True (needs the `hibernation` setting at spawn: encrypted root, configured)."""
        instance = self.get_instance(provider_id)
        if instance is not None and not instance.hibernation_configured:
            # EC2 would not refuse: it would do a plain stop and the RAM would be lost.
            raise invalid(f"{provider_id} was not launched with hibernation configured; it cannot hibernate")
        self._access.call(
            self.region_of(provider_id), lambda c: c.stop_instances(InstanceIds=[provider_id], Hibernate=True)
        )

    def resume(self, provider_id: str) -> None:
        self._access.call(self.region_of(provider_id), lambda c: c.start_instances(InstanceIds=[provider_id]))

    # -- sweeping (snapshots, open spot requests, spare warm-pool volumes) -------------------------

    def sweep_resources(self, filter: ListFilter) -> Sequence[ManagedResource]:
        return _optional.sweep_resources(self, filter)

    def delete_resource(self, resource: ManagedResource) -> None:
        _optional.delete_resource(self, resource)

    # -- health and lifecycle ------------------------------------------------------------------

    def health(self) -> str:
        """One cheap authenticated call per configured region; raises ProviderError when one fails."""
        zones = self._access.each_region(
            self.regions,
            lambda r: len(
                self._access.call(r, lambda c: c.describe_availability_zones())["AvailabilityZones"]
            ),
        )
        return ", ".join(f"{r}: {n} zone(s)" for r, n in zip(self.regions, zones, strict=True))

    def on_close(self, closer: Closable) -> None:
        """Register something with a close() to run when the provider shuts down (warm pools)."""
        self._closers.append(closer)

    def close(self) -> None:
        closers, self._closers = self._closers, []
        try:
            for closer in reversed(closers):
                closer.close()
        finally:
            self._access.close()

    # -- internals ------------------------------------------------------------------------------

    @property
    def endpoint_url(self) -> str | None:
        return self._access.endpoint_url

    @property
    def access(self) -> Ec2Access:
        return self._access

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def describe(self, region: str, filters: list[dict[str, Any]]) -> list[AWSInstance]:
        instances = []
        for reservation in self._access.pages(region, "describe_instances", "Reservations", Filters=filters):
            for item in reservation.get("Instances") or ():
                instance = instance_from_ec2(item, region)
                self._remember(instance.id, region)
                instances.append(instance)
        return instances

    def _remember(self, resource_id: str, region: str) -> None:
        with self._where_lock:
            self._where[resource_id] = region

    def _search_order(self, resource_id: str) -> list[str]:
        with self._where_lock:
            known = self._where.get(resource_id)
        return list(dict.fromkeys([r for r in (known, self.region) if r] + list(self.regions)))

    def region_of(self, resource_id: str) -> str:
        """Where resource_id was last seen (a spawn or lookup), else the default region."""
        return self._search_order(resource_id)[0]


def _server_filters(wanted: ListFilter) -> list[dict[str, Any]] | None:
    """EC2 Filters narrowing DescribeInstances to what wanted asks for; None when nothing can match."""
    filters: list[dict[str, Any]] = [{"Name": f"tag:{MANAGED_TAG}", "Values": ["true"]}]
    if wanted.statuses is not None:
        states = sorted(EC2_STATE_NAMES[s] for s in wanted.statuses if s in EC2_STATE_NAMES)
        if not states:
            return None
        filters.append({"Name": "instance-state-name", "Values": states})
    for key, value in wanted.tags.items():
        filters.append({"Name": f"tag:{key}", "Values": [_escape(value)]})
    if wanted.name_prefix:
        filters.append({"Name": "tag:Name", "Values": [_escape(wanted.name_prefix) + "*"]})
    return filters


def _escape(value: str) -> str:
    """EC2 filter values treat * and ? as wildcards; a backslash makes them literal."""
    return value.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")
