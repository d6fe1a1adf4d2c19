"""AWSProvider: the provider-core contract on EC2 through boto3 (imported only when the provider is built)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any, Protocol

from provider_aws import _optional
from provider_aws._access import Ec2Access
from provider_aws._errors import PROVIDER
from provider_aws._launch import Catalog, LaunchSettings, run_params
from provider_aws._types import AWSInstance, AWSSnapshot, instance_from_ec2
from provider_core import (
    MANAGED_TAG,
    Capabilities,
    ErrorCode,
    InstanceStatus,
    ListFilter,
    Provider,
    ProviderError,
    SnapshotStatus,
    SpawnOptions,
    SpotPrice,
    SpotRequest,
)

log = logging.getLogger("provider_aws")

CAPABILITIES = Capabilities(
    snapshots=True,
    spot=True,
    gpu=True,
    multi_region=True,
    warm_volumes=True,
    hibernation=True,
    idempotent_spawn=True,
    custom_networking=True,
)

# ListFilter statuses as EC2 instance-state-name values; ERROR and UNKNOWN have no EC2 counterpart.
EC2_STATE_NAMES: dict[InstanceStatus, str] = {
    InstanceStatus.PENDING: "pending",
    InstanceStatus.RUNNING: "running",
    InstanceStatus.STOPPING: "stopping",
    InstanceStatus.STOPPED: "stopped",
    InstanceStatus.TERMINATING: "shutting-down",
    InstanceStatus.TERMINATED: "terminated",
}
_GONE = frozenset({InstanceStatus.TERMINATING, InstanceStatus.TERMINATED})


class Closable(Protocol):
    def close(self) -> None: ...


def _flag(value: bool | str) -> bool:
    """Settings may arrive as strings (CLI --set, environment): "false" must not be truthy."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _csv(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(dict.fromkeys(r.strip() for r in items if r.strip()))


class AWSProvider(Provider[AWSInstance, AWSSnapshot]):
    """EC2 instances tagged provider-core:managed=true; see the README for settings and behaviour."""

    name = PROVIDER
    capabilities = CAPABILITIES

    def __init__(
        self,
        *,
        region: str | None = None,
        regions: str | Sequence[str] | None = None,
        endpoint_url: str | None = None,
        profile: str | None = None,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
        aws_session_token: str | None = None,
        image: str | None = None,
        subnet_id: str | None = None,
        security_group_ids: str | Sequence[str] | None = None,
        ssh_key_name: str | None = None,
        hibernation: bool | str = False,
        connect_timeout: float | str = 5.0,
        read_timeout: float | str = 30.0,
        spot_fulfilment_timeout: float | str = 30.0,
    ) -> None:
        self._access = Ec2Access(
            profile=profile,
            region=region,
            endpoint_url=endpoint_url,
            credentials=(aws_access_key_id, aws_secret_access_key, aws_session_token),
            connect_timeout=float(connect_timeout),
            read_timeout=float(read_timeout),
        )
        self.region = self._access.check_region(self._access.default_region)
        extra = [self._access.check_region(r) for r in _csv(regions)]
        self.regions: tuple[str, ...] = tuple(dict.fromkeys([self.region, *extra]))
        self._catalog = Catalog(self._access)
        self._launch = LaunchSettings(
            image=image,
            subnet_id=subnet_id,
            security_group_ids=_csv(security_group_ids),
            ssh_key_name=ssh_key_name,
            hibernation=_flag(hibernation),
        )
        self._spot_timeout = float(spot_fulfilment_timeout)
        self._where: dict[str, str] = {}  # resource id -> region, learned from spawns and listings
        self._where_lock = threading.Lock()
        self._closers: list[Closable] = []

    def __repr__(self) -> str:
        return f"<AWSProvider regions={list(self.regions)}>"

    # -- core contract ---------------------------------------------------------------------------

    def spawn(self, options: SpawnOptions) -> AWSInstance:
        return self.spawn_in(options)

    def spawn_in(self, options: SpawnOptions, *, zone: str | None = None) -> AWSInstance:
        """spawn, optionally pinned to an availability zone (the multi-AZ probe uses this)."""
        region = self._access.check_region(options.region or self.region)
        params = run_params(self._catalog, self._launch, options, region, zone=zone)
        reservation = self._access.call(region, lambda c: c.run_instances(**params))
        instance = instance_from_ec2(reservation["Instances"][0], region)
        self._remember(instance.id, region)
        log.info("spawned %s (%s) in %s", instance.id, options.instance_type, instance.availability_zone)
        return instance

    def terminate(self, provider_id: str) -> None:
        instance = self._find(provider_id)
        # An instance without the management tag does not exist for provider-core: like an unknown id,
        # terminating it succeeds without touching it.
        if instance is None or not instance.managed or instance.status in _GONE:
            return
        try:
            self._access.call(
                instance.region or self.region, lambda c: c.terminate_instances(InstanceIds=[provider_id])
            )
        except ProviderError as exc:
            if exc.code is not ErrorCode.NOT_FOUND:
                raise
        log.info("terminated %s", provider_id)

    def list_instances(self, filter: ListFilter | None = None) -> Sequence[AWSInstance]:
        wanted = filter or ListFilter()
        if wanted.region is not None:
            regions: tuple[str, ...] = (self._access.check_region(wanted.region),)
        else:
            regions = self.regions
        filters = _server_filters(wanted)
        if filters is None:
            return []
        found = self._access.each_region(regions, lambda r: self.describe(r, filters))
        return [i for batch in found for i in batch if i.managed and wanted.matches(i)]

    def get_instance(self, provider_id: str) -> AWSInstance | None:
        instance = self._find(provider_id)
        return instance if instance is not None and instance.managed else None

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

    def hibernate(self, provider_id: str) -> AWSInstance:
        """Stop with Hibernate=True (needs the `hibernation` setting at spawn: encrypted root, configured)."""
        instance = self._require(provider_id)
        region = instance.region or self.region
        self._access.call(region, lambda c: c.stop_instances(InstanceIds=[provider_id], Hibernate=True))
        return self._require(provider_id)

    def resume(self, provider_id: str) -> AWSInstance:
        instance = self._require(provider_id)
        region = instance.region or self.region
        self._access.call(region, lambda c: c.start_instances(InstanceIds=[provider_id]))
        return self._require(provider_id)

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

    @property
    def launch_settings(self) -> LaunchSettings:
        return self._launch

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

    def _find(self, provider_id: str) -> AWSInstance | None:
        """The instance in whichever configured region has it (the remembered one first)."""
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

    def _require(self, provider_id: str) -> AWSInstance:
        instance = self.get_instance(provider_id)
        if instance is None:
            raise ProviderError(ErrorCode.NOT_FOUND, f"no managed instance {provider_id}", provider=self.name)
        return instance


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
