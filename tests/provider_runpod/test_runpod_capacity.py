"""Capacity failures in every wording and status RunPod is seen to use, and what they must not be."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from provider_core import ErrorCode, ProviderError, SpawnOptions
from provider_runpod import RunPodProvider
from provider_runpod._errors import graphql_error, http_error
from provider_runpod.testing import NO_CAPACITY, Emulator, Fault

GPU = "NVIDIA RTX A4000"

# What public clients (runpod-python users, SkyPilot, dstack and others) report from RunPod, with the
# status and body shape each came in.
REST_WORDINGS = [
    (400, {"title": "Bad Request", "status": 400, "detail": NO_CAPACITY}),
    (500, {"error": "create pod: There are no instances currently available", "status": 500}),
    (500, {"error": "There are no instances currently available"}),
    (
        500,
        {
            "error": "create pod: This machine does not have the resources to deploy your pod. "
            "Please try a different machine"
        },
    ),
    (400, {"title": "Bad Request", "status": 400, "detail": "There are no instances currently available"}),
]
GRAPHQL_WORDINGS = [
    NO_CAPACITY,
    "There are no longer any instances available with enough disk space.",
    "There are no instances currently available",
    "create pod: There are no instances currently available",
    "This machine does not have the resources to deploy your pod.",
    "There are no resources to deploy for this request.",
]


def raised(call: Callable[[], object]) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        call()
    return caught.value


@pytest.mark.invalid_responses  # a 500 with `{"error": ...}` is RunPod's shape, not the v2 document's
@pytest.mark.parametrize(("status", "body"), REST_WORDINGS)
def test_create_pod_capacity_wordings_are_capacity_errors(
    provider: RunPodProvider, emulator: Emulator, status: int, body: dict[str, object]
) -> None:
    emulator.inject(
        Fault(status, json.dumps(body).encode(), {"Content-Type": "application/json"}, "POST", "/v2/pods")
    )
    error = raised(lambda: provider.spawn(SpawnOptions(name="c", instance_type=GPU)))
    assert error.code is ErrorCode.CAPACITY_ERROR
    assert error.retryable
    assert emulator.account.pods == {}


@pytest.mark.parametrize("message", GRAPHQL_WORDINGS)
@pytest.mark.parametrize("http_status", [200, 500])
def test_spot_capacity_wordings_are_capacity_errors(
    provider: RunPodProvider, emulator: Emulator, message: str, http_status: int
) -> None:
    # GraphQL refuses inside an HTTP 200 (and a failing gateway may say the same with a 500); either
    # way a retry loop must go on, which INVALID_SPEC would end.
    body = {"data": {"podRentInterruptable": None}, "errors": [{"message": message, "path": ["x"]}]}
    emulator.inject(
        Fault(
            http_status, json.dumps(body).encode(), {"Content-Type": "application/json"}, "POST", "/graphql"
        )
    )
    error = raised(lambda: provider.request_spot_instance(SpawnOptions(name="s", instance_type=GPU), 0.5))
    assert error.code is ErrorCode.CAPACITY_ERROR, error.message
    assert error.retryable


@pytest.mark.parametrize("message", GRAPHQL_WORDINGS)
def test_graphql_capacity_wordings_map_whatever_code_they_carry(message: str) -> None:
    for extensions in (None, {"code": "BAD_USER_INPUT"}, {"code": "INTERNAL_SERVER_ERROR"}):
        error = {"message": message, **({"extensions": extensions} if extensions else {})}
        assert graphql_error([error], what="podRentInterruptable").code is ErrorCode.CAPACITY_ERROR


def test_create_pod_403_is_capacity_with_the_reason(provider: RunPodProvider, emulator: Emulator) -> None:
    # v2 spec, createPod: 403 is "your account cannot access the requested pool; skip this candidate".
    detail = "Your account does not have access to this GPU pool."
    body = {"title": "Forbidden", "status": 403, "detail": detail}
    emulator.inject(
        Fault(
            403, json.dumps(body).encode(), {"Content-Type": "application/problem+json"}, "POST", "/v2/pods"
        )
    )
    error = raised(lambda: provider.spawn(SpawnOptions(name="c", instance_type=GPU)))
    assert error.code is ErrorCode.CAPACITY_ERROR
    assert detail in error.message
    assert "pool" in error.message


def test_403_elsewhere_stays_an_auth_error() -> None:
    body = {"title": "Forbidden", "status": 403, "detail": "forbidden"}
    assert http_error(403, body, what="listPods").code is ErrorCode.AUTH_ERROR
    assert http_error(403, body, what="getPod emu1").code is ErrorCode.AUTH_ERROR


def test_a_500_without_capacity_words_stays_unavailable() -> None:
    assert http_error(500, {"error": "Something went wrong."}, what="createPod").code is ErrorCode.UNAVAILABLE
    assert http_error(500, None, what="createPod").code is ErrorCode.UNAVAILABLE


def test_accept_header_includes_problem_json(provider: RunPodProvider, emulator: Emulator) -> None:
    provider.list_instances()
    accept = emulator.exchanges[-1].headers["Accept"]
    assert "application/problem+json" in accept
    assert "application/json" in accept


def test_spot_prices_without_a_region_send_no_data_center(
    provider: RunPodProvider, emulator: Emulator
) -> None:
    prices = provider.get_spot_prices(GPU)
    sent = json.loads(emulator.exchanges[-1].body)
    assert "dataCenterId" not in sent["variables"]
    assert "dataCenterId" not in sent["query"]
    # The emulator prices an explicit null data center as "no capacity anywhere", as reported.
    assert [p.price_per_hour for p in prices] == [0.09]


def test_spot_prices_in_a_region_name_it(provider: RunPodProvider, emulator: Emulator) -> None:
    prices = provider.get_spot_prices(GPU, "EU-RO-1")
    sent = json.loads(emulator.exchanges[-1].body)
    assert sent["variables"]["dataCenterId"] == "EU-RO-1"
    assert [p.region for p in prices] == ["EU-RO-1"]
