"""Spot pods through GraphQL: podRentInterruptable, the pod query, podTerminate and gpuTypes prices."""

from __future__ import annotations

import json

import pytest

from provider_core import (
    ErrorCode,
    InstanceStatus,
    ProviderError,
    ProviderHandle,
    SpawnOptions,
    SpotRequestStatus,
)
from provider_core.author import MANAGED_TAG
from provider_core.hooks import compute_drift
from provider_runpod import RunPodProvider
from provider_runpod._types import SPOT_ENV, TAGS_ENV
from provider_runpod.testing import CATALOG, Emulator

GPU = "NVIDIA RTX A4000"
MANAGED = {MANAGED_TAG: "true"}


def graphql_calls(emulator: Emulator) -> list[dict[str, object]]:
    return [json.loads(e.body) for e in emulator.exchanges if e.path == "/graphql"]


def test_spot_prices_are_the_minimum_bid(provider: RunPodProvider, emulator: Emulator) -> None:
    (price,) = provider.get_spot_prices(GPU, region="EU-RO-1")
    assert price.price_per_hour == CATALOG[GPU].min_bid
    assert (price.instance_type, price.region) == (GPU, "EU-RO-1")
    (call,) = graphql_calls(emulator)
    assert call["variables"] == {"gpuTypeId": GPU, "dataCenterId": "EU-RO-1"}


def test_no_spot_stock_means_no_price(provider: RunPodProvider, emulator: Emulator) -> None:
    emulator.account.capacity[GPU] = 0
    assert provider.get_spot_prices(GPU) == []


def test_unknown_gpu_type_has_no_prices(provider: RunPodProvider) -> None:
    with pytest.raises(ProviderError) as caught:
        provider.get_spot_prices("NVIDIA Imaginary")
    assert caught.value.code is ErrorCode.INVALID_SPEC


def test_request_spot_rents_an_interruptible_pod(provider: RunPodProvider, emulator: Emulator) -> None:
    request = provider.request_spot_instance(
        SpawnOptions(name="spot-1", instance_type=GPU, gpu_count=2, region="US-KS-2", tags=MANAGED), 0.5
    )
    assert request.status is SpotRequestStatus.ACTIVE
    assert request.instance_id == request.id
    (rent,) = [c for c in graphql_calls(emulator) if "podRentInterruptable" in str(c["query"])]
    data = rent["variables"]["input"]  # type: ignore[index]
    assert data["bidPerGpu"] == 0.25
    assert data["gpuCount"] == 2
    assert data["dataCenterId"] == "US-KS-2"
    env = {item["key"]: item["value"] for item in data["env"]}
    assert env[SPOT_ENV] == "true"
    assert json.loads(env[TAGS_ENV]) == MANAGED
    pod = provider.get_instance(request.id)
    assert pod is not None
    assert pod.spot
    assert pod.region == "US-KS-2"
    assert [p.id for p in provider.list_instances()] == [request.id]


def test_spot_spawn_without_a_price_bids_the_minimum(provider: RunPodProvider, emulator: Emulator) -> None:
    pod = provider.spawn(SpawnOptions(name="spot-2", instance_type=GPU, spot=True, tags=MANAGED))
    assert pod.spot
    assert emulator.account.pods[pod.id]["_bid"] == CATALOG[GPU].min_bid


def test_a_bid_below_the_minimum_is_refused(provider: RunPodProvider) -> None:
    with pytest.raises(ProviderError) as caught:
        provider.request_spot_instance(SpawnOptions(name="cheap", instance_type=GPU), 0.01)
    assert caught.value.code is ErrorCode.INVALID_SPEC


def test_interruption_shows_as_stopped_and_as_drift(provider: RunPodProvider, emulator: Emulator) -> None:
    request = provider.request_spot_instance(
        SpawnOptions(name="spot-3", instance_type=GPU, tags=MANAGED), 0.5
    )
    emulator.interrupt(request.id)
    pod = provider.get_instance(request.id)
    assert pod is not None
    assert pod.status is InstanceStatus.STOPPED
    assert pod.spot
    assert pod.spot_interrupted
    assert pod.status_reason is not None
    assert pod.status_reason.startswith("Outbid: ")
    (drift,) = compute_drift({request.id: InstanceStatus.RUNNING}, provider.list_instances())
    assert drift.code is ErrorCode.SPOT_INTERRUPTED


def test_a_spot_pod_the_user_terminated_is_not_an_interruption(
    provider: RunPodProvider, emulator: Emulator
) -> None:
    request = provider.request_spot_instance(
        SpawnOptions(name="spot-6", instance_type=GPU, tags=MANAGED), 0.5
    )
    provider.terminate(request.id)
    pod = provider.get_instance(request.id)
    assert pod is not None
    assert (pod.status, pod.spot, pod.spot_interrupted) == (InstanceStatus.TERMINATED, True, False)
    (drift,) = compute_drift({request.id: InstanceStatus.RUNNING}, [pod])
    assert drift.code is None
    (missing,) = compute_drift({request.id: InstanceStatus.RUNNING}, provider.list_instances())
    assert missing.code is None


def test_a_spot_pod_the_user_stopped_is_not_an_interruption(
    provider: RunPodProvider, emulator: Emulator
) -> None:
    from provider_runpod._client import pod_path

    request = provider.request_spot_instance(
        SpawnOptions(name="spot-7", instance_type=GPU, tags=MANAGED), 0.5
    )
    # Stopped outside provider-core (the console, runpodctl): REST shows it EXITED like an outbid pod.
    provider.client.rest("POST", pod_path(request.id, "/action"), json={"action": "stop"}, what="stop")
    (pod,) = provider.list_instances()
    assert (pod.status, pod.spot_interrupted) == (InstanceStatus.STOPPED, False)
    assert pod.status_reason is not None
    assert pod.status_reason.startswith("Exited by user: ")
    (drift,) = compute_drift({request.id: InstanceStatus.RUNNING}, [pod])
    assert drift.code is None


def test_only_stopped_spot_pods_cost_a_reason_lookup(provider: RunPodProvider, emulator: Emulator) -> None:
    provider.spawn(SpawnOptions(name="od", instance_type=GPU, tags=MANAGED))
    provider.request_spot_instance(SpawnOptions(name="sp", instance_type=GPU, tags=MANAGED), 0.5)
    before = len(graphql_calls(emulator))
    assert len(provider.list_instances()) == 2
    assert len(graphql_calls(emulator)) == before


def test_cancel_terminates_the_spot_pod_and_is_idempotent(handle: ProviderHandle, emulator: Emulator) -> None:
    assert handle.spot is not None
    request = handle.spot.request(SpawnOptions(name="spot-4", instance_type=GPU), 0.5)
    handle.spot.cancel(request.id)
    handle.spot.cancel(request.id)  # the pod query says null: nothing to do
    handle.spot.cancel("never-existed")
    assert handle.list_instances() == []
    assert emulator.account.pods[request.id]["status"] == "TERMINATED"


def test_cancel_of_nothing_is_not_found_from_the_provider(provider: RunPodProvider) -> None:
    # The core turns it into success (above); the provider only reports what RunPod said.
    options = SpawnOptions(name="spot-8", instance_type=GPU, tags=MANAGED)
    request = provider.request_spot_instance(options, 0.5)
    provider.cancel_spot_request(request.id)
    for request_id in (request.id, "never-existed"):
        with pytest.raises(ProviderError) as caught:
            provider.cancel_spot_request(request_id)
        assert caught.value.code is ErrorCode.NOT_FOUND


def test_cancel_treats_pod_not_found_to_terminate_as_success(
    handle: ProviderHandle, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert handle.spot is not None
    request = handle.spot.request(SpawnOptions(name="spot-5", instance_type=GPU), 0.5)
    # Gone between the pod query and podTerminate: RunPod answers "pod not found to terminate".
    original = emulator.account.graphql_pod

    def vanish_after_query(pod_id: str) -> dict[str, object] | None:
        found = original(pod_id)
        emulator.account.terminate_spot(pod_id)
        return found

    monkeypatch.setattr(emulator.account, "graphql_pod", vanish_after_query)
    handle.spot.cancel(request.id)
    answers = [json.loads(e.response_body) for e in emulator.exchanges if e.path == "/graphql"]
    assert answers[-1]["errors"][0]["message"] == "pod not found to terminate"


def test_cancel_refuses_an_on_demand_pod(provider: RunPodProvider) -> None:
    pod = provider.spawn(SpawnOptions(name="od", instance_type=GPU, tags=MANAGED))
    with pytest.raises(ProviderError) as caught:
        provider.cancel_spot_request(pod.id)
    assert caught.value.code is ErrorCode.INVALID_SPEC
    alive = provider.get_instance(pod.id)
    assert alive is not None
    assert alive.status is not InstanceStatus.TERMINATED


def test_a_rented_pod_not_yet_readable_is_still_returned(
    provider: RunPodProvider, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    not_found = (404, {"title": "Not Found", "status": 404, "detail": "pod not found"})
    monkeypatch.setattr(emulator.account, "get_pod", lambda pod_id: not_found)
    pod = provider.spawn(SpawnOptions(name="lagging", instance_type=GPU, spot=True, tags=MANAGED))
    assert pod.spot
    assert pod.status is InstanceStatus.PENDING
    assert pod.id in emulator.account.pods  # reported, not orphaned


def test_the_bid_never_exceeds_the_ceiling(provider: RunPodProvider, emulator: Emulator) -> None:
    provider.request_spot_instance(SpawnOptions(name="c", instance_type=GPU, gpu_count=3, tags=MANAGED), 1.0)
    (rent,) = [c for c in graphql_calls(emulator) if "podRentInterruptable" in str(c["query"])]
    bid = rent["variables"]["input"]["bidPerGpu"]  # type: ignore[index]
    assert bid == 0.3333
    assert bid * 3 <= 1.0


def test_cancel_leaves_an_unmanaged_spot_pod_alone(
    handle: ProviderHandle, provider: RunPodProvider, emulator: Emulator
) -> None:
    data = {"bidPerGpu": 0.5, "cloudType": "SECURE", "gpuCount": 1, "gpuTypeId": GPU, "name": "theirs"}
    theirs = emulator.account.rent_spot(data)["id"]
    assert handle.spot is not None
    handle.spot.cancel(theirs)  # unknown to provider-core: nothing to do, no error
    with pytest.raises(ProviderError) as caught:
        provider.cancel_spot_request(theirs)  # the provider calls it not found; the core, success
    assert caught.value.code is ErrorCode.NOT_FOUND
    assert emulator.account.pods[theirs]["status"] != "TERMINATED"
    assert not any("podTerminate" in str(call["query"]) for call in graphql_calls(emulator))
