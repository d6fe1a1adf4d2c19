"""LambdaProvider: the Lambda Cloud API v1 behind the provider-core contract."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from provider_core import (
    BootstrapFormat,
    ErrorCode,
    InstanceStatus,
    ListFilter,
    ProviderError,
    ProviderSnapshot,
    SpawnOptions,
)
from provider_core.author import Provider, TagAndList, request_budget, server_answer
from provider_lambda._client import LambdaClient, segment
from provider_lambda._errors import PROVIDER, invalid_spec
from provider_lambda._ratelimit import LAUNCH, REQUEST, RateLimiter
from provider_lambda._settings import LambdaSettings
from provider_lambda._types import PUBLIC_REGIONS, LambdaInstance, Offer, instance_from_api, offers_from_api

# Limits from the launch request schema of the spec.
TAG_KEY_PATTERN = "^[a-z][a-z0-9-:]+$"
TAG_KEY = re.compile(r"[a-z][a-z0-9-:]+")
TAG_KEY_MAX = 55
TAG_VALUE_MAX = 128
NAME_MAX = 64
USER_DATA_MAX = 1024 * 1024
# The instance types carry live regional capacity, so they are kept only briefly: a bulk spawn reads them
# once instead of before every launch (half its requests), and a refusal always reads them afresh.


class LambdaProvider(Provider[LambdaInstance, ProviderSnapshot]):
    name = PROVIDER
    # Lambda hands user_data to cloud-init, which runs a `#!` script as it is.
    bootstrap_formats = (BootstrapFormat.CLOUD_INIT, BootstrapFormat.SHELL)

    def __init__(self, settings: LambdaSettings, *, limiter: RateLimiter | None = None) -> None:
        """Settings as the core resolved them; `limiter` replaces the pacing (tests inject a clock)."""
        self.settings = settings
        intervals = {REQUEST: self.settings.request_interval, LAUNCH: self.settings.launch_interval}
        # Lambda's limits are per account: with a spawn journal, every process sharing it shares them.
        shared = request_budget(PROVIDER, settings.api_key, intervals)
        self.limiter = limiter or shared or RateLimiter(intervals)
        self._client = LambdaClient(self.settings, self.limiter)
        # Lambda has no client token: the key is a tag, looked up before launching and after a launch
        # whose outcome is unknown; launches sharing a key are serialised within the process.
        self._once_per_key = TagAndList.over(self.list_instances)
        # Held while the catalog is read: concurrent spawns wait for one request instead of each sending it.
        self._catalog_lock = threading.Lock()
        self._catalog: tuple[float, dict[str, Offer]] | None = None

    def __repr__(self) -> str:
        key = "set" if self.settings.api_key else "missing"
        return f"<LambdaProvider {self.settings.base_url} region={self.settings.region} api_key={key}>"

    # -- core methods ----------------------------------------------------------------------------

    def spawn(self, options: SpawnOptions) -> LambdaInstance:
        body = self._launch_body(options)
        return self._once_per_key(options.idempotency_key or None, lambda: self._launch(options, body))

    def terminate(self, provider_id: str) -> None:
        self._client.post("/instance-operations/terminate", {"instance_ids": [provider_id]})

    def list_instances(self, filter: ListFilter | None = None) -> Sequence[LambdaInstance]:
        # The API has no server-side filter: the core applies the filter and the management tag.
        data = self._client.get("/instances")
        if not isinstance(data, list):
            raise ProviderError(ErrorCode.UNAVAILABLE, "instance list is not an array", provider=PROVIDER)
        return [instance_from_api(item) for item in data]

    def get_instance(self, provider_id: str) -> LambdaInstance:
        return instance_from_api(self._client.get(f"/instances/{segment(provider_id)}"))

    def close(self) -> None:
        self._client.close()

    # -- helpers ---------------------------------------------------------------------------------

    def _launch(self, options: SpawnOptions, body: dict[str, Any]) -> LambdaInstance:
        offer, region = self._check_type_and_region(options)
        try:
            data = self._client.post(
                "/instance-operations/launch", {**body, "region_name": region}, launch=True
            )
        except ProviderError as exc:
            if exc.code is ErrorCode.NOT_FOUND:
                # A launch names an SSH key, image or filesystem that does not exist: a bad spec.
                raise invalid_spec(exc.message) from exc
            raise
        ids = data.get("instance_ids") if isinstance(data, dict) else None
        if not isinstance(ids, list) or len(ids) != 1 or not isinstance(ids[0], str):
            raise ProviderError(
                ErrorCode.UNAVAILABLE, "launch answered without exactly one instance id", provider=PROVIDER
            )
        with server_answer(PROVIDER, "launch"):  # an id no value type accepts (a lone surrogate)
            return LambdaInstance(
                id=ids[0],
                status=InstanceStatus.PENDING,
                provider=PROVIDER,
                name=options.name,
                instance_type=options.instance_type,
                region=region,
                tags={tag["key"]: tag["value"] for tag in body["tags"]},
                lambda_status="booting",
                gpu_count=offer.gpus,
                gpu_description=offer.gpu_description,
                price_cents_per_hour=offer.price_cents_per_hour,
                ssh_key_names=tuple(body["ssh_key_names"]),
            )

    def _launch_body(self, options: SpawnOptions) -> dict[str, Any]:
        """Everything the launch request needs except the region; rejects what Lambda's limits refuse.

        Spot, volumes and networking never get here: the core gates them on the registration's flags.
        """
        if len(options.name) > NAME_MAX:
            raise invalid_spec(f"instance names are at most {NAME_MAX} characters on Lambda")
        ssh_keys = list(options.ssh_key_names) or (
            [self.settings.ssh_key_name] if self.settings.ssh_key_name else []
        )
        if len(ssh_keys) != 1:
            raise invalid_spec(
                "Lambda launches with exactly one SSH key: set the 'ssh_key_name' setting "
                f"or give one SpawnOptions.ssh_key_names (got {len(ssh_keys)})"
            )
        body: dict[str, Any] = {
            "instance_type_name": options.instance_type,
            "ssh_key_names": ssh_keys,
            "name": options.name,
            # options.tags already hold the management and idempotency tags the core added.
            "tags": _tags(options.tags),
        }
        if options.image:
            body["image"] = _image(options.image)
        if options.bootstrap is not None:
            if len(options.bootstrap.content.encode("utf-8")) > USER_DATA_MAX:
                raise invalid_spec("the bootstrap exceeds Lambda's 1 MiB user_data limit")
            body["user_data"] = options.bootstrap.content
        return body

    def _offers(self, *, fresh: bool) -> tuple[dict[str, Offer], bool]:
        """The instance types, and whether they came from the cache."""
        with self._catalog_lock:
            cached = self._catalog
            if not fresh and cached is not None and time.monotonic() - cached[0] < self.settings.catalog_ttl:
                return cached[1], True
            offers = offers_from_api(self._client.get("/instance-types"))
            self._catalog = (time.monotonic(), offers)
            return offers, False

    def _check_type_and_region(self, options: SpawnOptions) -> tuple[Offer, str]:
        """Fail fast on an unknown type or region, or a region without capacity."""
        offers, cached = self._offers(fresh=False)
        try:
            return self._match_offer(options, offers)
        except ProviderError:
            if not cached:
                raise
            # Capacity may have come back (or a type appeared) since the catalog was read: ask again.
            return self._match_offer(options, self._offers(fresh=True)[0])

    def _match_offer(self, options: SpawnOptions, offers: Mapping[str, Offer]) -> tuple[Offer, str]:
        offer = offers.get(options.instance_type)
        if offer is None:
            known = ", ".join(sorted(offers)) or "none"
            raise invalid_spec(f"unknown instance type '{options.instance_type}'; known: {known}")
        if options.gpu_count is not None and offer.gpus != options.gpu_count:
            raise invalid_spec(f"{options.instance_type} has {offer.gpus} GPU(s), not {options.gpu_count}")
        if options.disk_gb is not None and options.disk_gb > (offer.storage_gib or 0):
            raise invalid_spec(
                f"{options.instance_type} has {offer.storage_gib} GiB of storage, less than {options.disk_gb}"
            )
        region = options.region or self.settings.region
        if region is None:
            if not offer.regions:
                raise _no_capacity(f"no capacity for {options.instance_type} in any region")
            return offer, offer.regions[0]
        valid = sorted(set(PUBLIC_REGIONS).union(*(o.regions for o in offers.values())))
        if region not in valid:
            source = "SpawnOptions.region" if options.region else "the 'region' setting"
            raise invalid_spec(
                f"unknown region '{region}' (from {source}); valid regions: {', '.join(valid)}"
            )
        if region not in offer.regions:
            elsewhere = f"; capacity in: {', '.join(offer.regions)}" if offer.regions else ""
            raise _no_capacity(f"no capacity for {options.instance_type} in {region}{elsewhere}")
        return offer, region


def _no_capacity(message: str) -> ProviderError:
    return ProviderError(ErrorCode.CAPACITY_ERROR, message, provider=PROVIDER)


def _image(image: str) -> dict[str, str]:
    """`id:<id>` or `family:<family>` pick the spec's two image forms; a bare name is a family."""
    kind, _, value = image.partition(":")
    if kind in ("id", "family") and value:
        return {kind: value}
    return {"family": image}


def _tags(tags: Mapping[str, str]) -> list[dict[str, str]]:
    bad = sorted(k for k in tags if len(k) > TAG_KEY_MAX or not TAG_KEY.fullmatch(k))
    if bad:
        raise invalid_spec(
            f"Lambda tag keys must match {TAG_KEY_PATTERN} and be at most {TAG_KEY_MAX} characters: "
            + ", ".join(repr(k) for k in bad)
        )
    long_values = sorted(k for k, value in tags.items() if len(value) > TAG_VALUE_MAX)
    if long_values:
        raise invalid_spec(
            f"Lambda tag values are at most {TAG_VALUE_MAX} characters: {', '.join(long_values)}"
        )
    return [{"key": key, "value": value} for key, value in sorted(tags.items())]
