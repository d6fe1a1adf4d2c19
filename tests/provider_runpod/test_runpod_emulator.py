"""The emulator against the published REST v2 spec, plus its GraphQL subset and its knobs."""

from __future__ import annotations

import dataclasses
import json
import threading
from typing import Any

import httpx
import pytest

from provider_core import SpawnOptions, VolumeAttachment
from provider_core.author import MANAGED_TAG, resolve_settings
from provider_runpod import RunPodProvider, RunPodSettings
from provider_runpod.testing import CATALOG, Account, Emulator, Exchange
from provider_runpod.testing import test_double as start_test_double
from provider_runpod.testing._graphql import answer
from tests.provider_runpod import spec

needs_spec = pytest.mark.skipif(not spec.available(), reason=spec.SKIP_REASON)
GPU = "NVIDIA RTX A4000"


def call(
    emulator: Emulator, method: str, path: str, body: Any = None, key: str | None = None
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key or emulator.api_key}"}
    with httpx.Client(base_url=emulator.root, headers=headers) as client:
        return client.request(method, path, json=body)


@needs_spec
@pytest.mark.invalid_requests
def test_every_emulated_rest_answer_matches_the_spec(emulator: Emulator) -> None:
    emulator.add_network_volume("vol_1", "US-KS-2")
    created = call(emulator, "POST", "/v2/pods", {"name": "p", "image": "i", "gpu": {"id": GPU, "count": 1}})
    pod_id = created.json()["id"]
    call(emulator, "GET", "/v2/pods")
    call(emulator, "GET", f"/v2/pods/{pod_id}")
    call(emulator, "GET", f"/v2/pods/{pod_id}")  # RUNNING now: runtime and ssh filled in
    call(emulator, "POST", f"/v2/pods/{pod_id}/action", {"action": "restart"})
    call(emulator, "POST", f"/v2/pods/{pod_id}/action", {"action": "stop"})
    call(emulator, "POST", f"/v2/pods/{pod_id}/action", {"action": "stop"})  # 409
    call(emulator, "POST", f"/v2/pods/{pod_id}/action", {"action": "start"})
    call(emulator, "POST", f"/v2/pods/{pod_id}/action", {"action": "fly"})  # 422
    volume_pod = {
        "name": "v",
        "image": "i",
        "gpu": {"id": GPU},
        "mounts": {"network": [{"volumeId": "vol_1", "path": "/d"}]},
    }
    call(emulator, "POST", "/v2/pods", volume_pod)
    call(emulator, "POST", "/v2/pods", {"name": "x", "image": "i", "gpu": {"id": "nope"}})  # 400
    call(emulator, "POST", "/v2/pods", {"name": "x", "image": "i"})  # 400: neither gpu nor cpu
    call(emulator, "POST", "/v2/pods", {"name": "x", "bogus": True})  # 422
    call(emulator, "GET", "/v2/pods", key="wrong")  # 401
    emulator.account.capacity[GPU] = 0
    call(emulator, "POST", "/v2/pods", {"name": "x", "image": "i", "gpu": {"id": GPU}})  # 400 capacity
    emulator.fail_next(1, status=503)
    call(emulator, "GET", "/v2/pods")
    emulator.set_rate_limit(1, window=60)
    call(emulator, "GET", "/v2/pods")
    call(emulator, "GET", "/v2/pods")  # 429 with Retry-After
    emulator.set_rate_limit(None)
    call(emulator, "DELETE", f"/v2/pods/{pod_id}")
    call(emulator, "GET", f"/v2/pods/{pod_id}")  # TERMINATED
    call(emulator, "DELETE", f"/v2/pods/{pod_id}")  # 404
    statuses = {e.status for e in emulator.exchanges}
    assert statuses >= {200, 201, 204, 400, 401, 404, 409, 422, 429, 503}
    for exchange in spec.checker().covered(emulator.exchanges):
        spec.checker().check_response(exchange)


@needs_spec
def test_the_providers_requests_match_the_spec(provider: RunPodProvider, emulator: Emulator) -> None:
    emulator.add_network_volume("vol_2", "EU-RO-1")
    options = SpawnOptions(
        name="full",
        instance_type=GPU,
        region="EU-RO-1",
        image="my/image",
        gpu_count=2,
        disk_gb=20,
        tags={MANAGED_TAG: "true", "team": "ml"},
        volumes=[VolumeAttachment("vol_2", "/data")],
        ssh_key_names=["k"],
    )
    pod = provider.spawn(options)
    provider.list_instances()
    provider.get_instance(pod.id)
    provider.terminate(pod.id)
    rest = spec.checker().covered(emulator.exchanges)
    assert {(e.method, e.path.split("/")[2]) for e in rest} == {
        ("POST", "pods"),
        ("GET", "pods"),
        ("DELETE", "pods"),
    }
    for exchange in rest:
        spec.checker().check_request(exchange)


@needs_spec
def test_the_spec_check_catches_a_bad_answer() -> None:
    bad_pod = Exchange(
        "GET",
        "/v2/pods/x",
        {"Authorization": "Bearer ***"},
        b"",
        200,
        {"Content-Type": "application/json"},
        b'{"id": "x"}',
    )
    with pytest.raises(Exception, match="required"):
        spec.checker().check_response(bad_pod)
    bad_request = dataclasses.replace(
        bad_pod, method="POST", target="/v2/pods", body=b'{"name": "x", "gpu": {"id": 1}}'
    )
    with pytest.raises(Exception, match=r"[Vv]alid"):
        spec.checker().check_request(bad_request)


def test_test_double_yields_working_settings_and_stops() -> None:
    with start_test_double() as settings:
        provider = RunPodProvider(resolve_settings(RunPodSettings, settings, provider="runpod"))
        try:
            assert provider.list_instances() == []
        finally:
            provider.close()
    with pytest.raises(httpx.ConnectError):
        httpx.get(settings["base_url"] + "/pods", timeout=1)


PRICES = (
    "query Q($id: String) { gpuTypes(input: {id: $id}) { id "
    "lowestPrice(input: {gpuCount: 2, secureCloud: true}) { minimumBidPrice } } }"
)


def test_graphql_takes_variables_and_literals_and_answers_the_selection_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account = Account()
    status, body = answer(account, {"query": PRICES, "variables": {"id": GPU}})
    assert status == 200
    assert body == {
        "data": {"gpuTypes": [{"id": GPU, "lowestPrice": {"minimumBidPrice": CATALOG[GPU].min_bid}}]}
    }
    # The literal gpuCount reaches the resolver: with one GPU free, two have no price.
    account.capacity[GPU] = 1
    assert answer(account, {"query": PRICES, "variables": {"id": GPU}})[1] == {
        "data": {"gpuTypes": [{"id": GPU, "lowestPrice": {"minimumBidPrice": None}}]}
    }
    # Commas and comments are insignificant, except inside strings.
    asked: list[str] = []

    def pod(pod_id: str) -> dict[str, object]:
        asked.append(pod_id)
        return {"id": pod_id, "name": "n", "podType": "RESERVED"}

    monkeypatch.setattr(account, "graphql_pod", pod)
    document = '# lookup\n{ pod(input: {podId: "a, b"},) { id, name } } # done'
    assert answer(account, {"query": document}) == (200, {"data": {"pod": {"id": "a, b", "name": "n"}}})
    assert asked == ["a, b"]


@pytest.mark.parametrize(
    ("document", "code"),
    [
        ('{ pod(input: {podId: "x"}) { id bogus } }', "GRAPHQL_VALIDATION_FAILED"),
        ("{ nothing }", "GRAPHQL_VALIDATION_FAILED"),
        (
            "mutation M($input: PodRentInterruptableInput!) { podRentInterruptable(input: $input) { id } }",
            "BAD_USER_INPUT",
        ),
        ('{ pod(input: {podId: "x"}) { id ', "GRAPHQL_PARSE_FAILED"),
        ("{ gpuTypes { ...F } }", "GRAPHQL_VALIDATION_FAILED"),
    ],
)
def test_graphql_rejects_like_a_server(document: str, code: str) -> None:
    status, body = answer(Account(), {"query": document, "variables": {}})
    assert status == 400
    assert body["errors"][0]["extensions"]["code"] == code


def test_graphql_errors_come_back_in_http_200(emulator: Emulator) -> None:
    answer = call(
        emulator, "POST", "/graphql", {"query": 'mutation { podTerminate(input: {podId: "gone"}) }'}
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["errors"][0]["message"] == "pod not found to terminate"
    assert body["data"] == {"podTerminate": None}
    unauthorized = call(emulator, "POST", "/graphql", {"query": "{ gpuTypes { id } }"}, key="wrong")
    assert unauthorized.status_code == 401


def test_stop_closes_kept_alive_connections_and_threads() -> None:
    before = set(threading.enumerate())
    emulator = Emulator().start()
    client = httpx.Client(base_url=emulator.root, headers={"Authorization": f"Bearer {emulator.api_key}"})
    try:
        assert client.get("/v2/pods").status_code == 200
        emulator.stop()
        with pytest.raises(httpx.HTTPError):
            client.get("/v2/pods", timeout=1)
    finally:
        client.close()
        emulator.stop()
    for thread in set(threading.enumerate()) - before:
        thread.join(timeout=5)
        assert not thread.is_alive(), thread.name


def test_latency_knob_delays_answers(emulator: Emulator) -> None:
    emulator.latency = 0.3
    with pytest.raises(httpx.ReadTimeout), httpx.Client(base_url=emulator.root, timeout=0.05) as client:
        client.get("/v2/pods", headers={"Authorization": f"Bearer {emulator.api_key}"})
    assert json.loads(json.dumps(emulator.settings))["base_url"].endswith("/v2")
