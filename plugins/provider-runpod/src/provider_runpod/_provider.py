"""RunPodProvider: pods over REST v2, spot pods over the GraphQL `podRentInterruptable` mutation."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from attrs import evolve

from provider_core import (
    BootstrapFormat,
    ErrorCode,
    InstanceStatus,
    ListFilter,
    ProviderError,
    ProviderSnapshot,
    SpawnOptions,
    SpotPrice,
    SpotRequest,
    SpotRequestStatus,
)
from provider_core.author import Provider, TagAndList, request_budget, server_answer, server_id
from provider_runpod._client import RunPodClient, pod_path
from provider_runpod._errors import PROVIDER
from provider_runpod._pods import create_body, spot_input
from provider_runpod._ratelimit import RateLimiter
from provider_runpod._settings import RunPodSettings
from provider_runpod._types import RunPodInstance, instance_from_pod

SPOT_MUTATION = """
mutation RentSpotPod($input: PodRentInterruptableInput!) {
  podRentInterruptable(input: $input) { id desiredStatus }
}
"""
SPOT_POD_QUERY = """
query SpotPod($podId: String!) {
  pod(input: {podId: $podId}) { id podType desiredStatus lastStatusChange }
}
"""
# RunPod records why a pod stopped only as free text in GraphQL's lastStatusChange: "Exited by user:
# <date>", "Terminated by user: <date>", and for a spot pod that lost its machine, "Outbid: <date>".
OUTBID = "outbid"
GONE_OR_STOPPED = (InstanceStatus.STOPPED, InstanceStatus.TERMINATED)
TERMINATE_MUTATION = """
mutation TerminatePod($podId: String!) {
  podTerminate(input: {podId: $podId})
}
"""
# No region means no dataCenterId argument at all: an explicit `dataCenterId: null` is reported (by a
# public client) to answer "no capacity anywhere".
PRICE_QUERY = """
query SpotPrice($gpuTypeId: String{region_variable}) {{
  gpuTypes(input: {{id: $gpuTypeId}}) {{
    id
    lowestPrice(input: {{gpuCount: 1{region_argument}, secureCloud: true}}) {{
      minimumBidPrice
      uninterruptablePrice
    }}
  }}
}}
"""


def price_query(region: str | None) -> tuple[str, dict[str, str]]:
    """The spot price query and its variables, with the data center only when a region is given."""
    if region is None:
        return PRICE_QUERY.format(region_variable="", region_argument=""), {}
    query = PRICE_QUERY.format(
        region_variable=", $dataCenterId: String", region_argument=", dataCenterId: $dataCenterId"
    )
    return query, {"dataCenterId": region}


class RunPodProvider(Provider[RunPodInstance, ProviderSnapshot]):
    name: ClassVar[str] = PROVIDER
    bootstrap_formats: ClassVar[tuple[BootstrapFormat, ...]] = (BootstrapFormat.SHELL,)

    def __init__(
        self,
        settings: RunPodSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """settings as the core resolved them; clock and sleep drive the rate limiter (tests inject them)."""
        self.settings = settings
        shared = request_budget(PROVIDER, settings.api_key, {"request": 0.0})
        self.limiter = RateLimiter(clock=clock, sleep=sleep, shared=shared)
        self._client: RunPodClient | None = None
        self._lock = threading.Lock()
        self._spawn_once = TagAndList.over(self._pods)

    def __repr__(self) -> str:
        key = "set" if self.settings.api_key else "missing"
        return f"<RunPodProvider {self.settings.base_url} graphql={self.settings.graphql_url} api_key={key}>"

    @property
    def client(self) -> RunPodClient:
        with self._lock:
            if self._client is None:
                # Building without a key is fine (discovery, `providers info`); using it is not.
                if not self.settings.api_key:
                    raise ProviderError(
                        ErrorCode.AUTH_ERROR,
                        "no RunPod API key: set the api_key setting or RUNPOD_API_KEY",
                        provider=PROVIDER,
                    )
                self._client = RunPodClient(
                    api_key=self.settings.api_key,
                    base_url=self.settings.base_url,
                    graphql_url=self.settings.graphql_url,
                    timeout=self.settings.timeout,
                    limiter=self.limiter,
                )
            return self._client

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    # -- core contract -----------------------------------------------------------------------------

    def spawn(self, options: SpawnOptions) -> RunPodInstance:
        if options.spot:
            return self._spawn_spot(options, options.max_price_per_hour)
        body = create_body(options)
        return self._spawn_once(
            options.idempotency_key,
            lambda: _pod(self.client.rest("POST", "/pods", json=body, what="createPod")),
        )

    def terminate(self, provider_id: str) -> None:
        self.client.rest("DELETE", pod_path(provider_id), what=f"deletePod {provider_id}")

    def list_instances(self, filter: ListFilter | None = None) -> Sequence[RunPodInstance]:
        # listPods has no tag or status filter to narrow by: the core applies the filter.
        return [self._with_stop_reason(pod) for pod in self._pods()]

    def get_instance(self, provider_id: str) -> RunPodInstance | None:
        """The pod; NOT_FOUND (raised) when RunPod does not know the id."""
        return self._with_stop_reason(self._read(provider_id))

    # -- spot (GraphQL) ----------------------------------------------------------------------------

    def request_spot_instance(self, options: SpawnOptions, max_price_per_hour: float) -> SpotRequest:
        instance = self._spawn_spot(options, max_price_per_hour)
        # RunPod rents a spot pod at once or refuses: the request is the pod, active from the start.
        return SpotRequest(
            id=instance.id,
            provider=PROVIDER,
            status=SpotRequestStatus.ACTIVE,
            instance_type=options.instance_type,
            region=instance.region or options.region,
            max_price_per_hour=max_price_per_hour,
            instance_id=instance.id,
        )

    def cancel_spot_request(self, request_id: str) -> None:
        """Terminate the spot pod; NOT_FOUND (success to the core) when there is none to cancel."""
        # The request id is a pod id, which the core cannot know: the managed check for a spot request is
        # the provider's. A pod without the management tag is unknown to provider-core, never ours to end.
        if not self._read(request_id).managed:
            raise _not_found(request_id)
        data = self.client.graphql(SPOT_POD_QUERY, {"podId": request_id}, what=f"pod {request_id}")
        pod = data.get("pod")
        if not isinstance(pod, Mapping):
            raise _not_found(request_id)  # REST still lists it, GraphQL has forgotten it: already gone
        if pod.get("podType") != "INTERRUPTABLE":
            raise ProviderError(
                ErrorCode.INVALID_SPEC,
                f"{request_id} is an on-demand pod, not a spot request; use terminate",
                provider=PROVIDER,
            )
        self.client.graphql(TERMINATE_MUTATION, {"podId": request_id}, what=f"podTerminate {request_id}")

    def get_spot_prices(self, instance_type: str, region: str | None = None) -> Sequence[SpotPrice]:
        """The current minimum bid for one GPU of instance_type (secure cloud), in region if given."""
        query, where = price_query(region)
        data = self.client.graphql(query, {"gpuTypeId": instance_type, **where}, what="gpuTypes")
        types = [t for t in data.get("gpuTypes") or () if isinstance(t, Mapping)]
        match = next((t for t in types if t.get("id") == instance_type), None)
        if match is None:
            raise ProviderError(
                ErrorCode.INVALID_SPEC, f"unknown RunPod GPU type {instance_type!r}", provider=PROVIDER
            )
        lowest = match.get("lowestPrice")
        bid = lowest.get("minimumBidPrice") if isinstance(lowest, Mapping) else None
        if not isinstance(bid, int | float) or isinstance(bid, bool):
            return []  # no spot capacity to bid on right now
        if not 0 < bid < math.inf:  # 1e-400 reads as 0.0: no bid can meet such a price
            raise ProviderError(
                ErrorCode.UNAVAILABLE,
                f"RunPod answered a minimum bid of {bid!r}, not a price",
                provider=PROVIDER,
            )
        return [SpotPrice(instance_type, float(bid), region=region, timestamp=datetime.now(UTC))]

    # -- internals ---------------------------------------------------------------------------------

    def _spawn_spot(self, options: SpawnOptions, max_price_per_hour: float | None) -> RunPodInstance:
        gpus = options.gpu_count or 1

        def bid_per_gpu() -> float:
            if max_price_per_hour is not None:
                # Rounded down to RunPod's 4 decimals: never bid above the caller's ceiling.
                return math.floor(max_price_per_hour / gpus * 10_000 + 1e-9) / 10_000
            prices = self.get_spot_prices(options.instance_type, options.region)
            if not prices:
                raise ProviderError(
                    ErrorCode.CAPACITY_ERROR,
                    f"no spot capacity for {options.instance_type} to bid on",
                    provider=PROVIDER,
                )
            return prices[0].price_per_hour

        def rent() -> RunPodInstance:
            data = spot_input(options, bid_per_gpu())
            answer = self.client.graphql(SPOT_MUTATION, {"input": data}, what="podRentInterruptable")
            rented = answer.get("podRentInterruptable")
            if not isinstance(rented, Mapping):
                raise ProviderError(
                    ErrorCode.UNAVAILABLE, "podRentInterruptable answered without a pod", provider=PROVIDER
                )
            pod_id = server_id(rented.get("id"), PROVIDER, "podRentInterruptable")
            try:
                return self._read(pod_id)
            except ProviderError as exc:
                if exc.code is not ErrorCode.NOT_FOUND:
                    raise
            # Rented but not readable over REST yet: report what is known rather than orphan it.
            return RunPodInstance(
                id=pod_id,
                status=InstanceStatus.PENDING,
                provider=PROVIDER,
                name=options.name,
                instance_type=options.instance_type,
                region=options.region,
                tags=options.tags,
                spot=True,
                gpu_count=gpus,
            )

        return self._spawn_once(options.idempotency_key, rent)

    def _read(self, provider_id: str) -> RunPodInstance:
        return _pod(self.client.rest("GET", pod_path(provider_id), what=f"getPod {provider_id}"))

    def _with_stop_reason(self, pod: RunPodInstance) -> RunPodInstance:
        """A stopped spot pod with RunPod's reason; `spot_interrupted` when RunPod took it back.

        REST v2 carries no reason, and a user's stop looks the same there, so only GraphQL can tell. The
        lookup costs a request, so pods the core will drop as unmanaged are not looked up.
        """
        if not (pod.spot and pod.managed) or pod.status not in GONE_OR_STOPPED:
            return pod
        data = self.client.graphql(SPOT_POD_QUERY, {"podId": pod.id}, what=f"pod {pod.id}")
        found = data.get("pod")
        change = found.get("lastStatusChange") if isinstance(found, Mapping) else None
        if not isinstance(change, str):
            return pod
        return evolve(pod, status_reason=change, spot_interrupted=OUTBID in change.lower())

    def _pods(self) -> list[RunPodInstance]:
        body = self.client.rest("GET", "/pods", what="listPods")
        pods = body.get("pods") if isinstance(body, Mapping) else None
        if not isinstance(pods, list):
            raise ProviderError(ErrorCode.UNAVAILABLE, "listPods answered without pods", provider=PROVIDER)
        return [_pod(pod) for pod in pods]


def _pod(body: Any) -> RunPodInstance:
    with server_answer(PROVIDER, "RunPod answered a malformed pod"):
        return instance_from_pod(body)


def _not_found(pod_id: str) -> ProviderError:
    return ProviderError(ErrorCode.NOT_FOUND, f"no spot pod {pod_id} to cancel", provider=PROVIDER)
