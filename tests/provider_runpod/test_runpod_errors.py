"""Every row of the error table, through real HTTP answers from the emulator where one exists."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from provider_core import ErrorCode, ProviderError, SpawnOptions
from provider_core.author import MANAGED_TAG
from provider_runpod import RunPodProvider
from provider_runpod._errors import ERROR_TABLE, FALLBACK, classify, graphql_error, http_error
from provider_runpod.testing import NO_CAPACITY, Emulator

GPU = "NVIDIA RTX A4000"


def spawn(provider: RunPodProvider, **kwargs: object) -> None:
    provider.spawn(SpawnOptions(name="e", instance_type=GPU, **kwargs))  # type: ignore[arg-type]


def code_of(call: Callable[[], object]) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        call()
    return caught.value


def test_no_capacity_400_is_capacity_error(provider: RunPodProvider, emulator: Emulator) -> None:
    emulator.account.capacity[GPU] = 0
    error = code_of(lambda: spawn(provider))
    assert error.code is ErrorCode.CAPACITY_ERROR
    assert error.retryable
    assert "no longer any instances available" in error.message


def test_other_400_is_invalid_spec(provider: RunPodProvider) -> None:
    error = code_of(lambda: provider.spawn(SpawnOptions(name="e", instance_type="NVIDIA Imaginary")))
    assert error.code is ErrorCode.INVALID_SPEC
    assert not error.retryable


@pytest.mark.parametrize("key", ["wrong-key", None])
def test_401_is_auth_error(make_provider: Callable[..., RunPodProvider], key: str | None) -> None:
    provider = make_provider(api_key=key or "x")
    error = code_of(provider.list_instances)
    assert error.code is ErrorCode.AUTH_ERROR


def test_missing_key_is_auth_error_at_first_use(
    make_provider: Callable[..., RunPodProvider], monkeypatch: pytest.MonkeyPatch, emulator: Emulator
) -> None:
    monkeypatch.delenv("RUNPOD_API_KEY", raising=False)
    provider = make_provider(api_key=None)  # building it is fine
    error = code_of(provider.list_instances)
    assert error.code is ErrorCode.AUTH_ERROR
    assert "RUNPOD_API_KEY" in error.message
    assert emulator.exchanges == []  # nothing was sent without a key


def test_403_is_auth_error(provider: RunPodProvider, emulator: Emulator) -> None:
    emulator.fail_next(1, status=403)
    assert code_of(provider.list_instances).code is ErrorCode.AUTH_ERROR


def test_404_is_not_found(provider: RunPodProvider) -> None:
    from provider_runpod._client import pod_path

    error = code_of(lambda: provider.client.rest("GET", pod_path("nope"), what="getPod"))
    assert error.code is ErrorCode.NOT_FOUND


def test_409_is_invalid_spec(provider: RunPodProvider) -> None:
    from provider_runpod._client import pod_path

    pod = provider.spawn(SpawnOptions(name="e", instance_type=GPU))

    # A PROVISIONING pod cannot be started: the server answers 409.
    def call() -> object:
        return provider.client.rest("POST", pod_path(pod.id, "/action"), json={"action": "start"}, what="x")

    assert code_of(call).code is ErrorCode.INVALID_SPEC


@pytest.mark.invalid_requests
def test_422_is_invalid_spec(provider: RunPodProvider) -> None:
    error = code_of(lambda: provider.client.rest("POST", "/pods", json={"name": "x", "bogus": 1}, what="x"))
    assert error.code is ErrorCode.INVALID_SPEC


def test_429_is_rate_limit_with_retry_after(
    make_provider: Callable[..., RunPodProvider], emulator: Emulator
) -> None:
    emulator.set_rate_limit(1, window=30)
    make_provider().list_instances()  # another client spends the quota
    error = code_of(make_provider().list_instances)
    assert error.code is ErrorCode.RATE_LIMIT_ERROR
    assert error.retryable
    assert error.retry_after == 30


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_unavailable(provider: RunPodProvider, emulator: Emulator, status: int) -> None:
    emulator.fail_next(1, status=status)
    error = code_of(provider.list_instances)
    assert error.code is ErrorCode.UNAVAILABLE
    assert error.retryable


def test_non_json_body_is_unavailable(provider: RunPodProvider, emulator: Emulator) -> None:
    emulator.fail_next(1, status=200, raw=b"<html>maintenance</html>")
    assert code_of(provider.list_instances).code is ErrorCode.UNAVAILABLE
    emulator.fail_next(1, status=400, raw=b"<html>bad request</html>")
    assert code_of(provider.list_instances).code is ErrorCode.UNAVAILABLE


def test_connection_refused_is_unavailable(make_provider: Callable[..., RunPodProvider]) -> None:
    provider = make_provider(base_url="http://127.0.0.1:9/v2")
    error = code_of(provider.list_instances)
    assert error.code is ErrorCode.UNAVAILABLE
    assert isinstance(error.__cause__, Exception)


def test_timeout_is_unavailable(make_provider: Callable[..., RunPodProvider], emulator: Emulator) -> None:
    emulator.latency = 0.5
    provider = make_provider(timeout=0.05)
    assert code_of(provider.list_instances).code is ErrorCode.UNAVAILABLE


def test_graphql_errors_in_http_200_go_through_the_same_table() -> None:
    cases = {
        ErrorCode.CAPACITY_ERROR: {"message": NO_CAPACITY},
        ErrorCode.AUTH_ERROR: {"message": "Unauthorized", "extensions": {"code": "UNAUTHENTICATED"}},
        ErrorCode.NOT_FOUND: {"message": "pod not found to terminate"},
        ErrorCode.INVALID_SPEC: {"message": "bad", "extensions": {"code": "BAD_USER_INPUT"}},
        ErrorCode.RATE_LIMIT_ERROR: {"message": "slow down", "extensions": {"code": "TOO_MANY_REQUESTS"}},
        ErrorCode.UNAVAILABLE: {"message": "boom", "extensions": {"code": "INTERNAL_SERVER_ERROR"}},
    }
    for code, error in cases.items():
        assert graphql_error([error], what="op").code is code, error


def test_graphql_no_capacity_through_the_emulator(provider: RunPodProvider, emulator: Emulator) -> None:
    emulator.account.capacity[GPU] = 0
    error = code_of(lambda: provider.request_spot_instance(SpawnOptions(name="s", instance_type=GPU), 0.5))
    assert error.code is ErrorCode.CAPACITY_ERROR


def test_the_table_has_a_row_for_each_documented_case() -> None:
    assert classify(400, NO_CAPACITY, problem=True) is ErrorCode.CAPACITY_ERROR
    assert classify(400, "name is required", problem=True) is ErrorCode.INVALID_SPEC
    assert classify(402, "", problem=True) is ErrorCode.QUOTA_EXCEEDED
    assert classify(418, "teapot", problem=True) is ErrorCode.INVALID_SPEC
    assert classify(400, NO_CAPACITY, problem=False) is FALLBACK
    assert classify(599, "", problem=True) is FALLBACK is ErrorCode.UNAVAILABLE
    assert len({rule.code for rule in ERROR_TABLE}) >= 6


def test_retry_after_only_on_rate_limits() -> None:
    error = http_error(503, {"title": "x", "status": 503, "detail": "d"}, what="op", retry_after=5)
    assert error.retry_after is None
    limited = http_error(429, {"title": "x", "status": 429, "detail": "d"}, what="op", retry_after=5)
    assert limited.retry_after == 5


def test_graphql_validation_failure_is_invalid_spec(provider: RunPodProvider, emulator: Emulator) -> None:
    error = code_of(lambda: provider.client.graphql("{ nothingHere { id } }", {}, what="q"))
    assert error.code is ErrorCode.INVALID_SPEC
    assert emulator.exchanges[-1].status == 400


def test_graphql_transport_failures_are_unavailable(provider: RunPodProvider, emulator: Emulator) -> None:
    emulator.fail_next(1, status=200, raw=b"<html>maintenance</html>")
    assert code_of(lambda: provider.get_spot_prices(GPU)).code is ErrorCode.UNAVAILABLE
    emulator.fail_next(1, status=502)
    assert code_of(lambda: provider.get_spot_prices(GPU)).code is ErrorCode.UNAVAILABLE


# -- bodies that are not pods -----------------------------------------------------------------------


@pytest.mark.invalid_responses
@pytest.mark.parametrize(
    "body", [[], "pod", 7, {"name": "no id"}, {"id": 7}], ids=["list", "str", "int", "no-id", "int-id"]
)
def test_a_pod_that_is_not_a_pod_is_unavailable(
    provider: RunPodProvider, emulator: Emulator, monkeypatch: pytest.MonkeyPatch, body: object
) -> None:
    monkeypatch.setattr(emulator.account, "get_pod", lambda pod_id: (200, body))
    monkeypatch.setattr(emulator.account, "list_pods", lambda: (200, {"pods": [body]}))
    for call in (lambda: provider.get_instance("emu00000000001"), provider.list_instances):
        error = code_of(call)
        assert error.code is ErrorCode.UNAVAILABLE
        assert "malformed pod" in error.message


@pytest.mark.invalid_responses
def test_odd_fields_inside_a_pod_are_dropped_not_raised(
    provider: RunPodProvider, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    pod = provider.spawn(SpawnOptions(name="odd", instance_type=GPU, tags={MANAGED_TAG: "true"}))
    _, view = emulator.account.get_pod(pod.id)
    view.update(name=5, gpu={"id": ["x"], "count": "2"}, mounts={"network": ["vol"]}, cost=True, image={})
    monkeypatch.setattr(emulator.account, "get_pod", lambda pod_id: (200, view))
    odd = provider.get_instance(pod.id)
    assert odd is not None
    assert (odd.name, odd.instance_type, odd.gpu_count, odd.network_volume_id) == (None, None, None, None)
    assert (odd.cost_per_hour, odd.image) == (None, None)
